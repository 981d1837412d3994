/**
 * Job 'studio.finetune': "fine-tune on my corrections". Freezes the training data (a snapshot
 * of the done segments, their rim and the painted boxes; snapshot.ts) unless the run already
 * has one (a resumption), reports the device, then runs the pipeline's fine-tuning on it in
 * this worker (curves as 'train.point' events, checkpoints, validation, resume) and finally
 * adds the proofreading facts to the new model's provenance.
 */
import { existsSync } from 'node:fs';
import type { TaskFn } from '../jobs/types';
import { findModel } from '../pipeline/models';
import { finetuneTask, type FinetuneResult } from '../pipeline/finetune/task';
import { withProject } from '../pipeline/job-context';
import type { Box } from '../volumes/box';
import { deviceLine } from './device';
import { LabelScan, layerScanSource } from './label-scan';
import { writeSnapshot } from './snapshot';
import { progressPart } from './task-context';
import { loadStudioRecord, snapshotDir } from './studio-runs';
import { AppError } from '../errors';

export interface StudioFinetuneParams {
  run: string;
  /** Total steps (a resumption may extend the run). */
  steps?: number;
}

/** Share of the progress bar the snapshot takes. */
const SNAPSHOT_SHARE = 0.03;

export const studioFinetuneTask: TaskFn<StudioFinetuneParams, FinetuneResult> = async (params, ctx) => {
  const rec = await withProject(ctx, 'fine-tuning', async ({ project, service }) => {
    const rec = loadStudioRecord(project, params.run);
    if (!rec) throw new AppError('NOT_FOUND', `run '${params.run}' was not started from the app (no studio.json)`);
    const dir = snapshotDir(project, params.run);
    if (!existsSync(dir)) {
      ctx.progress(0, 'freezing the training data');
      const scan = LabelScan.open(project, layerScanSource(project, service, rec.labels), rec.boxes as Box[]);
      await writeSnapshot(scan, dir, { run: params.run, labels: rec.labels }, { signal: ctx.signal, progress: (f) => ctx.progress(SNAPSHOT_SHARE * f, 'freezing the training data') });
    }
    return rec;
  });
  const device = await deviceLine(rec.pipeline.scan === 'native' || rec.pipeline.scan === 'onnx' ? rec.pipeline.scan : 'auto');
  ctx.emit('studio.device', { run: params.run, device });
  const request = { ...rec.pipeline, ...(params.steps ? { steps: params.steps } : {}) };
  const result = await finetuneTask(request, progressPart(ctx, SNAPSHOT_SHARE, 1 - SNAPSHOT_SHARE));
  await withProject(ctx, 'fine-tuning', async ({ project }) => {
    const model = findModel(project, result.modelId);
    if (!model) return;
    const provenance = {
      ...model.provenance,
      proofreading: { labels: rec.labels, image: rec.image, ...rec.summary, boxRegions: rec.boxes },
      device,
    };
    project.db.prepare('UPDATE models SET provenance = ? WHERE id = ?').run(JSON.stringify(provenance), model.id);
  });
  return result;
};
