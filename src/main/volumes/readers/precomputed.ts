import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { AppError } from '../../errors';
import { assertBoxInShape, chunkBox, chunkGridShape, boxSize, type Box, type Vec3 } from '../box';
import { bytesPerVoxel, isDType, viewAs, type DType, type VoxelArray } from '../dtypes';
import { assembleRegion, emptyChunk } from './chunked';
import { decodeCompressedSegmentation } from './compressed-segmentation';
import { ShardReader, validateSharding, type ShardingSpec } from './precomputed-sharding';
import type { Chunk, ChunkedVolumeReader, LevelInfo } from './types';

const gunzipAsync = promisify(gunzip);

interface Scale {
  key: string;
  size: [number, number, number]; // x, y, z
  resolution: [number, number, number];
  chunk_sizes: [number, number, number][];
  encoding: string;
  voxel_offset?: [number, number, number];
  compressed_segmentation_block_size?: [number, number, number];
  sharding?: ShardingSpec;
}

interface ScaleState {
  scale: Scale;
  dir: string;
  shape: Vec3;
  chunkShape: Vec3;
  offset: Vec3;
  shards: ShardReader | null;
}

const zyx = (v: [number, number, number]): Vec3 => [v[2], v[1], v[0]];

export function isPrecomputed(dir: string): boolean {
  const info = join(dir, 'info');
  if (!existsSync(info)) return false;
  try {
    const j = JSON.parse(readFileSync(info, 'utf8')) as Record<string, unknown>;
    return Array.isArray(j.scales);
  } catch {
    return false;
  }
}

/**
 * Neuroglancer precomputed volumes on the local file system, read in place: raw and
 * compressed_segmentation encodings, unsharded ("x0-x1_y0-y1_z0-z1" files, optionally gzip'd)
 * and sharded (neuroglancer_uint64_sharded_v1). Coordinates are relative to voxel_offset.
 */
export class PrecomputedReader implements ChunkedVolumeReader {
  readonly format = 'precomputed' as const;

  constructor(
    readonly path: string,
    readonly dtype: DType,
    readonly levels: LevelInfo[],
    readonly resolution: Vec3,
    readonly details: Record<string, unknown>,
    private readonly scales: ScaleState[],
  ) {}

  async readChunk(level: number, coord: Vec3): Promise<Chunk> {
    const s = this.scales[level];
    if (!s) throw new AppError('BAD_REQUEST', `${this.path} has no scale ${level}`);
    const box = chunkBox(coord, s.chunkShape, s.shape);
    const shape = boxSize(box);
    let bytes: Uint8Array | null;
    const name = `${box.min[2] + s.offset[2]}-${box.max[2] + s.offset[2]}_${box.min[1] + s.offset[1]}-${box.max[1] + s.offset[1]}_${box.min[0] + s.offset[0]}-${box.max[0] + s.offset[0]}`;
    const where = `${this.path}/${s.scale.key}/${name}`;
    if (s.shards) bytes = await s.shards.chunkBytes(coord);
    else bytes = await readChunkFile(join(s.dir, name));
    if (!bytes) return emptyChunk(this.dtype, shape);
    return { data: this.decode(bytes, s, shape, where), shape };
  }

  private decode(bytes: Uint8Array, s: ScaleState, shape: Vec3, where: string): VoxelArray {
    const n = shape[0] * shape[1] * shape[2];
    if (s.scale.encoding === 'raw') {
      const expected = n * bytesPerVoxel(this.dtype);
      if (bytes.byteLength !== expected) throw new AppError('CORRUPT_FILE', `${where}: chunk holds ${bytes.byteLength} bytes, expected ${expected}`);
      return viewAs(this.dtype, bytes.slice());
    }
    const block = zyx(s.scale.compressed_segmentation_block_size ?? [8, 8, 8]);
    const words = this.dtype === 'uint64' ? 2 : 1;
    const out = decodeCompressedSegmentation(bytes, shape, block, words, where);
    return viewAs(this.dtype, new Uint8Array(out.buffer));
  }

  async readRegion(box: Box, level = 0): Promise<VoxelArray> {
    assertBoxInShape(box, this.levels[level].shape, this.path);
    return assembleRegion((lv, c) => this.readChunk(lv, c), this.dtype, this.levels, level, box);
  }

  async close(): Promise<void> {}
}

/** A chunk file, plain or gzip'd (by magic bytes, or with a .gz suffix); null when absent. */
async function readChunkFile(path: string): Promise<Uint8Array | null> {
  for (const p of [path, `${path}.gz`]) {
    try {
      const b = await readFile(p);
      if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return new Uint8Array(await gunzipAsync(b));
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return null;
}

export async function openPrecomputed(dir: string): Promise<PrecomputedReader> {
  const infoPath = join(dir, 'info');
  let info: Record<string, any>;
  try {
    info = JSON.parse(await readFile(infoPath, 'utf8')) as Record<string, any>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AppError('NOT_FOUND', `${dir} has no precomputed info file`);
    throw new AppError('CORRUPT_FILE', `${infoPath} is not valid JSON`);
  }
  const dtype = String(info.data_type);
  if (!isDType(dtype)) throw new AppError('UNSUPPORTED', `${infoPath}: data_type ${dtype} is not supported`);
  if ((info.num_channels ?? 1) !== 1) throw new AppError('UNSUPPORTED', `${infoPath}: ${info.num_channels} channels; only single-channel volumes are supported`);
  const scales = (info.scales ?? []) as Scale[];
  if (scales.length === 0) throw new AppError('CORRUPT_FILE', `${infoPath} lists no scales`);
  const states: ScaleState[] = scales.map((s) => {
    if (s.encoding !== 'raw' && s.encoding !== 'compressed_segmentation') {
      throw new AppError('UNSUPPORTED', `${infoPath}: scale ${s.key} uses ${s.encoding} encoding; supported are raw and compressed_segmentation`);
    }
    if (s.encoding === 'compressed_segmentation' && dtype !== 'uint32' && dtype !== 'uint64') {
      throw new AppError('CORRUPT_FILE', `${infoPath}: compressed_segmentation needs uint32 or uint64 data, not ${dtype}`);
    }
    if (s.sharding) validateSharding(s.sharding, infoPath);
    const shape = zyx(s.size);
    const chunkShape = zyx(s.chunk_sizes[0]);
    const sdir = join(dir, s.key);
    return {
      scale: s,
      dir: sdir,
      shape,
      chunkShape,
      offset: zyx(s.voxel_offset ?? [0, 0, 0]),
      shards: s.sharding ? new ShardReader(sdir, s.sharding, chunkGridShape(shape, chunkShape)) : null,
    };
  });
  const res0 = zyx(scales[0].resolution);
  const levels: LevelInfo[] = states.map((s) => {
    const res = zyx(s.scale.resolution);
    return { shape: s.shape, chunkShape: s.chunkShape, resolution: res, factors: res.map((r, i) => Math.max(1, Math.round(r / res0[i]))) as Vec3 };
  });
  const details = {
    type: info.type ?? null,
    encoding: scales[0].encoding,
    sharded: !!scales[0].sharding,
    voxelOffset: states[0].offset,
  };
  return new PrecomputedReader(dir, dtype, levels, res0, details, states);
}
