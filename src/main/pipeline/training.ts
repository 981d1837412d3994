/**
 * Glue between the pipeline's requests and the engine: models from presets (or from a parent
 * checkpoint's configuration), trainer options, resumption from a run's last checkpoint,
 * partial loading of a parent's weights, and the checkpoints the pipeline writes.
 */
import { AppError } from '../errors';
import { readPth } from '../ml/checkpoint/pth';
import { readSafetensors, type TensorEntry } from '../ml/checkpoint/safetensors';
import {
  type Checkpoint,
  type LoadReport,
  type LossBuilder,
  type Normalization,
  type ScanBackendPref,
  type SegMambaConfig,
  type SegMambaModel,
  Trainer,
  createModel,
  inferConfig,
  loadCheckpoint,
  matchWeights,
  modelFromConfig,
} from '../ml/index';
import type { ModelOverrides } from '../../shared/api/pipeline';
import type { z } from 'zod';
import type { Vec3 } from '../volumes/box';
import type { TrainingRun } from './runs';

export interface TrainingSettings {
  preset: string;
  modelOverrides?: z.output<typeof ModelOverrides>;
  crop: Vec3;
  steps: number;
  batch: number;
  lr: number;
  weightDecay: number;
  warmupSteps: number;
  seed: number;
  threads?: number;
  scan?: ScanBackendPref;
}

export function weightsOf(ckpt: Pick<Checkpoint, 'weights'>): Map<string, Float32Array> {
  return new Map([...ckpt.weights].map(([k, t]) => [k, t.data]));
}

/** The model of a request: its preset and overrides, with `outChannels` outputs. */
export function modelFor(s: Pick<TrainingSettings, 'preset' | 'modelOverrides'>, outChannels: number, parent?: SegMambaConfig): SegMambaModel {
  if (parent) return modelFromConfig({ ...parent, ...(s.modelOverrides ?? {}), outChannels }, s.preset);
  return createModel(s.preset, { ...(s.modelOverrides ?? {}), outChannels });
}

export interface PreparedTrainer {
  trainer: Trainer;
  /** Step the run resumed from (0: fresh). */
  resumedFrom: number;
  /** Set when a parent's weights were loaded (fresh runs only). */
  loadReport: LoadReport | null;
}

export interface LoadSummary {
  loaded: number;
  missing: string[];
  unexpected: string[];
  mismatched: { name: string; expected: number[]; found: number[] }[];
}

export function summarizeLoad(r: LoadReport): LoadSummary {
  return { loaded: r.loaded.length, missing: r.missing, unexpected: r.unexpected, mismatched: r.mismatched };
}

/**
 * A trainer for `run`: resumed from its last checkpoint when there is one, else initialised
 * from `parentWeights` (matched by name and shape; the rest from the seed).
 */
export async function prepareTrainer(
  run: TrainingRun,
  model: SegMambaModel,
  s: TrainingSettings,
  loss: LossBuilder,
  parentWeights?: Map<string, TensorEntry>,
): Promise<PreparedTrainer> {
  const last = run.loadLast();
  const common = {
    crop: s.crop,
    batch: s.batch,
    loss,
    seed: s.seed,
    optimizer: { lr: s.lr, weightDecay: s.weightDecay },
    schedule: { warmupSteps: Math.min(s.warmupSteps, Math.max(0, s.steps - 1)), totalSteps: s.steps, minLrRatio: 0.05 },
    threads: s.threads,
    scan: s.scan,
  };
  if (last) {
    if (!last.optimizer) throw new AppError('PROJECT_CORRUPT', `run '${run.id}': ${run.lastPath} has no optimizer state`);
    const step = Number(last.meta.training?.step ?? 0);
    const trainer = await Trainer.create(model, { ...common, weights: weightsOf(last), resume: { optimizer: last.optimizer, step } });
    return { trainer, resumedFrom: step, loadReport: null };
  }
  let loadReport: LoadReport | null = null;
  let weights: Map<string, Float32Array> | undefined;
  if (parentWeights) {
    // The loss may declare heads (e.g. the next-token head); match against every parameter.
    const specs = (await specsWithHeads(model, s, loss)) ?? model.specs;
    const matched = matchWeights(parentWeights, specs);
    loadReport = matched.report;
    weights = matched.weights;
  }
  const trainer = await Trainer.create(model, { ...common, weights });
  return { trainer, resumedFrom: 0, loadReport };
}

/** Parameter specs of the network plus the heads `loss` declares (built on a tiny graph). */
async function specsWithHeads(model: SegMambaModel, s: TrainingSettings, loss: LossBuilder) {
  const built = model.build([s.batch, model.config.inChannels, ...s.crop]);
  loss({ graph: built.graph, net: built.net, input: built.input, module: built.root, feed: (name, shape) => built.graph.input(name, shape) });
  return built.specs;
}

export interface ParentWeights {
  preset: string | null;
  config: SegMambaConfig;
  tensors: Map<string, TensorEntry>;
}

/**
 * A model to start from: an engine checkpoint (its recorded preset and configuration), an
 * official TokenUnify `.pth`, or a bare safetensors file (configuration guessed from the
 * tensor shapes).
 */
export function loadParent(path: string): ParentWeights {
  if (/\.(pth|pt|bin)$/i.test(path)) {
    const tensors = readPth(path).tensors;
    const guess = inferConfig(tensors);
    return { preset: guess.preset, config: guess.config, tensors };
  }
  try {
    const ckpt = loadCheckpoint(path, { optimizer: false });
    return { preset: ckpt.meta.preset, config: ckpt.meta.config, tensors: ckpt.weights };
  } catch (err) {
    if (!(err instanceof AppError && err.code === 'UNSUPPORTED')) throw err;
    const tensors = readSafetensors(path).tensors;
    const guess = inferConfig(tensors);
    return { preset: guess.preset, config: guess.config, tensors };
  }
}

export function pipelineCheckpoint(trainer: Trainer, normalization: Normalization, extra: Record<string, unknown>): Checkpoint {
  const c = trainer.checkpoint({ normalization, extra });
  return { meta: c.meta, weights: c.weights, optimizer: c.optimizer };
}
