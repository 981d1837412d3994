/**
 * Engine checkpoints (safetensors + JSON metadata) and import of official TokenUnify `.pth`
 * files. Engine parameter names are the PyTorch state_dict names, so mapping an official
 * checkpoint only strips wrapper prefixes (`module.` from DataParallel, `_orig_mod.` from
 * torch.compile) and checks shapes; missing, unexpected and mismatched keys are reported.
 */
import { existsSync } from 'node:fs';
import { AppError } from '../../errors';
import type { SegMambaConfig } from '../models/segmamba';
import type { ParamSpec } from '../nn/module';
import { readPth } from './pth';
import { type TensorEntry, readSafetensors, writeSafetensors } from './safetensors';

export const CHECKPOINT_FORMAT = 'tokenunify-checkpoint';
export const CHECKPOINT_VERSION = 1;

/** How raw voxels were scaled before entering the network. */
export interface Normalization {
  kind: 'minmax' | 'zscore' | 'scale';
  /** x' = (x - offset) / scale */
  offset: number;
  scale: number;
}

export interface TrainingState {
  step: number;
  optimizer: { lr: number; weightDecay: number; beta1: number; beta2: number; eps: number; clipNorm: number };
  schedule?: { warmupSteps: number; totalSteps: number; minLrRatio: number };
  seed?: number;
  [key: string]: unknown;
}

export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  preset: string | null;
  config: SegMambaConfig;
  normalization?: Normalization;
  training?: TrainingState;
  /** Free-form fields owned by callers (pipeline task, heads, metrics, ...). */
  extra?: Record<string, unknown>;
}

export interface OptimizerState {
  exp_avg: Map<string, Float32Array>;
  exp_avg_sq: Map<string, Float32Array>;
}

export interface Checkpoint {
  meta: CheckpointMeta;
  weights: Map<string, TensorEntry>;
  optimizer?: OptimizerState;
}

const OPT_PREFIX = '__optimizer__.';

export function saveCheckpoint(path: string, ckpt: Checkpoint): void {
  const tensors = new Map<string, TensorEntry>(ckpt.weights);
  if (ckpt.optimizer) {
    for (const [kind, m] of Object.entries(ckpt.optimizer) as [keyof OptimizerState, Map<string, Float32Array>][]) {
      for (const [name, data] of m) tensors.set(`${OPT_PREFIX}${kind}.${name}`, { shape: ckpt.weights.get(name)?.shape ?? [data.length], data });
    }
  }
  writeSafetensors(path, tensors, { [CHECKPOINT_FORMAT]: JSON.stringify(ckpt.meta) });
}

export function loadCheckpoint(path: string, opts: { optimizer?: boolean } = {}): Checkpoint {
  if (!existsSync(path)) throw new AppError('NOT_FOUND', `checkpoint ${path} does not exist`);
  const file = readSafetensors(path, opts.optimizer === false ? (n) => !n.startsWith(OPT_PREFIX) : undefined);
  const raw = file.metadata[CHECKPOINT_FORMAT];
  if (!raw) throw new AppError('UNSUPPORTED', `${path}: a safetensors file without TokenUnify metadata (import it with "model import" first)`);
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(raw);
  } catch {
    throw new AppError('CORRUPT_FILE', `${path}: checkpoint metadata is not valid JSON`);
  }
  if (meta.version > CHECKPOINT_VERSION) throw new AppError('UNSUPPORTED', `${path}: checkpoint version ${meta.version} is newer than this app supports (${CHECKPOINT_VERSION})`);
  const weights = new Map<string, TensorEntry>();
  const optimizer: OptimizerState = { exp_avg: new Map(), exp_avg_sq: new Map() };
  let hasOpt = false;
  for (const [name, t] of file.tensors) {
    if (name.startsWith(OPT_PREFIX)) {
      const rest = name.slice(OPT_PREFIX.length);
      const dot = rest.indexOf('.');
      const kind = rest.slice(0, dot) as keyof OptimizerState;
      if (kind in optimizer) {
        optimizer[kind].set(rest.slice(dot + 1), t.data);
        hasOpt = true;
      }
    } else weights.set(name, t);
  }
  return { meta, weights, optimizer: hasOpt ? optimizer : undefined };
}

export interface LoadReport {
  loaded: string[];
  /** Engine parameters without a (shape-compatible) tensor in the checkpoint. */
  missing: string[];
  /** Checkpoint tensors the engine does not know. */
  unexpected: string[];
  /** Same name, different shape (e.g. another number of output channels): dropped. */
  mismatched: { name: string; expected: number[]; found: number[] }[];
}

export function normalizeName(name: string): string {
  let n = name;
  for (;;) {
    if (n.startsWith('module.')) n = n.slice(7);
    else if (n.startsWith('_orig_mod.')) n = n.slice(10);
    else return n;
  }
}

/** Matches checkpoint tensors to engine parameters by name and shape. */
export function matchWeights(tensors: Map<string, TensorEntry>, specs: readonly ParamSpec[]): { weights: Map<string, Float32Array>; report: LoadReport } {
  const byName = new Map<string, TensorEntry>();
  for (const [k, t] of tensors) byName.set(normalizeName(k), t);
  const weights = new Map<string, Float32Array>();
  const report: LoadReport = { loaded: [], missing: [], unexpected: [], mismatched: [] };
  const known = new Set<string>();
  for (const s of specs) {
    known.add(s.name);
    const t = byName.get(s.name);
    if (!t) {
      report.missing.push(s.name);
      continue;
    }
    const same = t.shape.length === s.shape.length && t.shape.every((d, i) => d === s.shape[i]);
    if (!same) {
      report.mismatched.push({ name: s.name, expected: s.shape, found: t.shape });
      report.missing.push(s.name);
      continue;
    }
    weights.set(s.name, t.data);
    report.loaded.push(s.name);
  }
  for (const k of byName.keys()) if (!known.has(k)) report.unexpected.push(k);
  return { weights, report };
}

export interface ImportResult {
  report: LoadReport;
  stateDictKey: string;
  otherKeys: string[];
  weights: Map<string, TensorEntry>;
}

/** Reads an official TokenUnify `.pth` and maps it onto `specs`. */
export function importPth(path: string, specs: readonly ParamSpec[]): ImportResult {
  if (!existsSync(path)) throw new AppError('NOT_FOUND', `checkpoint ${path} does not exist`);
  const pth = readPth(path);
  const { weights, report } = matchWeights(pth.tensors, specs);
  report.unexpected.push(...pth.skipped.map((s) => `${normalizeName(s)} (not a tensor)`));
  const shaped = new Map<string, TensorEntry>();
  for (const s of specs) {
    const w = weights.get(s.name);
    if (w) shaped.set(s.name, { shape: s.shape, data: w });
  }
  return { report, stateDictKey: pth.stateDictKey, otherKeys: pth.otherKeys, weights: shaped };
}
