import { basename, extname, resolve } from 'node:path';
import type { LayerInfo as ApiLayerInfo, LayerStats, SourceInfo } from '../../shared/api/volumes';
import { MAX_REGION_VOXELS } from '../../shared/api/volumes';
import type { PartialHandlers } from '../api/router';
import type { AppContext } from '../context';
import { AppError } from '../errors';
import { isTaskKind } from '../jobs/tasks';
import type { Project } from '../store/project';
import { boxSize, formatShape, voxelCount, type Box, type Vec3 } from './box';
import { bytesOf, isBigDType, type DType, type VoxelArray } from './dtypes';
import { getLayer, listLayers, type LayerInfo } from './layers';
import { listHdf5Datasets } from './readers/hdf5';
import { detectFormat, openVolume } from './readers/open';
import type { VolumeReader } from './readers/types';
import { listZarrChildren } from './readers/zarr';
import { VolumeService } from './service';
import { isAllZero } from './store/volume-store';

/** Job kinds the volume service registers for import and export. */
const IMPORT_TASK = 'volumes.import';
const EXPORT_TASK = 'volumes.export';

/** The voxels' bytes without a copy (the wire format sends the view's range). */
function wireBytes(a: VoxelArray): Uint8Array<ArrayBuffer> {
  return bytesOf(a) as Uint8Array<ArrayBuffer>;
}

function toApiLayer(l: LayerInfo): ApiLayerInfo {
  return {
    id: l.id,
    name: l.name,
    kind: l.kind,
    source: l.source,
    format: l.format,
    uri: l.uri,
    dtype: l.dtype,
    shape: l.shape,
    resolution: l.resolution,
    resolutionKnown: l.resolutionKnown,
    levels: l.levels.map((v) => ({ shape: v.shape, chunkShape: v.chunkShape, resolution: v.resolution, factors: v.factors })),
    editable: l.editable,
    createdAt: l.createdAt,
  };
}

/** One volume service per open project; it reads through the process-wide chunk cache. */
const services = new WeakMap<Project, VolumeService>();

export function volumeService(project: Project): VolumeService {
  let s = services.get(project);
  if (!s) services.set(project, (s = new VolumeService(project)));
  return s;
}

/** Reads a box of one level (bounded, so one reply stays a few MB). */
async function readLayerRegion(project: Project, layer: LayerInfo, level: number, box: Box): Promise<VoxelArray> {
  if (voxelCount(box) > MAX_REGION_VOXELS) {
    throw new AppError('TOO_LARGE', `region ${formatShape(boxSize(box))} of layer '${layer.name}' exceeds ${MAX_REGION_VOXELS} voxels; ask for smaller pieces`);
  }
  return volumeService(project).readRegion(layer.id, level, box);
}

/** Statistics over the coarsest level (a central crop of it when even that is large). */
async function layerStats(project: Project, layer: LayerInfo): Promise<LayerStats> {
  const level = layer.levels.length - 1;
  const shape = layer.levels[level].shape;
  const cap = 1 << 22;
  const size = [...shape] as Vec3;
  while (voxelCount(size) > cap) {
    const a = size.indexOf(Math.max(...size));
    size[a] = Math.ceil(size[a] / 2);
  }
  const min = shape.map((s, i) => Math.floor((s - size[i]) / 2)) as Vec3;
  const box: Box = { min, max: min.map((m, i) => m + size[i]) as Vec3 };
  const data = await readLayerRegion(project, layer, level, box);
  return summarise(data, layer.dtype, level);
}

const HISTOGRAM_BINS = 256;

export function summarise(data: VoxelArray, dtype: DType, level: number): LayerStats {
  const n = data.length;
  const values: ArrayLike<number> = isBigDType(dtype) ? Float64Array.from(data as BigUint64Array, Number) : (data as ArrayLike<number>);
  let lo = Infinity;
  let hi = -Infinity;
  let sum = 0;
  let finite = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    sum += v;
    finite++;
  }
  if (finite === 0) return { level, min: 0, max: 0, mean: 0, p005: 0, p995: 0, histogram: new Array(HISTOGRAM_BINS).fill(0) };
  const histogram = new Array<number>(HISTOGRAM_BINS).fill(0);
  const width = hi > lo ? (hi - lo) / HISTOGRAM_BINS : 1;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    histogram[Math.min(HISTOGRAM_BINS - 1, Math.floor((v - lo) / width))]++;
  }
  const quantile = (q: number): number => {
    const target = q * finite;
    let acc = 0;
    for (let b = 0; b < HISTOGRAM_BINS; b++) {
      acc += histogram[b];
      if (acc >= target) return lo + (b + (q < 0.5 ? 0 : 1)) * width;
    }
    return hi;
  };
  return { level, min: lo, max: hi, mean: sum / finite, p005: Math.max(lo, quantile(0.005)), p995: Math.min(hi, quantile(0.995)), histogram };
}

function suggestName(path: string, dataset: string | null): string {
  const base = dataset ? dataset.split('/').filter(Boolean).pop()! : basename(path, extname(path));
  const clean = base.replace(/[^A-Za-z0-9 ._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return clean || 'layer';
}

function looksLikeLabels(dtype: string | null, name: string): 'image' | 'labels' {
  if (/label|seg|neuron|id|gt|truth|mask/i.test(name)) return 'labels';
  if (dtype && /int32|int64/.test(dtype)) return 'labels';
  return 'image';
}

async function inspectSource(rawPath: string, dataset: string | undefined): Promise<SourceInfo> {
  const path = resolve(rawPath);
  const format = detectFormat(path);
  let datasets: SourceInfo['datasets'] = [];
  if (format === 'hdf5') {
    datasets = (await listHdf5Datasets(path)).filter((d) => d.volumeDType !== null && d.shape.length >= 2).map((d) => ({ path: d.path, shape: d.shape, dtype: d.dtype }));
  } else if (format === 'zarr' || format === 'n5') {
    datasets = listZarrChildren(path).map((p) => ({ path: p, shape: [], dtype: '' }));
  }
  const chosen = dataset ?? null;
  let reader: VolumeReader | null = null;
  try {
    reader = await openVolume(path, { dataset: chosen ?? undefined });
  } catch (err) {
    // A container whose default dataset is ambiguous: the user picks one from `datasets`.
    if (datasets.length === 0 || chosen) throw err;
  }
  try {
    const name = suggestName(path, chosen ?? (typeof reader?.details.dataset === 'string' ? reader.details.dataset : null));
    const chunked = reader ? typeof reader.readChunk === 'function' && reader.levels.every((l) => l.chunkShape !== null) : false;
    return {
      path,
      format: reader?.format ?? format,
      datasets,
      dataset: chosen ?? (typeof reader?.details.dataset === 'string' ? reader.details.dataset : null),
      shape: reader ? reader.levels[0].shape : null,
      dtype: reader?.dtype ?? null,
      resolution: reader?.resolution ?? null,
      canOpenInPlace: chunked && format !== 'hdf5',
      suggestedName: name,
      suggestedKind: looksLikeLabels(reader?.dtype ?? null, `${name} ${chosen ?? ''}`),
    };
  } finally {
    await reader?.close();
  }
}

function requireTask(kind: string, what: string): void {
  if (!isTaskKind(kind)) throw new AppError('UNSUPPORTED', `${what} is not available in this build (no '${kind}' job)`);
}

/** Emits layers.changed once a job that changes the layer list succeeds. */
function announceWhenDone(ctx: AppContext, jobId: string, reason: 'imported' | 'deleted'): void {
  void ctx.jobs.wait(jobId).then((info) => {
    if (info.state !== 'succeeded') return;
    const layerId = (info.result as { layer?: { id?: string } } | null)?.layer?.id ?? null;
    ctx.events.emit('layers.changed', { reason, layerId });
  });
}

/** API glue between the renderer and the volume service (readers, store, chunk cache, jobs). */
export const volumeHandlers: PartialHandlers = {
  'layers.list': (_p, ctx) => listLayers(ctx.requireProject()).map(toApiLayer),

  'layers.chunks': async ({ layerId, level, coords, encoding }, ctx) => {
    const project = ctx.requireProject();
    const layer = getLayer(project, layerId);
    const lv = layer.levels[level];
    if (!lv) throw new AppError('BAD_REQUEST', `layer '${layer.name}' has no level ${level} (levels 0-${layer.levels.length - 1})`);
    const service = volumeService(project);
    const store = encoding === 'gzip' && layer.source === 'store' ? await service.storeOf(layer.id) : null;
    const chunks = await Promise.all(
      coords.map(async (coord) => {
        if (store) {
          // The file's bytes as stored: gzip of the raw chunk; a missing file is all zeros.
          const bytes = await store.readEncodedChunk(level, coord as Vec3);
          return { coord, shape: lv.chunkShape, data: bytes ? (bytes as Uint8Array<ArrayBuffer>) : null, encoding: 'gzip' as const };
        }
        const c = await service.readChunk(layer.id, level, coord as Vec3);
        return { coord, shape: c.shape, data: isAllZero(c.data) ? null : wireBytes(c.data), encoding: 'raw' as const };
      }),
    );
    return { dtype: layer.dtype, chunkShape: lv.chunkShape, chunks };
  },

  'layers.region': async ({ layerId, level, box }, ctx) => {
    const project = ctx.requireProject();
    const layer = getLayer(project, layerId);
    const data = await readLayerRegion(project, layer, level, box as Box);
    return { dtype: layer.dtype, shape: boxSize(box as Box), data: wireBytes(data) };
  },

  'layers.stats': async ({ layerId }, ctx) => {
    const project = ctx.requireProject();
    return layerStats(project, getLayer(project, layerId));
  },

  'layers.inspect': ({ path, dataset }) => inspectSource(path, dataset),

  'layers.import': (params, ctx) => {
    requireTask(IMPORT_TASK, 'import');
    const project = ctx.requireProject();
    const job = ctx.jobs.start(project, IMPORT_TASK, { ...params, kind: params.as }, { title: `Import ${params.name}` });
    announceWhenDone(ctx, job.id, 'imported');
    return job;
  },

  'layers.export': (params, ctx) => {
    requireTask(EXPORT_TASK, 'export');
    const project = ctx.requireProject();
    const layer = getLayer(project, params.layerId);
    return ctx.jobs.start(project, EXPORT_TASK, { ...params, layer: layer.id }, { title: `Export ${layer.name} (${params.format})` });
  },

  'layers.delete': async ({ layerId, confirmName }, ctx) => {
    const project = ctx.requireProject();
    const layer = getLayer(project, layerId);
    if (confirmName !== layer.name) throw new AppError('BAD_REQUEST', `to delete layer '${layer.name}', confirm by typing its exact name`);
    await volumeService(project).deleteLayer(layer.id);
    ctx.events.emit('layers.changed', { reason: 'deleted', layerId: layer.id });
    return { deleted: true as const };
  },
};
