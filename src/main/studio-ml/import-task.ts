/**
 * Job 'studio.importModel': a checkpoint file into the model library. Official TokenUnify
 * `.pth` files go through the engine's restricted unpickler and name mapping; engine
 * checkpoints are copied; bare safetensors files get their preset recognised from the tensor
 * shapes. The load report (missing / unexpected tensors) is kept in the model's provenance.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { ImportModelRequest } from '../../shared/api/studio-ml';
import { AppError } from '../errors';
import type { TaskFn } from '../jobs/types';
import { loadCheckpoint, matchWeights, saveCheckpoint, type LoadReport } from '../ml/checkpoint/index';
import { readSafetensors, type TensorEntry } from '../ml/checkpoint/safetensors';
import { modelImport } from '../ml/cli-commands';
import { modelFromConfig } from '../ml/model';
import type { SegMambaConfig } from '../ml/models/segmamba';
import { inferConfig } from '../ml/weights';
import { withProject } from '../pipeline/job-context';
import { registerModel } from '../pipeline/models';
import { PROJECT_DIRS } from '../store/project';

export interface ImportModelResult {
  modelId: string;
  name: string;
  preset: string;
  loaded: number;
  missing: string[];
  unexpected: string[];
}

interface Converted {
  preset: string;
  config: SegMambaConfig;
  format: string;
  loaded: number;
  report: Pick<LoadReport, 'missing' | 'unexpected'>;
}

function convert(source: string, out: string, preset?: string): Converted {
  if (/\.(pth|pt|bin)$/i.test(source)) {
    const s = modelImport({ file: source, out, preset });
    return { preset: s.preset, config: s.config, format: 'pytorch (.pth)', loaded: s.loaded, report: s.report };
  }
  if (!/\.safetensors$/i.test(source)) throw new AppError('BAD_REQUEST', `${source}: import a TokenUnify .pth or a .safetensors checkpoint`);
  try {
    const ckpt = loadCheckpoint(source, { optimizer: false });
    saveCheckpoint(out, { meta: ckpt.meta, weights: ckpt.weights });
    return { preset: ckpt.meta.preset ?? 'custom', config: ckpt.meta.config, format: 'TokenUnify Studio checkpoint', loaded: ckpt.weights.size, report: { missing: [], unexpected: [] } };
  } catch (err) {
    if (!(err instanceof AppError && err.code === 'UNSUPPORTED')) throw err;
  }
  const tensors = readSafetensors(source).tensors;
  const guess = inferConfig(tensors);
  const model = modelFromConfig(guess.config, guess.preset);
  const { weights, report } = matchWeights(tensors, model.specs);
  if (report.loaded.length === 0) throw new AppError('BAD_REQUEST', `${source}: no tensor matches a SegMamba parameter; is it a TokenUnify checkpoint?`);
  const shaped = new Map<string, TensorEntry>();
  for (const s of model.specs) {
    const w = weights.get(s.name);
    if (w) shaped.set(s.name, { shape: s.shape, data: w });
  }
  saveCheckpoint(out, { meta: { format: 'tokenunify-checkpoint', version: 1, preset: guess.preset, config: guess.config, extra: { importedFrom: source } }, weights: shaped });
  return { preset: guess.preset, config: guess.config, format: 'safetensors', loaded: report.loaded.length, report };
}

export const importModelTask: TaskFn<unknown, ImportModelResult> = async (raw, ctx) => {
  const p = ImportModelRequest.parse(raw);
  return withProject(ctx, 'model import', async ({ project }) => {
    const source = resolve(p.path);
    if (!existsSync(source)) throw new AppError('NOT_FOUND', `no file ${source}`);
    ctx.progress(0.05, `reading ${basename(source)}`);
    const tmp = project.path(PROJECT_DIRS.tmp, `import-${randomUUID()}.safetensors`);
    try {
      const c = convert(source, tmp, p.preset);
      ctx.throwIfCancelled();
      ctx.progress(0.8, 'registering the model');
      const name = p.name ?? basename(source, extname(source));
      const record = registerModel(project, {
        name,
        preset: c.preset,
        checkpoint: tmp,
        provenance: {
          kind: 'imported',
          source,
          format: c.format,
          outChannels: c.config.outChannels,
          loaded: c.loaded,
          missing: c.report.missing,
          unexpected: c.report.unexpected,
          importedAt: new Date().toISOString(),
        },
        metrics: {},
      });
      return { modelId: record.id, name: record.name, preset: c.preset, loaded: c.loaded, missing: c.report.missing, unexpected: c.report.unexpected };
    } finally {
      rmSync(tmp, { force: true });
    }
  });
};
