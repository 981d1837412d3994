import { rename, rm } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { AppError } from '../errors';
import type { Project } from '../store/project';
import { formatShape, type Vec3 } from './box';
import type { DType } from './dtypes';
import type { LevelInfo } from './readers/types';
import type { LayerKind } from './store/volume-store';

export interface LayerLevel {
  shape: Vec3;
  chunkShape: Vec3;
  /** nm, [z, y, x] */
  resolution: Vec3;
  /** Downsampling relative to level 0. */
  factors: Vec3;
}

/** A layer as the rest of the app sees it. */
export interface LayerInfo {
  id: string;
  name: string;
  kind: LayerKind;
  /** 'store': in the project's volume store; 'external': read in place. */
  source: 'store' | 'external';
  /** Store layers: path relative to the project folder; external: absolute path. */
  uri: string;
  format: string;
  dtype: DType;
  /** Level-0 shape [z, y, x]. */
  shape: Vec3;
  /** Level-0 voxel size, nm [z, y, x]. */
  resolution: Vec3;
  /** False when the file gave no voxel size and none was given: resolution is then 1,1,1 (voxels). */
  resolutionKnown: boolean;
  levels: LayerLevel[];
  chunkShape: Vec3;
  editable: boolean;
  createdAt: string;
  /** Format-specific facts: dataset path, source file, encoding, ... */
  meta: Record<string, unknown>;
}

interface LayerRow {
  id: string;
  name: string;
  kind: string;
  source: string;
  uri: string;
  format: string;
  dtype: string;
  shape: string;
  resolution: string;
  meta: string;
  editable: number;
  created_at: string;
}

function fromRow(r: LayerRow): LayerInfo {
  const meta = JSON.parse(r.meta) as Record<string, unknown>;
  const levels = (meta.levels ?? []) as LayerLevel[];
  return {
    id: r.id,
    name: r.name,
    kind: r.kind as LayerKind,
    source: r.source as 'store' | 'external',
    uri: r.uri,
    format: r.format,
    dtype: r.dtype as DType,
    shape: JSON.parse(r.shape) as Vec3,
    resolution: JSON.parse(r.resolution) as Vec3,
    resolutionKnown: meta.resolutionKnown !== false,
    levels,
    chunkShape: levels[0]?.chunkShape ?? ([1, 1, 1] as Vec3),
    editable: r.editable === 1,
    createdAt: r.created_at,
    meta,
  };
}

export function listLayers(project: Project): LayerInfo[] {
  const rows = project.db.prepare('SELECT * FROM layers ORDER BY created_at, name').all() as LayerRow[];
  return rows.map(fromRow);
}

export function findLayer(project: Project, idOrName: string): LayerInfo | null {
  const r = project.db.prepare('SELECT * FROM layers WHERE id = ? OR name = ?').get(idOrName, idOrName) as LayerRow | undefined;
  return r ? fromRow(r) : null;
}

export function getLayer(project: Project, idOrName: string): LayerInfo {
  const l = findLayer(project, idOrName);
  if (!l) throw new AppError('NOT_FOUND', `no layer '${idOrName}' in project ${project.root}`);
  return l;
}

export function assertNameFree(project: Project, name: string): void {
  if (!name.trim()) throw new AppError('BAD_REQUEST', 'a layer needs a name');
  if (project.db.prepare('SELECT 1 FROM layers WHERE name = ?').get(name)) {
    throw new AppError('CONFLICT', `project ${project.root} already has a layer named '${name}'`);
  }
}

export function levelsOf(levels: LevelInfo[]): LayerLevel[] {
  return levels.map((l) => ({ shape: l.shape, chunkShape: l.chunkShape ?? l.shape, resolution: l.resolution, factors: l.factors }));
}

export interface NewLayer {
  id: string;
  name: string;
  kind: LayerKind;
  source: 'store' | 'external';
  uri: string;
  format: string;
  dtype: DType;
  levels: LayerLevel[];
  resolutionKnown: boolean;
  editable: boolean;
  meta?: Record<string, unknown>;
}

export function insertLayer(project: Project, l: NewLayer): LayerInfo {
  if (l.source === 'external' && !isAbsolute(l.uri)) throw new AppError('INTERNAL', 'external layer uri must be absolute');
  const meta = { ...(l.meta ?? {}), levels: l.levels, resolutionKnown: l.resolutionKnown };
  try {
    project.db
      .prepare(
        `INSERT INTO layers (id, name, kind, source, uri, format, dtype, shape, resolution, meta, editable, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        l.id,
        l.name,
        l.kind,
        l.source,
        l.uri,
        l.format,
        l.dtype,
        JSON.stringify(l.levels[0].shape),
        JSON.stringify(l.levels[0].resolution),
        JSON.stringify(meta),
        l.editable ? 1 : 0,
        new Date().toISOString(),
      );
  } catch (err) {
    if (/UNIQUE constraint failed: layers.name/.test((err as Error).message)) {
      throw new AppError('CONFLICT', `project ${project.root} already has a layer named '${l.name}'`);
    }
    throw err;
  }
  return getLayer(project, l.id);
}

/**
 * Label layers overlay image layers voxel for voxel: a labels layer must match the shape of
 * the project's image layers (when there are any), and an image must match existing labels.
 */
export function assertShapeFits(project: Project, kind: LayerKind, shape: Vec3, what: string): void {
  const isLabel = kind === 'labels' || kind === 'fragments';
  const others = listLayers(project).filter((l) => (isLabel ? l.kind === 'image' : l.kind === 'labels' || l.kind === 'fragments'));
  if (others.length === 0) return;
  if (others.some((l) => l.shape.every((s, i) => s === shape[i]))) return;
  const o = others[0];
  throw new AppError(
    'BAD_REQUEST',
    `${what} is ${formatShape(shape)} but ${o.kind} layer '${o.name}' is ${formatShape(o.shape)}; ${isLabel ? 'labels must match their image' : 'an image must match its labels'} voxel for voxel (a project holds the layers of one volume; import another volume into another project folder)`,
  );
}

export function setLayerResolution(project: Project, idOrName: string, resolution: Vec3): LayerInfo {
  const l = getLayer(project, idOrName);
  if (!resolution.every((r) => r > 0 && Number.isFinite(r))) throw new AppError('BAD_REQUEST', `invalid resolution ${resolution.join(',')}`);
  const levels = l.levels.map((lv) => ({ ...lv, resolution: lv.factors.map((f, i) => f * resolution[i]) as Vec3 }));
  const meta = { ...l.meta, levels, resolutionKnown: true };
  project.db.prepare('UPDATE layers SET resolution = ?, meta = ? WHERE id = ?').run(JSON.stringify(resolution), JSON.stringify(meta), l.id);
  return getLayer(project, l.id);
}

/**
 * Deletes a layer: its database row first (segments, annotations and edits cascade), then its
 * store folder, moved to tmp/ before removal so a crash leaves only garbage in tmp/.
 * External layers lose only their row; the source stays untouched.
 */
export async function deleteLayer(project: Project, idOrName: string): Promise<LayerInfo> {
  const info = getLayer(project, idOrName);
  project.db.prepare('DELETE FROM layers WHERE id = ?').run(info.id);
  if (info.source !== 'store') return info;
  const trash = project.path('tmp', `delete-${info.id}`);
  await rename(project.path(info.uri), trash).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  await rm(trash, { recursive: true, force: true });
  return info;
}
