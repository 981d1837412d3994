import type { Vec3 } from './geometry';

export type VoxelData = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array;

/** A chunk held by the viewer: its voxels (CPU, for picking) and, once drawn, its GPU texture. */
export interface CachedChunk<T = unknown> {
  key: string;
  layerId: string;
  level: number;
  coord: Vec3;
  /** Shape of `data` [z, y, x]. */
  shape: Vec3;
  /** null: every voxel is zero. 64-bit ids are stored as (lo, hi) uint32 pairs. */
  data: VoxelData | null;
  /** Words per voxel in `data` (2 for 64-bit ids). */
  components: 1 | 2;
  /** GPU resources attached by the renderer; released through the cache's onEvict. */
  gpu: T | null;
  gpuBytes: number;
}

export function chunkBytes(c: CachedChunk): number {
  return (c.data?.byteLength ?? 0) + c.gpuBytes + 256;
}

/**
 * Least-recently-used chunks within a byte budget counting both CPU copies and GPU textures.
 * Chunks drawn in the latest frame, and chunks that arrived since, are never evicted: with a
 * budget smaller than one screenful the cache overshoots by what is on screen instead of
 * thrashing (evicting chunks before they are ever drawn).
 */
export class ViewerChunkCache<T = unknown> {
  private readonly map = new Map<string, CachedChunk<T>>();
  private total = 0;
  private frame = 0;
  private readonly usedInFrame = new Map<string, number>();
  evictions = 0;

  constructor(
    private budget: number,
    private readonly onEvict: (c: CachedChunk<T>) => void = () => undefined,
  ) {}

  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.map.size;
  }

  get budgetBytes(): number {
    return this.budget;
  }

  setBudget(bytes: number): void {
    this.budget = bytes;
    this.evict();
  }

  beginFrame(): void {
    this.frame++;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  /** Returns the chunk and marks it most recently used (and in use this frame). */
  get(key: string): CachedChunk<T> | undefined {
    const c = this.map.get(key);
    if (!c) return undefined;
    this.map.delete(key);
    this.map.set(key, c);
    this.usedInFrame.set(key, this.frame);
    return c;
  }

  /** Looks without changing recency (for picking under the cursor). */
  peek(key: string): CachedChunk<T> | undefined {
    return this.map.get(key);
  }

  set(chunk: CachedChunk<T>): void {
    this.delete(chunk.key);
    this.map.set(chunk.key, chunk);
    // Fresh data was asked for by the views: keep it at least through the next frame, which draws it.
    this.usedInFrame.set(chunk.key, this.frame + 1);
    this.total += chunkBytes(chunk);
    this.evict();
  }

  /** Re-counts a chunk's bytes after the renderer attached or dropped GPU data. */
  resize(chunk: CachedChunk<T>, gpuBytes: number): void {
    if (this.map.get(chunk.key) !== chunk) return;
    this.total += gpuBytes - chunk.gpuBytes;
    chunk.gpuBytes = gpuBytes;
    this.evict();
  }

  delete(key: string): boolean {
    const c = this.map.get(key);
    if (!c) return false;
    this.map.delete(key);
    this.usedInFrame.delete(key);
    this.total -= chunkBytes(c);
    this.onEvict(c);
    return true;
  }

  deleteWhere(pred: (c: CachedChunk<T>) => boolean): number {
    let n = 0;
    for (const c of [...this.map.values()]) if (pred(c) && this.delete(c.key)) n++;
    return n;
  }

  clear(): void {
    for (const c of this.map.values()) this.onEvict(c);
    this.map.clear();
    this.usedInFrame.clear();
    this.total = 0;
  }

  values(): IterableIterator<CachedChunk<T>> {
    return this.map.values();
  }

  private evict(): void {
    if (this.total <= this.budget) return;
    for (const [key, c] of this.map) {
      if (this.total <= this.budget) break;
      if ((this.usedInFrame.get(key) ?? -1) >= this.frame) continue;
      this.map.delete(key);
      this.usedInFrame.delete(key);
      this.total -= chunkBytes(c);
      this.evictions++;
      this.onEvict(c);
    }
  }
}
