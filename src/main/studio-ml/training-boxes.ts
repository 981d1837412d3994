/**
 * Painted boxes: regions of a label layer the user declares densely labelled, so every voxel
 * inside (background included) is training data. Stored in the foundation's `annotations`
 * table as kind 'box' (position = min corner, extent = size, text = role); the proofreading
 * annotation list shows only bookmarks and to-dos, so the two never mix.
 */
import type { BoxRole, TrainingBox } from '../../shared/api/studio-ml';
import { AppError } from '../errors';
import type { Project } from '../store/project';
import { formatBox, type Box, type Vec3 } from '../volumes/box';
import { getLayer } from '../volumes/layers';

interface Row {
  id: number;
  layer_id: string;
  position: string;
  extent: string;
  text: string;
  created_at: string;
}

function fromRow(r: Row): TrainingBox {
  const min = JSON.parse(r.position) as Vec3;
  const size = JSON.parse(r.extent) as Vec3;
  return {
    id: r.id,
    layerId: r.layer_id,
    box: { min, max: [min[0] + size[0], min[1] + size[1], min[2] + size[2]] },
    role: r.text === 'validation' ? 'validation' : 'train',
    createdAt: r.created_at,
  };
}

function checkBox(project: Project, layerId: string, box: Box): void {
  const layer = getLayer(project, layerId);
  const ok = box.min.every((v, a) => Number.isInteger(v) && Number.isInteger(box.max[a]) && v >= 0 && v < box.max[a] && box.max[a] <= layer.shape[a]);
  if (!ok) throw new AppError('BAD_REQUEST', `box ${formatBox(box)} is empty or outside layer '${layer.name}' (shape ${layer.shape.join('x')})`);
}

export function listBoxes(project: Project, layerId?: string): TrainingBox[] {
  const rows = (layerId
    ? project.db.prepare(`SELECT * FROM annotations WHERE kind = 'box' AND layer_id = ? ORDER BY id`).all(getLayer(project, layerId).id)
    : project.db.prepare(`SELECT * FROM annotations WHERE kind = 'box' ORDER BY id`).all()) as Row[];
  return rows.map(fromRow);
}

export function getBox(project: Project, id: number): TrainingBox {
  const r = project.db.prepare(`SELECT * FROM annotations WHERE kind = 'box' AND id = ?`).get(id) as Row | undefined;
  if (!r) throw new AppError('NOT_FOUND', `no training box ${id}`);
  return fromRow(r);
}

export function createBox(project: Project, layerId: string, box: Box, role: BoxRole = 'train'): TrainingBox {
  const layer = getLayer(project, layerId);
  if (layer.kind !== 'labels' && layer.kind !== 'fragments') throw new AppError('BAD_REQUEST', `layer '${layer.name}' is an ${layer.kind} layer; training boxes mark labelled regions of a label layer`);
  checkBox(project, layer.id, box);
  const size = box.max.map((v, a) => v - box.min[a]);
  const r = project.db
    .prepare(`INSERT INTO annotations (layer_id, kind, position, extent, text, created_at) VALUES (?, 'box', ?, ?, ?, ?)`)
    .run(layer.id, JSON.stringify(box.min), JSON.stringify(size), role, new Date().toISOString());
  return getBox(project, Number(r.lastInsertRowid));
}

export function updateBox(project: Project, id: number, patch: { role?: BoxRole; box?: Box }): TrainingBox {
  const current = getBox(project, id);
  const box = patch.box ?? current.box;
  if (patch.box) checkBox(project, current.layerId, box);
  const size = box.max.map((v, a) => v - box.min[a]);
  project.db.prepare(`UPDATE annotations SET position = ?, extent = ?, text = ? WHERE id = ?`).run(JSON.stringify(box.min), JSON.stringify(size), patch.role ?? current.role, id);
  return getBox(project, id);
}

export function deleteBox(project: Project, id: number): void {
  getBox(project, id);
  project.db.prepare(`DELETE FROM annotations WHERE kind = 'box' AND id = ?`).run(id);
}
