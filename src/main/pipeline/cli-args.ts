/**
 * Command-line glue of the pipeline commands (pretrain, finetune, infer, segment, evaluate):
 * shared option specs and their parsing into the API requests of shared/api/pipeline.ts.
 */
import { parseTriple, type OptionSpec } from '../cli/command';
import { AppError } from '../errors';
import { createModel } from '../ml/index';
import { parseRoi, type Box, type Vec3 } from '../volumes/box';

type Values = Record<string, string | boolean | string[] | undefined>;

export function parseNumber(text: string | undefined, what: string, min = -Infinity, max = Infinity): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max) throw new AppError('BAD_REQUEST', `${what} must be a number in [${min}, ${max}] (got "${text}")`);
  return n;
}

export function parseInteger(text: string | undefined, what: string, min = 0): number | undefined {
  const n = parseNumber(text, what, min);
  if (n !== undefined && !Number.isInteger(n)) throw new AppError('BAD_REQUEST', `${what} must be an integer (got "${text}")`);
  return n;
}

export function parseNumberList(text: string | undefined, what: string): number[] | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(',').map((t) => parseNumber(t.trim(), what)!);
  if (parts.length === 0) throw new AppError('BAD_REQUEST', `${what} needs at least one number`);
  return parts;
}

/** "z0:z1,y0:y1,x0:x1" (empty bounds = the whole axis) against a volume shape. */
export function parseRegion(text: string | undefined, shape: Vec3, what: string): Box | undefined {
  if (text === undefined) return undefined;
  try {
    return parseRoi(text, shape);
  } catch (err) {
    throw new AppError('BAD_REQUEST', `${what}: ${(err as Error).message}`);
  }
}

export function intTriple(text: string | undefined, what: string): Vec3 | undefined {
  const t = parseTriple(text, what);
  if (t && t.some((v) => !Number.isInteger(v))) throw new AppError('BAD_REQUEST', `${what} must be three integers z,y,x (got "${text}")`);
  return t;
}

export const TRAINING_OPTIONS: Record<string, OptionSpec> = {
  run: { type: 'string', description: 'run name (runs/<name>/ in the project); default: derived from the settings, so the same command resumes' },
  restart: { type: 'boolean', description: 'discard an existing run of that name and start over' },
  preset: { type: 'string', description: 'model preset: tiny, base, 100M, 200M, 500M, 1B', default: 'tiny' },
  crop: { type: 'string', description: 'training crop z,y,x (each divisible by 16; stage token counts by 5, e.g. 16,80,80)', default: '16,160,160' },
  steps: { type: 'string', description: 'optimisation steps', default: '1000' },
  batch: { type: 'string', description: 'crops per step', default: '1' },
  lr: { type: 'string', description: 'peak learning rate (AdamW, warm-up then cosine decay)', default: '2e-4' },
  'weight-decay': { type: 'string', description: 'AdamW weight decay (not on biases and norms)', default: '0.01' },
  warmup: { type: 'string', description: 'warm-up steps', default: '20' },
  seed: { type: 'string', description: 'seed of initialisation, crops and augmentations', default: '0' },
  'checkpoint-every': { type: 'string', description: 'save the resumable state every N steps (and at least every 5 minutes)', default: '50' },
  'no-augment': { type: 'boolean', description: 'turn every augmentation off (see docs/pipeline.md for the defaults)' },
  'model-name': { type: 'string', description: 'name of the model registered at the end (default: the run name)' },
  threads: { type: 'string', description: 'CPU threads for the engine (default: all cores)' },
  scan: { type: 'string', description: 'selective-scan backend: auto, native, onnx or js', default: 'auto' },
  'feature-size': { type: 'string', description: 'override the preset\'s feature sizes f0,f1,f2,f3 (small models for quick experiments)' },
  'hidden-size': { type: 'string', description: 'override the preset\'s hidden size' },
  depths: { type: 'string', description: 'override the preset\'s Mamba depths d0,d1,d2,d3' },
};

function four(text: string | undefined, what: string): [number, number, number, number] | undefined {
  if (text === undefined) return undefined;
  const v = text.split(',').map((t) => Number(t.trim()));
  if (v.length !== 4 || v.some((n) => !Number.isInteger(n) || n < 0)) throw new AppError('BAD_REQUEST', `${what} must be four integers (got "${text}")`);
  return v as [number, number, number, number];
}

/** The training fields common to pretrain and finetune requests (absent options stay absent). */
export function trainingFields(values: Values): Record<string, unknown> {
  const s = (k: string) => values[k] as string | undefined;
  const overrides = {
    featureSize: four(s('feature-size'), '--feature-size'),
    hiddenSize: parseInteger(s('hidden-size'), '--hidden-size', 1),
    depths: four(s('depths'), '--depths'),
  };
  const hasOverrides = Object.values(overrides).some((v) => v !== undefined);
  const scan = s('scan');
  if (scan !== undefined && !['auto', 'native', 'onnx', 'js'].includes(scan)) throw new AppError('BAD_REQUEST', `--scan must be auto, native, onnx or js (got "${scan}")`);
  return prune({
    run: s('run'),
    restart: values.restart === true ? true : undefined,
    preset: s('preset'),
    modelOverrides: hasOverrides ? prune(overrides) : undefined,
    crop: intTriple(s('crop'), '--crop'),
    steps: parseInteger(s('steps'), '--steps', 1),
    batch: parseInteger(s('batch'), '--batch', 1),
    lr: parseNumber(s('lr'), '--lr', 0),
    weightDecay: parseNumber(s('weight-decay'), '--weight-decay', 0),
    warmupSteps: parseInteger(s('warmup'), '--warmup', 0),
    seed: parseInteger(s('seed'), '--seed', 0),
    checkpointEvery: parseInteger(s('checkpoint-every'), '--checkpoint-every', 1),
    augment: values['no-augment'] === true ? false : undefined,
    modelName: s('model-name'),
    threads: parseInteger(s('threads'), '--threads', 1),
    scan,
  });
}

/** Fails early (before a job starts) when the crop does not fit the model. */
export function checkCrop(fields: Record<string, unknown>): void {
  const crop = (fields.crop as Vec3 | undefined) ?? [16, 160, 160];
  createModel(String(fields.preset ?? 'tiny'), (fields.modelOverrides as object | undefined) ?? {}).validateCrop(crop);
}

export function prune<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function fixed(n: number | null | undefined, digits = 4): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits);
}
