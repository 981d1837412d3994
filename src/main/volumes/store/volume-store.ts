import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AppError } from '../../errors';
import { assertBoxInShape, chunkBox, chunkGridShape, formatShape, voxelCount, type Box, type Vec3 } from '../box';
import { allocate, bytesPerVoxel, isDType, type DType, type VoxelArray } from '../dtypes';
import { assembleRegion } from '../readers/chunked';
import type { Chunk, ChunkedVolumeReader, LevelInfo } from '../readers/types';
import { decodeChunk, encodeChunk, STORE_CODECS, STORE_GZIP_LEVEL } from './chunk-codec';
import { chooseChunkShape, planLevels } from './chunking';
import type { DownsampleMethod } from './downsample';

export type LayerKind = 'image' | 'labels' | 'affinities' | 'fragments';

export function downsampleMethodFor(kind: LayerKind): DownsampleMethod {
  return kind === 'labels' || kind === 'fragments' ? 'mode' : 'mean';
}

export interface StoreSpec {
  dtype: DType;
  shape: Vec3;
  /** nm, [z, y, x] */
  resolution: Vec3;
  kind: LayerKind;
  name: string;
  /** Defaults to chooseChunkShape(shape, resolution). */
  chunkShape?: Vec3;
  /** Number of pyramid levels; defaults to planLevels' choice. 1 = no pyramid. */
  maxLevels?: number;
  /**
   * 3 (default, the project store): Zarr v3 + NGFF 0.5, chunk keys c/z/y/x.
   * 2 (exports for Zarr v2 tools): .zarray/.zattrs + NGFF 0.4, chunk keys z/y/x.
   */
  zarrVersion?: 2 | 3;
}

export interface StoreLevel extends LevelInfo {
  chunkShape: Vec3;
  /** Factors relative to the previous level (1s for level 0). */
  step: Vec3;
}

const STORE_FORMAT_VERSION = 1;

/**
 * The project-local volume store: one OME-Zarr (NGFF 0.5, Zarr v3) multiscale group per layer,
 * arrays "0", "1", ... with one chunk shape for all levels, chunk keys "c/z/y/x", codecs
 * bytes(little) + gzip. Chunks that are entirely zero are not stored (zero is the fill value).
 * Every chunk write is atomic (temporary file, then rename).
 */
export class VolumeStore implements ChunkedVolumeReader {
  readonly format = 'store' as const;
  readonly details: Record<string, unknown>;
  private readonly madeDirs = new Set<string>();

  private constructor(
    readonly path: string,
    readonly dtype: DType,
    readonly kind: LayerKind,
    readonly name: string,
    readonly levels: StoreLevel[],
    readonly zarrVersion: 2 | 3 = 3,
  ) {
    this.details = { chunkShape: levels[0].chunkShape, levels: levels.length };
  }

  get resolution(): Vec3 {
    return this.levels[0].resolution;
  }

  get shape(): Vec3 {
    return this.levels[0].shape;
  }

  get downsampleMethod(): DownsampleMethod {
    return downsampleMethodFor(this.kind);
  }

  /** Creates the group and array metadata (no chunks) in `dir`, which must not exist yet. */
  static async create(dir: string, spec: StoreSpec): Promise<VolumeStore> {
    if (!isDType(spec.dtype)) throw new AppError('UNSUPPORTED', `dtype ${spec.dtype} cannot be stored`);
    for (const s of spec.shape) if (!(Number.isInteger(s) && s > 0)) throw new AppError('BAD_REQUEST', `invalid volume shape ${formatShape(spec.shape)}`);
    for (const r of spec.resolution) if (!(r > 0 && Number.isFinite(r))) throw new AppError('BAD_REQUEST', `invalid resolution ${spec.resolution.join(',')}`);
    const chunkShape = spec.chunkShape ?? chooseChunkShape(spec.shape, spec.resolution);
    const planned = planLevels(spec.shape, spec.resolution, chunkShape).slice(0, Math.max(1, spec.maxLevels ?? Infinity));
    const levels: StoreLevel[] = planned.map((p) => ({ ...p, chunkShape }));
    await mkdir(dir, { recursive: false }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') throw new AppError('CONFLICT', `${dir} already exists`);
      throw err;
    });
    const version = spec.zarrVersion ?? 3;
    const multiscale = {
      ...(version === 2 ? { version: '0.4' } : {}),
      name: spec.name,
      axes: ['z', 'y', 'x'].map((name) => ({ name, type: 'space', unit: 'nanometer' })),
      datasets: levels.map((l, i) => ({ path: String(i), coordinateTransformations: [{ type: 'scale', scale: l.resolution }] })),
      type: downsampleMethodFor(spec.kind),
      metadata: { description: 'mean: integer round half up; mode: ties to the smaller id; factors per level in tokenunify.steps' },
    };
    const tokenunify = { format: STORE_FORMAT_VERSION, kind: spec.kind, steps: levels.map((l) => l.step) };
    const json = (path: string, v: unknown) => writeFile(path, JSON.stringify(v, null, 2));
    if (version === 3) {
      await json(join(dir, 'zarr.json'), { zarr_format: 3, node_type: 'group', attributes: { ome: { version: '0.5', multiscales: [multiscale] }, tokenunify } });
    } else {
      await json(join(dir, '.zgroup'), { zarr_format: 2 });
      await json(join(dir, '.zattrs'), { multiscales: [multiscale], tokenunify });
    }
    for (let i = 0; i < levels.length; i++) {
      const arrayDir = join(dir, String(i));
      await mkdir(arrayDir);
      if (version === 3) await json(join(arrayDir, 'zarr.json'), arrayMetadataV3(spec.dtype, levels[i]));
      else {
        await json(join(arrayDir, '.zarray'), arrayMetadataV2(spec.dtype, levels[i]));
        await json(join(arrayDir, '.zattrs'), { _ARRAY_DIMENSIONS: ['z', 'y', 'x'] });
      }
    }
    return new VolumeStore(dir, spec.dtype, spec.kind, spec.name, levels, version);
  }

  static async open(dir: string): Promise<VolumeStore> {
    const group = await readJson(join(dir, 'zarr.json'));
    const attrs = (group.attributes ?? {}) as Record<string, any>;
    const ms = attrs.ome?.multiscales?.[0];
    const tu = attrs.tokenunify;
    if (group.zarr_format !== 3 || !ms || !tu) throw new AppError('PROJECT_CORRUPT', `${dir} is not a TokenUnify volume store`);
    const levels: StoreLevel[] = [];
    let dtype: DType | null = null;
    for (let i = 0; i < ms.datasets.length; i++) {
      const a = await readJson(join(dir, ms.datasets[i].path, 'zarr.json'));
      if (!isDType(a.data_type)) throw new AppError('PROJECT_CORRUPT', `${dir}/${i}: unsupported data type ${a.data_type}`);
      dtype = a.data_type;
      const step = (tu.steps?.[i] ?? [1, 1, 1]) as Vec3;
      const prev = levels[i - 1];
      levels.push({
        shape: a.shape as Vec3,
        chunkShape: a.chunk_grid.configuration.chunk_shape as Vec3,
        resolution: ms.datasets[i].coordinateTransformations[0].scale as Vec3,
        factors: prev ? (prev.factors.map((f, k) => f * step[k]) as Vec3) : [1, 1, 1],
        step,
      });
    }
    if (!dtype) throw new AppError('PROJECT_CORRUPT', `${dir} has no arrays`);
    return new VolumeStore(dir, dtype, tu.kind as LayerKind, String(ms.name ?? ''), levels);
  }

  /** Rewrites the multiscale scales (voxel size per level) of the store in `dir`, atomically. */
  static async setResolution(dir: string, resolutions: Vec3[]): Promise<void> {
    const path = join(dir, 'zarr.json');
    const group = await readJson(path);
    const ms = group.attributes?.ome?.multiscales?.[0];
    if (!ms || ms.datasets.length !== resolutions.length) throw new AppError('PROJECT_CORRUPT', `${dir} has unexpected multiscale metadata`);
    ms.datasets.forEach((d: { coordinateTransformations: { scale: number[] }[] }, i: number) => (d.coordinateTransformations[0].scale = resolutions[i]));
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(group, null, 2));
    await rename(tmp, path);
  }

  /** Chunk key relative to the level's array folder: Zarr v3 default "c/z/y/x" (v2 exports: "z/y/x"). */
  chunkKey(coord: Vec3): string {
    return `${this.zarrVersion === 3 ? 'c/' : ''}${coord[0]}/${coord[1]}/${coord[2]}`;
  }

  chunkPath(level: number, coord: Vec3): string {
    return join(this.path, String(level), this.chunkKey(coord));
  }

  chunkGrid(level: number): Vec3 {
    const l = this.level(level);
    return chunkGridShape(l.shape, l.chunkShape);
  }

  /** The voxels chunk `coord` covers inside the volume (a chunk's data is always the full chunk shape). */
  chunkBox(level: number, coord: Vec3): Box {
    const l = this.level(level);
    return chunkBox(coord, l.chunkShape, l.shape);
  }

  level(level: number): StoreLevel {
    const l = this.levels[level];
    if (!l) throw new AppError('BAD_REQUEST', `${this.name || this.path} has no level ${level} (levels 0-${this.levels.length - 1})`);
    return l;
  }

  private assertCoord(level: number, coord: Vec3): void {
    const g = this.chunkGrid(level);
    for (let i = 0; i < 3; i++) {
      if (!Number.isInteger(coord[i]) || coord[i] < 0 || coord[i] >= g[i]) {
        throw new AppError('BAD_REQUEST', `chunk ${coord.join(',')} is outside level ${level} of ${this.name || this.path} (grid ${formatShape(g)})`);
      }
    }
  }

  /** The chunk's file bytes as stored (gzip), or null when it is not stored (all zeros). */
  async readEncodedChunk(level: number, coord: Vec3): Promise<Buffer | null> {
    this.assertCoord(level, coord);
    try {
      return await readFile(this.chunkPath(level, coord));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Decoded chunk, always of the full chunk shape (voxels past the volume's edge are padding). */
  async readChunk(level: number, coord: Vec3): Promise<Chunk> {
    const l = this.level(level);
    const n = voxelCount(l.chunkShape);
    const bytes = await this.readEncodedChunk(level, coord);
    const data = bytes ? await decodeChunk(bytes, this.dtype, n, this.chunkPath(level, coord)) : allocate(this.dtype, n);
    return { data, shape: l.chunkShape };
  }

  /** Replaces one chunk atomically. `data` must hold the full chunk shape. Coarser levels are NOT updated here. */
  async writeChunk(level: number, coord: Vec3, data: VoxelArray): Promise<void> {
    const l = this.level(level);
    this.assertCoord(level, coord);
    const n = voxelCount(l.chunkShape);
    if (data.length !== n || data.BYTES_PER_ELEMENT !== bytesPerVoxel(this.dtype)) {
      throw new AppError('BAD_REQUEST', `chunk data for ${this.name || this.path} must be ${n} ${this.dtype} voxels (${formatShape(l.chunkShape)})`);
    }
    await this.writeEncodedChunk(level, coord, isAllZero(data) ? null : await encodeChunk(data));
  }

  /** Writes (or with null, removes) a chunk's encoded bytes atomically. */
  async writeEncodedChunk(level: number, coord: Vec3, bytes: Uint8Array | null): Promise<void> {
    this.assertCoord(level, coord);
    const path = this.chunkPath(level, coord);
    if (bytes === null) {
      await unlink(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      return;
    }
    const dir = dirname(path);
    if (!this.madeDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.madeDirs.add(dir);
    }
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, bytes);
      await rename(tmp, path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') throw new AppError('NO_SPACE', `no space left writing ${path}`);
      throw err;
    }
  }

  async readRegion(box: Box, level = 0): Promise<VoxelArray> {
    assertBoxInShape(box, this.level(level).shape, `level ${level} of ${this.name || this.path}`);
    return assembleRegion((lv, c) => this.readChunk(lv, c), this.dtype, this.levels, level, box);
  }

  async close(): Promise<void> {}
}

const NUMPY_DTYPE: Record<DType, string> = {
  uint8: '|u1',
  int8: '|i1',
  uint16: '<u2',
  int16: '<i2',
  uint32: '<u4',
  int32: '<i4',
  uint64: '<u8',
  int64: '<i8',
  float32: '<f4',
  float64: '<f8',
};

function arrayMetadataV2(dtype: DType, l: StoreLevel): Record<string, unknown> {
  return {
    zarr_format: 2,
    shape: l.shape,
    chunks: l.chunkShape,
    dtype: NUMPY_DTYPE[dtype],
    compressor: { id: 'gzip', level: STORE_GZIP_LEVEL },
    fill_value: 0,
    order: 'C',
    filters: null,
    dimension_separator: '/',
  };
}

function arrayMetadataV3(dtype: DType, l: StoreLevel): Record<string, unknown> {
  return {
    zarr_format: 3,
    node_type: 'array',
    shape: l.shape,
    data_type: dtype,
    chunk_grid: { name: 'regular', configuration: { chunk_shape: l.chunkShape } },
    chunk_key_encoding: { name: 'default', configuration: { separator: '/' } },
    fill_value: 0,
    codecs: STORE_CODECS,
    dimension_names: ['z', 'y', 'x'],
    attributes: {},
  };
}

export function isAllZero(a: VoxelArray): boolean {
  const bytes = a.byteLength;
  if (a.byteOffset % 4 === 0 && bytes % 4 === 0) {
    const w = new Uint32Array(a.buffer, a.byteOffset, bytes / 4);
    for (let i = 0; i < w.length; i++) if (w[i] !== 0) return false;
    return true;
  }
  const b = new Uint8Array(a.buffer, a.byteOffset, bytes);
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

async function readJson(path: string): Promise<Record<string, any>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AppError('NOT_FOUND', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  try {
    return JSON.parse(text) as Record<string, any>;
  } catch {
    throw new AppError('CORRUPT_FILE', `${path} is not valid JSON`);
  }
}
