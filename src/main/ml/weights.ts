/**
 * Loading weights for a model from any supported file (engine safetensors checkpoints or
 * official `.pth`), with partial loading: tensors whose name or shape does not fit (e.g. a
 * pretraining head) are dropped and reported, and the rest of the model keeps its init.
 */
import { extname } from 'node:path';
import { AppError } from '../errors';
import { type Checkpoint, importPth, type LoadReport, loadCheckpoint, matchWeights } from './checkpoint/index';
import type { TensorEntry } from './checkpoint/safetensors';
import { readSafetensors } from './checkpoint/safetensors';
import { type SegMambaModel, modelFromConfig } from './model';
import { PRESET_NAMES, type SegMambaConfig, presetConfig } from './models/segmamba';
import type { ParamSpec } from './nn/module';

export interface LoadedWeights {
  weights: Map<string, Float32Array>;
  report: LoadReport;
  /** The engine checkpoint, when the file was one (metadata, optimizer state). */
  checkpoint?: Checkpoint;
}

function readSafetensorsWeights(path: string): { tensors: Map<string, TensorEntry>; checkpoint?: Checkpoint } {
  const ext = extname(path).toLowerCase();
  if (ext === '.safetensors') {
    try {
      const ck = loadCheckpoint(path);
      return { tensors: ck.weights, checkpoint: ck };
    } catch (e) {
      if (e instanceof AppError && e.code === 'UNSUPPORTED') return { tensors: readSafetensors(path).tensors };
      throw e;
    }
  }
  throw new AppError('UNSUPPORTED', `${path}: unknown weights format '${ext}' (expected .safetensors or .pth)`);
}

/** Loads what fits of `path` into `specs` (default: the model's parameters). */
export function loadWeightsFor(path: string, model: SegMambaModel, specs: readonly ParamSpec[] = model.specs): LoadedWeights {
  const ext = extname(path).toLowerCase();
  if (ext === '.pth' || ext === '.pt' || ext === '.bin') {
    const imp = importPth(path, specs);
    return { weights: new Map([...imp.weights].map(([k, t]) => [k, t.data])), report: imp.report };
  }
  const { tensors, checkpoint } = readSafetensorsWeights(path);
  const { weights, report } = matchWeights(tensors, specs);
  return { weights, report, checkpoint };
}

function shapeOf(tensors: Map<string, TensorEntry>, name: string): number[] | null {
  for (const [k, t] of tensors) if (k === name || k.endsWith(`.${name}`) || k === `module.${name}`) return t.shape;
  return null;
}

/**
 * Guesses the configuration of a checkpoint from its tensor shapes: the preset whose names and
 * shapes match best, with in/out channels taken from the stem and the head.
 */
export function inferConfig(tensors: Map<string, TensorEntry>): { preset: string; config: SegMambaConfig; report: LoadReport } {
  const outW = shapeOf(tensors, 'out.conv.conv.weight');
  const stemW = shapeOf(tensors, 'vit.downsample_layers.0.0.weight');
  const overrides: Partial<SegMambaConfig> = {};
  if (outW) overrides.outChannels = outW[0];
  if (stemW) overrides.inChannels = stemW[1];
  let best: { preset: string; config: SegMambaConfig; report: LoadReport } | null = null;
  for (const p of PRESET_NAMES) {
    const config = presetConfig(p, overrides);
    const { report } = matchWeights(tensors, modelFromConfig(config, p).specs);
    if (!best || report.loaded.length > best.report.loaded.length) best = { preset: p, config, report };
    if (report.missing.length === 0) break;
  }
  return best!;
}
