import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../errors';
import { chunkBox, type Vec3 } from '../volumes/box';
import { allocate, bytesOf, viewAs, type DType, type VoxelArray } from '../volumes/dtypes';
import { decodeCompressedSegmentation } from '../volumes/readers/compressed-segmentation';
import type { ShardingSpec } from '../volumes/readers/precomputed-sharding';
import { encodeCompressedSegmentation } from './compressed-segmentation-encode';
import { gridOf, type ChunkSink, type ExportLevel } from './multiscale';
import { chooseSharding, packShards } from './precomputed-shards';
import { isAllZero } from '../volumes/store/volume-store';

/**
 * Neuroglancer precomputed volumes (https://github.com/google/neuroglancer/tree/master/src/datasource/precomputed):
 * an `info` file with one scale per pyramid level (key "<x>_<y>_<z>" nm, size, resolution,
 * voxel_offset and chunk_sizes listed x first), chunks named "x0-x1_y0-y1_z0-z1" in absolute
 * voxel coordinates (offset included). Images are `raw` (little endian); uint32/uint64 labels
 * default to `compressed_segmentation` (8x8x8 blocks). Unsharded chunks are stored uncompressed
 * so any static web server can serve them; sharded scales (neuroglancer_uint64_sharded_v1) gzip
 * their chunks and minishard indices themselves. All-zero chunks are not written (neuroglancer
 * shows missing chunks as zeros).
 */

/** Data types the precomputed format defines. */
export const PRECOMPUTED_DTYPES: readonly DType[] = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'uint64', 'float32'];

export type PrecomputedEncoding = 'raw' | 'compressed_segmentation';

export interface PrecomputedSpec {
  dtype: DType;
  levels: ExportLevel[];
  type: 'image' | 'segmentation';
  encoding: PrecomputedEncoding;
  sharded: boolean;
  /** Voxel offset of the exported region inside its layer ([z, y, x], level 0). */
  offset: Vec3;
}

const CS_BLOCK: Vec3 = [8, 8, 8];
const xyz = (v: readonly number[]) => [v[2], v[1], v[0]];

export function assertPrecomputedDType(dtype: DType, layerName: string): void {
  if (!PRECOMPUTED_DTYPES.includes(dtype)) {
    throw new AppError('UNSUPPORTED', `layer '${layerName}' holds ${dtype} voxels, which neuroglancer precomputed cannot store (it has ${PRECOMPUTED_DTYPES.join(', ')}); export it as zarr, n5, hdf5 or tiff`);
  }
}

function scaleKey(resolution: Vec3): string {
  return xyz(resolution).map((r) => String(Number(r.toFixed(6)))).join('_');
}

interface ScaleState {
  key: string;
  dir: string;
  level: ExportLevel;
  /** Level voxel offset (level-0 offset divided by the level's factors, rounded down). */
  offset: Vec3;
  sharding: ShardingSpec | null;
  written: Vec3[];
}

export class PrecomputedSink implements ChunkSink {
  private constructor(
    readonly dir: string,
    readonly spec: PrecomputedSpec,
    private readonly scales: ScaleState[],
    private readonly info: Record<string, unknown>,
  ) {}

  static async create(dir: string, spec: PrecomputedSpec): Promise<PrecomputedSink> {
    if (spec.encoding === 'compressed_segmentation' && spec.dtype !== 'uint32' && spec.dtype !== 'uint64') {
      throw new AppError('UNSUPPORTED', `compressed_segmentation needs uint32 or uint64 labels, not ${spec.dtype}`);
    }
    await mkdir(dir);
    const scales: ScaleState[] = spec.levels.map((level) => ({
      key: scaleKey(level.resolution),
      dir: join(dir, scaleKey(level.resolution)),
      level,
      offset: spec.offset.map((o, a) => Math.floor(o / level.factors[a])) as Vec3,
      sharding: spec.sharded ? chooseSharding(gridOf(level)) : null,
      written: [],
    }));
    for (const s of scales) await mkdir(s.dir);
    const info: Record<string, unknown> = {
      '@type': 'neuroglancer_multiscale_volume',
      type: spec.type,
      data_type: spec.dtype,
      num_channels: 1,
      scales: scales.map((s) => ({
        key: s.key,
        size: xyz(s.level.shape),
        resolution: xyz(s.level.resolution),
        voxel_offset: xyz(s.offset),
        chunk_sizes: [xyz(s.level.chunkShape)],
        encoding: spec.encoding,
        ...(spec.encoding === 'compressed_segmentation' ? { compressed_segmentation_block_size: xyz(CS_BLOCK) } : {}),
        ...(s.sharding ? { sharding: s.sharding } : {}),
      })),
    };
    const sink = new PrecomputedSink(dir, spec, scales, info);
    await sink.writeInfo();
    return sink;
  }

  /** Adds top-level info fields (`mesh`, `segment_properties`) and rewrites `info`. */
  async addInfo(fields: Record<string, unknown>): Promise<void> {
    Object.assign(this.info, fields);
    await this.writeInfo();
  }

  private writeInfo(): Promise<void> {
    return writeFile(join(this.dir, 'info'), JSON.stringify(this.info, null, 2));
  }

  private chunkFile(level: number, coord: Vec3): string {
    const s = this.scales[level];
    const b = chunkBox(coord, s.level.chunkShape, s.level.shape);
    const r = (a: number) => `${b.min[a] + s.offset[a]}-${b.max[a] + s.offset[a]}`;
    return join(s.dir, `${r(2)}_${r(1)}_${r(0)}`);
  }

  private encode(data: VoxelArray, shape: Vec3): Uint8Array {
    if (this.spec.encoding === 'raw') return bytesOf(data);
    const words = this.spec.dtype === 'uint64' ? 2 : 1;
    return encodeCompressedSegmentation(new Uint32Array(data.buffer, data.byteOffset, data.length * words), shape, CS_BLOCK, words);
  }

  async writeChunk(level: number, coord: Vec3, data: VoxelArray, shape: Vec3): Promise<void> {
    if (isAllZero(data)) return;
    await writeFile(this.chunkFile(level, coord), this.encode(data, shape));
    this.scales[level].written.push(coord);
  }

  async readChunk(level: number, coord: Vec3, shape: Vec3): Promise<VoxelArray> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.chunkFile(level, coord));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return allocate(this.spec.dtype, shape[0] * shape[1] * shape[2]);
      throw err;
    }
    const u8 = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (this.spec.encoding === 'raw') return viewAs(this.spec.dtype, u8.slice());
    const words = this.spec.dtype === 'uint64' ? 2 : 1;
    const out = decodeCompressedSegmentation(u8, shape, CS_BLOCK, words, this.chunkFile(level, coord));
    return viewAs(this.spec.dtype, new Uint8Array(out.buffer));
  }

  /** Sharded scales: pack the level's chunk files into shards once no coarser level reads them. */
  async finishLevel(level: number): Promise<void> {
    const s = this.scales[level];
    if (!s.sharding) return;
    await packShards(
      s.dir,
      s.sharding,
      gridOf(s.level),
      s.written.map((coord) => ({ coord, file: this.chunkFile(level, coord) })),
    );
  }
}
