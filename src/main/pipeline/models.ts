/**
 * The project's model library (table `models`): checkpoints the pipeline produced or the user
 * imported, each with its preset, provenance (how it was made, from what data, from which
 * parent model) and metrics. Files live in models/<id>.safetensors (weights only).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, renameSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppError } from '../errors';
import { loadCheckpoint, saveCheckpoint } from '../ml/checkpoint/index';
import { PROJECT_DIRS, type Project } from '../store/project';

export interface ModelRecord {
  id: string;
  name: string;
  preset: string;
  /** Relative to the project folder. */
  path: string;
  provenance: Record<string, unknown>;
  metrics: Record<string, unknown>;
  createdAt: string;
}

interface ModelRow {
  id: string;
  name: string;
  preset: string;
  path: string;
  provenance: string;
  metrics: string;
  created_at: string;
}

function fromRow(r: ModelRow): ModelRecord {
  return { id: r.id, name: r.name, preset: r.preset, path: r.path, provenance: JSON.parse(r.provenance), metrics: JSON.parse(r.metrics), createdAt: r.created_at };
}

export function listModels(project: Project): ModelRecord[] {
  return (project.db.prepare('SELECT * FROM models ORDER BY created_at').all() as ModelRow[]).map(fromRow);
}

export function findModel(project: Project, idOrName: string): ModelRecord | null {
  const rows = project.db.prepare('SELECT * FROM models WHERE id = ? OR name = ? ORDER BY created_at DESC').all(idOrName, idOrName) as ModelRow[];
  return rows.length ? fromRow(rows[0]) : null;
}

/** A model of the project (id or name, newest first) or a checkpoint file. */
export function resolveModel(project: Project | null, ref: string): { path: string; record: ModelRecord | null } {
  const record = project ? findModel(project, ref) : null;
  if (record) {
    const path = project!.path(record.path);
    if (!existsSync(path)) throw new AppError('PROJECT_CORRUPT', `model '${record.name}' (${record.id}): its file ${path} is missing`);
    return { path, record };
  }
  const path = resolve(ref);
  if (existsSync(path)) return { path, record: null };
  throw new AppError('NOT_FOUND', `no model '${ref}' in the project, and no checkpoint file ${path}`);
}

export interface NewModel {
  name: string;
  preset: string;
  /** A checkpoint (with or without optimizer state); its weights and metadata are copied. */
  checkpoint: string;
  provenance: Record<string, unknown>;
  metrics: Record<string, unknown>;
}

/** Copies the checkpoint's weights into models/<id>.safetensors and registers the model. */
export function registerModel(project: Project, m: NewModel): ModelRecord {
  const id = randomUUID();
  const rel = `${PROJECT_DIRS.models}/${id}.safetensors`;
  const ckpt = loadCheckpoint(m.checkpoint, { optimizer: false });
  const tmp = project.path(PROJECT_DIRS.tmp, `model-${id}.safetensors`);
  saveCheckpoint(tmp, { meta: ckpt.meta, weights: ckpt.weights });
  renameSync(tmp, project.path(rel));
  const createdAt = new Date().toISOString();
  project.db
    .prepare('INSERT INTO models (id, name, preset, path, provenance, metrics, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(id, m.name, m.preset, rel, JSON.stringify(m.provenance), JSON.stringify(m.metrics), createdAt);
  return { id, name: m.name, preset: m.preset, path: rel, provenance: m.provenance, metrics: m.metrics, createdAt };
}
