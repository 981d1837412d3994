import type { Vec3 } from './box';
import { LruCache } from './lru';
import type { Chunk } from './readers/types';

export const DEFAULT_CACHE_BYTES = 512 * 1024 * 1024;

export interface CacheStats {
  budgetBytes: number;
  bytes: number;
  chunks: number;
  hits: number;
  misses: number;
  evictions: number;
}

/**
 * The one cache of decoded chunks every region and slice read goes through, bounded by a
 * byte budget (least recently used chunks are dropped first).
 */
export class ChunkCache {
  private readonly lru: LruCache<string, Chunk>;

  constructor(budgetBytes = DEFAULT_CACHE_BYTES) {
    this.lru = new LruCache<string, Chunk>(budgetBytes, (c) => c.data.byteLength);
  }

  static key(layerId: string, level: number, coord: Vec3): string {
    return `${layerId}/${level}/${coord[0]}/${coord[1]}/${coord[2]}`;
  }

  getOrLoad(layerId: string, level: number, coord: Vec3, load: () => Promise<Chunk>): Promise<Chunk> {
    return this.lru.getOrLoad(ChunkCache.key(layerId, level, coord), load);
  }

  peek(layerId: string, level: number, coord: Vec3): Chunk | undefined {
    return this.lru.get(ChunkCache.key(layerId, level, coord));
  }

  /** Stores freshly written data (a load of the same chunk already in flight is ignored). */
  put(layerId: string, level: number, coord: Vec3, chunk: Chunk): void {
    const key = ChunkCache.key(layerId, level, coord);
    this.lru.forgetLoading(key);
    this.lru.set(key, chunk);
  }

  invalidateChunk(layerId: string, level: number, coord: Vec3): void {
    const key = ChunkCache.key(layerId, level, coord);
    this.lru.forgetLoading(key);
    this.lru.delete(key);
  }

  invalidateLayer(layerId: string): void {
    const prefix = `${layerId}/`;
    this.lru.forgetLoadingWhere((k) => k.startsWith(prefix));
    this.lru.deleteWhere((k) => k.startsWith(prefix));
  }

  setBudget(bytes: number): void {
    this.lru.setBudget(bytes);
  }

  clear(): void {
    this.lru.clear();
  }

  stats(): CacheStats {
    return {
      budgetBytes: this.lru.budgetBytes,
      bytes: this.lru.bytes,
      chunks: this.lru.size,
      hits: this.lru.hits,
      misses: this.lru.misses,
      evictions: this.lru.evictions,
    };
  }
}

let shared: ChunkCache | null = null;

/** The process-wide cache; its budget comes from TOKENUNIFY_CHUNK_CACHE_MB or defaults to 512 MiB. */
export function sharedChunkCache(): ChunkCache {
  if (!shared) {
    const mb = Number(process.env.TOKENUNIFY_CHUNK_CACHE_MB);
    shared = new ChunkCache(mb > 0 ? mb * 1024 * 1024 : DEFAULT_CACHE_BYTES);
  }
  return shared;
}
