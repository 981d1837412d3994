import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AppError } from '../errors';
import type { Project } from '../store/project';
import { boxSize, copyRegion, formatShape, voxelCount, type Box, type Vec3 } from './box';
import { allocate, dtypeOfArray, isIntegerDType, type DType, type VoxelArray } from './dtypes';
import { assertNameFree, assertShapeFits, insertLayer, levelsOf, listLayers, type LayerInfo } from './layers';
import { openVolume } from './readers/open';
import { isChunked, type VolumeReader } from './readers/types';
import { buildStore, type BlockSource } from './store/build';
import type { LayerKind, VolumeStore } from './store/volume-store';

export interface ImportParams {
  /** File or folder to read. */
  path: string;
  kind: LayerKind;
  name: string;
  /** Dataset / array inside an HDF5, Zarr or N5 container. */
  dataset?: string;
  /** Voxel size in nm [z, y, x]; overrides the file's metadata. */
  resolution?: Vec3;
  /** Register a chunked source (Zarr, N5, precomputed) as an external layer instead of converting it. */
  inPlace?: boolean;
}

export interface ImportResult {
  layer: LayerInfo;
  warnings: string[];
}

export interface ProgressSink {
  signal?: AbortSignal;
  progress?: (fraction: number, message: string) => void;
  /** Bytes of one source block while writing level 0 (default 64 MiB); bounds memory. */
  blockBytes?: number;
}

const STORE_DIR = 'volumes';

export function isLabelKind(kind: LayerKind): boolean {
  return kind === 'labels' || kind === 'fragments';
}

/**
 * Labels are stored as uint32 unless the source is 64-bit: uint32 halves memory and disk
 * against uint64 and is what a WebGL2 R32UI texture samples directly; 64-bit sources keep
 * uint64 because their ids may exceed 2^32 and proving otherwise costs a full pass.
 */
export function storedLabelDType(source: DType, where: string): 'uint32' | 'uint64' {
  if (!isIntegerDType(source)) throw new AppError('UNSUPPORTED', `${where} holds ${source} values; labels must be integers`);
  return source === 'uint64' || source === 'int64' ? 'uint64' : 'uint32';
}

/** Converts a block of label ids to the stored dtype, refusing negative ids. */
export function convertLabels(data: VoxelArray, target: 'uint32' | 'uint64', where: string): VoxelArray {
  if (target === 'uint32' && data instanceof Uint32Array) return data;
  if (target === 'uint64' && data instanceof BigUint64Array) return data;
  if (target === 'uint64') {
    const src = data as BigInt64Array;
    for (let i = 0; i < src.length; i++) if (src[i] < 0n) throw new AppError('BAD_REQUEST', `${where} holds a negative label id (${src[i]}); label ids must be >= 0`);
    return new BigUint64Array(src.buffer, src.byteOffset, src.length);
  }
  const src = data as Int32Array | Int16Array | Int8Array | Uint16Array | Uint8Array;
  const out = new Uint32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (v < 0) throw new AppError('BAD_REQUEST', `${where} holds a negative label id (${v}); label ids must be >= 0`);
    out[i] = v;
  }
  return out;
}

function validResolution(r: Vec3 | undefined, what: string): Vec3 | undefined {
  if (r === undefined) return undefined;
  if (r.length !== 3 || !r.every((v) => Number.isFinite(v) && v > 0)) throw new AppError('BAD_REQUEST', `${what}: resolution must be three positive numbers z,y,x in nm`);
  return r;
}

function relativeStorePath(id: string): string {
  return `${STORE_DIR}/${id}.ome.zarr`;
}

export interface StoredLayerSpec {
  name: string;
  kind: LayerKind;
  dtype: DType;
  shape: Vec3;
  resolution: Vec3;
  resolutionKnown?: boolean;
  chunkShape?: Vec3;
  meta?: Record<string, unknown>;
}

/**
 * Builds a new store layer in tmp/, then renames it into volumes/ and registers it in one
 * step at the end: an interrupted or failed build leaves the project as it was (only a
 * tmp/ folder, removed here or by cleanupInterruptedImports).
 */
export async function createStoredLayer(project: Project, spec: StoredLayerSpec, read: BlockSource, sink: ProgressSink = {}): Promise<LayerInfo> {
  assertNameFree(project, spec.name);
  assertShapeFits(project, spec.kind, spec.shape, `layer '${spec.name}'`);
  const id = randomUUID();
  const tmp = project.path('tmp', `import-${id}.ome.zarr`);
  const finalRel = relativeStorePath(id);
  const final = project.path(finalRel);
  let store: VolumeStore;
  try {
    store = await buildStore(tmp, { dtype: spec.dtype, shape: spec.shape, resolution: spec.resolution, kind: spec.kind, name: spec.name, chunkShape: spec.chunkShape }, read, sink);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  await rename(tmp, final);
  try {
    return insertLayer(project, {
      id,
      name: spec.name,
      kind: spec.kind,
      source: 'store',
      uri: finalRel,
      format: 'ome-zarr',
      dtype: spec.dtype,
      levels: levelsOf(store.levels),
      resolutionKnown: spec.resolutionKnown ?? true,
      editable: true,
      meta: spec.meta,
    });
  } catch (err) {
    await rm(final, { recursive: true, force: true });
    throw err;
  }
}

/** Imports (converts) a file or folder into the project store, or registers a chunked source in place. */
export async function importVolume(project: Project, params: ImportParams, sink: ProgressSink = {}): Promise<ImportResult> {
  const path = resolve(params.path);
  assertNameFree(project, params.name);
  const requested = validResolution(params.resolution, path);
  const reader = await openVolume(path, { dataset: params.dataset, kind: isLabelKind(params.kind) ? 'labels' : 'image' });
  try {
    if (params.inPlace) return registerInPlace(project, reader, path, params, requested);
    const warnings: string[] = [];
    const where = params.dataset ? `${path} (${params.dataset})` : path;
    const shape = reader.levels[0].shape;
    let resolution = requested ?? reader.resolution;
    if (!resolution) {
      // Labels usually come without metadata next to an image that had it (or was given it).
      const twin = listLayers(project).find((l) => l.resolutionKnown && l.shape.every((s, i) => s === shape[i]));
      if (twin) {
        resolution = twin.resolution;
        warnings.push(`${where} does not record its voxel size; using ${twin.resolution.join('x')} nm from layer '${twin.name}' of the same shape.`);
      } else {
        warnings.push(`${where} does not record its voxel size; stored as 1x1x1 nm (voxels). Pass --resolution z,y,x (nm) or set it on the layer later.`);
      }
    }
    const dtype = isLabelKind(params.kind) ? storedLabelDType(reader.dtype, where) : reader.dtype;
    const read: BlockSource = async (box) => {
      const data = await reader.readRegion(box, 0);
      return isLabelKind(params.kind) ? convertLabels(data, dtype as 'uint32' | 'uint64', where) : data;
    };
    const layer = await createStoredLayer(
      project,
      {
        name: params.name,
        kind: params.kind,
        dtype,
        shape,
        resolution: resolution ?? [1, 1, 1],
        resolutionKnown: resolution !== null,
        meta: { source: { path, format: reader.format, dataset: params.dataset ?? reader.details.dataset ?? null, dtype: reader.dtype } },
      },
      read,
      sink,
    );
    return { layer, warnings };
  } finally {
    await reader.close();
  }
}

function registerInPlace(project: Project, reader: VolumeReader, path: string, params: ImportParams, requested: Vec3 | undefined): ImportResult {
  if (!isChunked(reader)) {
    throw new AppError('BAD_REQUEST', `${reader.path} is a ${reader.format} source, which is not chunked; import it into the project store instead (without --in-place)`);
  }
  if (isLabelKind(params.kind)) storedLabelDType(reader.dtype, reader.path);
  assertShapeFits(project, params.kind, reader.levels[0].shape, reader.path);
  const warnings: string[] = [];
  const base = requested ?? reader.resolution;
  if (!base) warnings.push(`${reader.path} does not record its voxel size; using 1x1x1 nm (voxels)`);
  const levels = levelsOf(reader.levels).map((l) => (requested ? { ...l, resolution: l.factors.map((f, i) => f * requested[i]) as Vec3 } : l));
  const layer = insertLayer(project, {
    id: randomUUID(),
    name: params.name,
    kind: params.kind,
    source: 'external',
    uri: path,
    format: reader.format,
    dtype: reader.dtype,
    levels,
    resolutionKnown: base !== null,
    editable: false,
    meta: { dataset: params.dataset ?? null, details: reader.details },
  });
  return { layer, warnings };
}

/** Reader over an in-memory C-order [z, y, x] array (for createLayerFromArray). */
export function arrayBlockSource(data: VoxelArray, shape: Vec3): BlockSource {
  if (data.length !== voxelCount(shape)) throw new AppError('BAD_REQUEST', `array of ${data.length} voxels does not match shape ${formatShape(shape)}`);
  return async (box: Box) => {
    const out = allocate(dtypeOfArray(data), voxelCount(box));
    copyRegion(data, shape, [0, 0, 0], out, boxSize(box), box.min, box);
    return out;
  };
}

/**
 * Removes what interrupted imports and deletions left: tmp/ build folders and volumes/
 * folders no layer refers to. Call when a project is opened, before any job runs.
 */
export async function cleanupInterruptedImports(project: Project): Promise<string[]> {
  const removed: string[] = [];
  const tmp = project.path('tmp');
  if (existsSync(tmp)) {
    for (const n of readdirSync(tmp)) {
      if (/^(import|export|delete)-.*/.test(n)) {
        await rm(join(tmp, n), { recursive: true, force: true });
        removed.push(`tmp/${n}`);
      }
    }
  }
  const referenced = new Set(listLayers(project).filter((l) => l.source === 'store').map((l) => l.uri));
  const vol = project.path(STORE_DIR);
  if (existsSync(vol)) {
    for (const n of readdirSync(vol)) {
      const rel = `${STORE_DIR}/${n}`;
      if (n.endsWith('.ome.zarr') && !referenced.has(rel)) {
        await rm(join(vol, n), { recursive: true, force: true });
        removed.push(rel);
      }
    }
  }
  return removed;
}
