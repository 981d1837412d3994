import { sharedChunkCache } from '../volumes/chunk-cache';
import { boxSize, chunkBox, chunksInBox, copyRegion, intersect, voxelCount, type Box, type Vec3 } from '../volumes/box';
import { mapLimit } from '../volumes/concurrency';
import { allocate, type VoxelArray } from '../volumes/dtypes';
import { LruCache } from '../volumes/lru';
import { decodeChunk, encodeChunk } from '../volumes/store/chunk-codec';
import { isAllZero } from '../volumes/store/volume-store';
import { chunkHash } from './label-data';
import type { LabelLayer } from './label-layer';

export interface ChunkRead {
  /** The chunk file's bytes, null when the chunk is not stored (all zero). */
  encoded: Buffer | null;
  hash: string | null;
  /** Decoded voxels, full chunk shape, the layer's dtype. Shared with the cache: never modify. */
  data: VoxelArray;
}

export interface EncodedChunk {
  bytes: Buffer | null;
  hash: string | null;
}

const DEFAULT_BUDGET = 256 * 1024 * 1024;

/**
 * Reads and writes one label layer's chunks through its VolumeStore. Every read looks at the
 * chunk file (a few KB of gzip) and reuses the decoded voxels only when the file's content
 * hash matches, so a write by anyone else is never hidden by this cache.
 */
export class ChunkSource {
  private readonly cache: LruCache<string, { hash: string | null; data: VoxelArray }>;

  constructor(
    readonly layer: LabelLayer,
    budgetBytes = DEFAULT_BUDGET,
  ) {
    this.cache = new LruCache(budgetBytes, (e) => e.data.byteLength);
  }

  private key(level: number, coord: Vec3): string {
    return `${level}/${coord[0]}/${coord[1]}/${coord[2]}`;
  }

  async read(level: number, coord: Vec3): Promise<ChunkRead> {
    const store = this.layer.store;
    const encoded = await store.readEncodedChunk(level, coord);
    const hash = chunkHash(encoded);
    const key = this.key(level, coord);
    const hit = this.cache.get(key);
    if (hit && hit.hash === hash) return { encoded, hash, data: hit.data };
    const n = voxelCount(store.level(level).chunkShape);
    const data = encoded ? await decodeChunk(encoded, store.dtype, n, store.chunkPath(level, coord)) : allocate(store.dtype, n);
    this.cache.set(key, { hash, data });
    return { encoded, hash, data };
  }

  async readData(level: number, coord: Vec3): Promise<VoxelArray> {
    return (await this.read(level, coord)).data;
  }

  /** Voxels of `box` at `level`, C-order, the layer's dtype. */
  async readRegion(level: number, box: Box): Promise<VoxelArray> {
    const l = this.layer.store.level(level);
    const out = allocate(this.layer.store.dtype, voxelCount(box));
    const outShape = boxSize(box);
    await mapLimit(chunksInBox(box, l.chunkShape), 8, async (coord) => {
      const data = await this.readData(level, coord);
      const cb = chunkBox(coord, l.chunkShape, l.shape);
      const region = intersect(cb, box);
      if (region) copyRegion(data, l.chunkShape, cb.min, out, outShape, box.min, region);
    });
    return out;
  }

  /** Encodes voxels the way the store does (gzip; null for an all-zero chunk). */
  static async encode(data: VoxelArray): Promise<EncodedChunk> {
    const bytes = isAllZero(data) ? null : await encodeChunk(data);
    return { bytes, hash: chunkHash(bytes) };
  }

  /**
   * Writes a chunk file (atomically: the store writes a temporary file and renames it), keeps
   * the decoded voxels when known, and drops the app-wide viewer cache's copy.
   */
  async write(level: number, coord: Vec3, bytes: Buffer | Uint8Array | null, data?: VoxelArray): Promise<void> {
    await this.layer.store.writeEncodedChunk(level, coord, bytes);
    const key = this.key(level, coord);
    if (data) this.cache.set(key, { hash: chunkHash(bytes), data });
    else this.cache.delete(key);
    sharedChunkCache().invalidateChunk(this.layer.info.id, level, coord);
  }

  /** Drops a chunk's decoded copy (after its data was changed but not written). */
  forget(level: number, coord: Vec3): void {
    this.cache.delete(this.key(level, coord));
  }

  clear(): void {
    this.cache.clear();
  }
}
