import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import onnxProto from 'onnx-proto';
import ort from 'onnxruntime-node';
import { AppError } from '../errors';
import { loadCheckpoint, type Normalization } from '../ml/checkpoint/index';
import { Predictor } from '../ml/infer/predictor';
import { rewrite } from '../ml/ir/rewrite';
import { modelFromConfig } from '../ml/model';
import { DEFAULT_CROP } from '../ml/models/segmamba';
import { encodeModel, lowerGraph, writeModelWithExternalData } from '../ml/onnx/lower';
import { resolveModel } from '../pipeline/models';
import { normalize } from '../pipeline/normalization';
import type { Project } from '../store/project';
import type { Vec3 } from '../volumes/box';
import { checkDestination, sizeOf, writeAtomically } from './atomic';

const { onnx } = onnxProto;
type ModelProto = InstanceType<typeof onnx.ModelProto>;

/**
 * A project model as one standalone ONNX file for inference outside the app. The engine builds
 * the SegMamba graph for a fixed input [1, C, Z, Y, X] (the crop it was trained with), expands
 * the selective scans into com.microsoft LinearAttention (opset 26, as the engine's 'onnx' scan
 * backend does) and lowers it with the weights baked in. The normalisation is folded into the
 * graph as its first two ops, `x = (raw - offset) / scale`, so the file takes raw voxel values
 * as float32 (input `raw`), and is also recorded in metadata_props (`tokenunify.normalization`,
 * JSON) beside the preset, config, crop and provenance. Weights past `externalDataBytes`
 * (default 1 GiB, under protobuf's 2 GiB limit) go to `OUT.data` (ONNX external data).
 */

export interface ModelExportOptions {
  /** Input crop [z, y, x] (default: the crop the model was trained with). */
  crop?: Vec3;
  /** 'probs' (sigmoid, default) or 'logits'. */
  output?: 'probs' | 'logits';
  /** Normalisation to fold in when the checkpoint records none (default: uint8 scaling, offset 0, scale 255). */
  normalization?: Normalization;
  /** Initializer bytes above which weights go to an external data file; 0 = always. */
  externalDataBytes?: number;
  /** Run the file in onnxruntime next to the engine on one crop and compare (default true). */
  verify?: boolean;
  /** Raw voxels of one crop for the check (default: deterministic noise over the normalisation's range). */
  verifyInput?: Float32Array;
  overwrite?: boolean;
  signal?: AbortSignal;
  progress?: (fraction: number, message: string) => void;
}

export interface ModelExportResult {
  path: string;
  /** Files written: the model, then its external data file if any. */
  files: string[];
  model: { id: string | null; name: string | null; preset: string | null };
  input: { name: string; shape: number[] };
  output: { name: string; shape: number[] };
  normalization: Normalization & { source: 'checkpoint' | 'default' | 'given' };
  bytes: number;
  /** Largest |exported - engine| on the verification crop (null when not verified). */
  maxAbsDifference: number | null;
}

/** Largest difference the check accepts between the file and the engine (sigmoid outputs). */
export const VERIFY_TOLERANCE = 1e-4;
const DEFAULT_NORMALIZATION: Normalization = { kind: 'scale', offset: 0, scale: 255 };

/** Renames the graph input to `raw` and prepends (raw - offset) / scale producing the old input. */
function foldNormalization(model: ModelProto, inputName: string, n: Normalization): void {
  const g = model.graph!;
  const input = g.input!.find((i) => i.name === inputName)!;
  input.name = 'raw';
  const scalar = (name: string, v: number) => onnx.TensorProto.create({ name, dataType: onnx.TensorProto.DataType.FLOAT, dims: [], rawData: new Uint8Array(Float32Array.of(v).buffer) });
  g.initializer!.push(scalar('tokenunify_norm_offset', n.offset), scalar('tokenunify_norm_scale', n.scale));
  g.node!.unshift(
    onnx.NodeProto.create({ opType: 'Sub', input: ['raw', 'tokenunify_norm_offset'], output: ['tokenunify_raw_minus_offset'], name: 'tokenunify_normalize_sub' }),
    onnx.NodeProto.create({ opType: 'Div', input: ['tokenunify_raw_minus_offset', 'tokenunify_norm_scale'], output: [inputName], name: 'tokenunify_normalize_div' }),
  );
}

/**
 * Writes the model with its initializers of at least 1 KiB in external data: the engine's
 * writer lays them out (as `model.onnx.data` in a scratch folder at `tmpModel`), then the data
 * file moves to `tmpData` and the tensors' `location` is renamed to the data file's final name.
 */
async function writeWithExternalData(model: ModelProto, tmpModel: string, tmpData: string, location: string): Promise<void> {
  await mkdir(tmpModel);
  writeModelWithExternalData(model, tmpModel, 1024);
  await rename(join(tmpModel, 'model.onnx.data'), tmpData);
  for (const t of model.graph!.initializer!) {
    for (const e of t.externalData ?? []) if (e.key === 'location') e.value = location;
  }
  await rm(tmpModel, { recursive: true, force: true });
  await writeFile(tmpModel, encodeModel(model));
}

/** Deterministic values over [offset, offset + scale] (integers for 8-bit scaling). */
function noiseCrop(n: number, norm: Normalization): Float32Array {
  const out = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const u = (s >>> 8) / 16777216;
    out[i] = norm.kind === 'scale' && norm.scale === 255 ? Math.floor(u * 256) : norm.offset + u * norm.scale;
  }
  return out;
}

export async function exportModel(project: Project | null, modelRef: string, outPath: string, opts: ModelExportOptions = {}): Promise<ModelExportResult> {
  const path = resolve(outPath);
  const dataPath = `${path}.data`;
  const { path: checkpointPath, record } = resolveModel(project, modelRef);
  const ckpt = loadCheckpoint(checkpointPath, { optimizer: false });
  const model = modelFromConfig(ckpt.meta.config, ckpt.meta.preset);
  const pipelineCrop = (ckpt.meta.extra?.pipeline as { crop?: unknown } | undefined)?.crop;
  const crop = opts.crop ?? (Array.isArray(pipelineCrop) && pipelineCrop.length === 3 ? (pipelineCrop as Vec3) : ([...DEFAULT_CROP] as Vec3));
  model.validateCrop(crop);
  const normalization: ModelExportResult['normalization'] = ckpt.meta.normalization
    ? { ...ckpt.meta.normalization, source: 'checkpoint' }
    : { ...(opts.normalization ?? DEFAULT_NORMALIZATION), source: opts.normalization ? 'given' : 'default' };
  if (!(normalization.scale !== 0 && Number.isFinite(normalization.scale) && Number.isFinite(normalization.offset))) {
    throw new AppError('BAD_REQUEST', `model ${record?.name ?? checkpointPath}: normalisation scale ${normalization.scale} / offset ${normalization.offset} is not usable`);
  }
  const weights = new Map([...ckpt.weights].map(([k, t]) => [k, t.data]));
  const label = record ? `model '${record.name}'` : checkpointPath;
  const missing = model.specs.filter((s) => !weights.has(s.name)).map((s) => s.name);
  if (missing.length) throw new AppError('BAD_REQUEST', `${label} lacks weights for ${missing.length} parameters (first: ${missing.slice(0, 3).join(', ')})`);
  const outputKind = opts.output ?? 'probs';
  const outputName = model.config.outChannels === 3 ? (outputKind === 'probs' ? 'affinities' : 'affinity_logits') : outputKind === 'probs' ? 'output' : 'logits';
  const threshold = opts.externalDataBytes ?? 1024 ** 3;
  checkDestination({ path, sideFiles: [dataPath] }, { overwrite: opts.overwrite });

  opts.progress?.(0.05, 'building the inference graph');
  const shape = [1, model.config.inChannels, ...crop];
  const built = model.build(shape);
  const target = built.net[outputKind];
  // Expand every op that has an ONNX expansion (selective scan -> LinearAttention), as the engine's 'onnx' backend does.
  const { graph, map } = rewrite(built.graph, [target], () => true);
  const lowered = lowerGraph(graph, { outputs: { [outputName]: map.get(target)! }, weights, name: `tokenunify_${model.preset ?? 'segmamba'}` });
  const inputName = [...lowered.inputs].find(([, v]) => v === map.get(built.input))?.[0];
  if (!inputName || lowered.inputs.size !== 1) throw new AppError('INTERNAL', `lowered graph has inputs ${[...lowered.inputs.keys()].join(', ')}; expected only the image`);
  const proto = lowered.model;
  foldNormalization(proto, inputName, normalization);
  const meta: Record<string, unknown> = {
    'tokenunify.normalization': { kind: normalization.kind, offset: normalization.offset, scale: normalization.scale, formula: 'x = (raw - offset) / scale, applied inside the graph' },
    'tokenunify.input': { name: 'raw', shape, dtype: 'float32', axes: 'batch, channel, z, y, x', values: 'raw voxel intensities (e.g. uint8 0-255 as float)' },
    'tokenunify.output': { name: outputName, shape: [...target.shape], meaning: model.config.outChannels === 3 ? `${outputKind === 'probs' ? 'sigmoid ' : ''}affinities to the -z, -y, -x neighbours (channels z, y, x)` : outputKind },
    'tokenunify.preset': model.preset,
    'tokenunify.config': ckpt.meta.config,
    'tokenunify.model': record ? { id: record.id, name: record.name, provenance: record.provenance, metrics: record.metrics, createdAt: record.createdAt } : { file: basename(checkpointPath) },
  };
  proto.metadataProps = Object.entries(meta).map(([key, value]) => ({ key, value: typeof value === 'string' ? value : JSON.stringify(value) }));
  proto.docString = `TokenUnify Studio export of ${label}: SegMamba${model.preset ? ` (${model.preset})` : ''}, input raw [${shape.join(', ')}] float32, normalisation folded in.`;
  const external = lowered.initializerBytes >= threshold;

  opts.progress?.(0.3, external ? 'writing the model and its external data' : 'writing the model');
  await writeAtomically({ path, sideFiles: external ? [dataPath] : [] }, { overwrite: opts.overwrite, signal: opts.signal }, async (tmp) => {
    if (external) await writeWithExternalData(proto, tmp.path, tmp.sideFiles[0], basename(dataPath));
    else await writeFile(tmp.path, encodeModel(proto));
  });
  const files = [path, ...(external ? [dataPath] : [])];
  if (opts.overwrite && !external) await rm(dataPath, { force: true });

  let maxAbsDifference: number | null = null;
  if (opts.verify !== false) {
    opts.progress?.(0.5, 'checking the file against the engine');
    try {
      maxAbsDifference = await compareWithEngine(path, model, weights, normalization, crop, outputKind, opts.verifyInput);
    } catch (err) {
      await Promise.all(files.map((f) => rm(f, { force: true })));
      throw err;
    }
    if (!(maxAbsDifference <= VERIFY_TOLERANCE)) {
      await Promise.all(files.map((f) => rm(f, { force: true })));
      throw new AppError('INTERNAL', `the exported ${label} differs from the engine's prediction by up to ${maxAbsDifference} (tolerance ${VERIFY_TOLERANCE}); nothing was kept`);
    }
  }
  opts.progress?.(1, 'done');
  let bytes = 0;
  for (const f of files) bytes += await sizeOf(f);
  return {
    path,
    files,
    model: { id: record?.id ?? null, name: record?.name ?? null, preset: model.preset },
    input: { name: 'raw', shape },
    output: { name: outputName, shape: [...target.shape] },
    normalization,
    bytes,
    maxAbsDifference,
  };
}

/** Runs the exported file (raw input) and the engine's Predictor (normalised input) on one crop. */
async function compareWithEngine(
  path: string,
  model: ReturnType<typeof modelFromConfig>,
  weights: Map<string, Float32Array>,
  n: Normalization,
  crop: Vec3,
  output: 'probs' | 'logits',
  input?: Float32Array,
): Promise<number> {
  const shape = [1, model.config.inChannels, ...crop];
  const count = shape.reduce((a, b) => a * b, 1);
  if (input && input.length !== count) throw new AppError('BAD_REQUEST', `verification crop has ${input.length} values, expected ${count} for [${shape}]`);
  const raw = input ?? noiseCrop(count, n);
  const session = await ort.InferenceSession.create(path, { executionProviders: ['cpu'], logSeverityLevel: 3 });
  let exported: Float32Array;
  try {
    const result = await session.run({ raw: new ort.Tensor('float32', raw, shape) });
    exported = result[session.outputNames[0]].data as Float32Array;
  } finally {
    await session.release();
  }
  const predictor = await Predictor.create(model, weights, { crop, output });
  const engine = await predictor.predict(normalize(raw, n));
  if (engine.length !== exported.length) throw new AppError('INTERNAL', `exported model gives ${exported.length} values, the engine ${engine.length}`);
  let max = 0;
  for (let i = 0; i < engine.length; i++) max = Math.max(max, Math.abs(engine[i] - exported[i]));
  return max;
}
