/**
 * The model library as the app shows it: every model of the project (imported official
 * TokenUnify checkpoints, models pretrained or fine-tuned here) with its kind, parent, the run
 * that made it, parameter count and file size; import of checkpoints (a job) and deletion.
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import type { LibraryModel, ModelKind } from '../../shared/api/studio-ml';
import { AppError } from '../errors';
import { createModel } from '../ml/model';
import { isPreset } from '../ml/models/segmamba';
import { findModel, listModels, type ModelRecord } from '../pipeline/models';
import { listRuns } from '../pipeline/runs';
import type { Project } from '../store/project';

const paramCounts = new Map<string, number>();

/** Parameters of a preset's network (3 output channels; the head is a rounding error). */
export function presetParams(preset: string): number | null {
  if (!isPreset(preset)) return null;
  let n = paramCounts.get(preset);
  if (n === undefined) paramCounts.set(preset, (n = createModel(preset).paramCount));
  return n;
}

export function modelKind(provenance: Record<string, unknown>): ModelKind {
  const k = provenance.kind;
  return k === 'imported' || k === 'pretrained' || k === 'fine-tuned' ? k : 'other';
}

/** Whether a model predicts the three affinities (pretrained reconstruction models do not). */
export function predictsAffinities(m: Pick<ModelRecord, 'provenance'>): boolean {
  const kind = modelKind(m.provenance);
  if (kind === 'fine-tuned') return true;
  if (kind === 'pretrained') return false;
  return m.provenance.outChannels === 3;
}

export function listLibrary(project: Project): LibraryModel[] {
  const runs = new Map(listRuns(project).filter((r) => r.modelId).map((r) => [r.modelId!, r]));
  const models = listModels(project);
  const byId = new Map(models.map((m) => [m.id, m]));
  return models.map((m) => {
    const run = runs.get(m.id) ?? null;
    const parent = m.provenance.parent as { id?: string | null; name?: string | null } | null | undefined;
    const file = project.path(m.path);
    return {
      ...m,
      kind: modelKind(m.provenance),
      parent: parent ? { id: parent.id ?? null, name: parent.name ?? (parent.id ? byId.get(parent.id)?.name ?? null : null) } : null,
      run: run ? { id: run.id, state: run.state, step: run.step, totalSteps: run.totalSteps, createdAt: run.createdAt, updatedAt: run.updatedAt } : null,
      params: presetParams(m.preset),
      fileBytes: existsSync(file) ? statSync(file).size : null,
      canSegment: predictsAffinities(m),
    };
  });
}

/** Deletes a model (row and file). Runs keep their checkpoints; their model link is cleared. */
export function deleteModel(project: Project, id: string, confirmName: string): void {
  const m = findModel(project, id);
  if (!m || m.id !== id) throw new AppError('NOT_FOUND', `no model with id ${id} in the project`);
  if (confirmName !== m.name) throw new AppError('BAD_REQUEST', `type the model's name '${m.name}' to delete it`);
  project.db.transaction(() => {
    project.db.prepare('UPDATE training_runs SET model_id = NULL WHERE model_id = ?').run(id);
    project.db.prepare('DELETE FROM models WHERE id = ?').run(id);
  })();
  rmSync(project.path(m.path), { force: true });
}
