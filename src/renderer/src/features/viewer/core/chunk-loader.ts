import type { Vec3 } from './geometry';

export interface ChunkRequest {
  key: string;
  layerId: string;
  level: number;
  coord: Vec3;
  /** Lower is sooner. */
  priority: number;
}

export interface FetchedChunk {
  coord: Vec3;
  shape: Vec3;
  data: Uint8Array | null;
  encoding?: 'raw' | 'gzip';
}

/** Fetches several chunks of one layer level in one request. */
export type FetchChunks = (layerId: string, level: number, coords: Vec3[]) => Promise<{ dtype: string; chunks: FetchedChunk[] }>;

export interface LoaderOptions {
  /** Most chunks per request. */
  maxBatch: number;
  /** Most requests in flight. */
  maxInFlight: number;
}

export interface LoaderStats {
  queued: number;
  inFlight: number;
  requests: number;
  chunksLoaded: number;
  bytesLoaded: number;
  errors: number;
  lastError: string | null;
}

/**
 * Fetches the chunks the views want, most urgent first. Each frame the viewer states its
 * whole wish list (`want`); requests still queued but no longer wanted are dropped, chunks in
 * flight are never requested twice. Requests batch chunks of the same layer level, and the
 * batch size adapts so a burst of work spreads over all request slots.
 */
export class ChunkLoader {
  private queue: ChunkRequest[] = [];
  private readonly inFlight = new Set<string>();
  private readonly failed = new Map<string, number>();
  private active = 0;
  private disposed = false;
  readonly stats: LoaderStats = { queued: 0, inFlight: 0, requests: 0, chunksLoaded: 0, bytesLoaded: 0, errors: 0, lastError: null };

  constructor(
    private readonly fetch: FetchChunks,
    /** May be async (decoding): the chunk counts as in flight until it settles. */
    private readonly onLoaded: (req: ChunkRequest, chunk: FetchedChunk, dtype: string) => void | Promise<void>,
    private readonly options: LoaderOptions = { maxBatch: 16, maxInFlight: 4 },
    private readonly isCached: (key: string) => boolean = () => false,
  ) {}

  /** Replaces the wish list. Returns how many wanted chunks are neither cached nor arriving yet. */
  want(requests: ChunkRequest[]): number {
    const seen = new Set<string>();
    const queue: ChunkRequest[] = [];
    const now = Date.now();
    for (const r of requests) {
      if (seen.has(r.key) || this.inFlight.has(r.key) || this.isCached(r.key)) continue;
      const failedAt = this.failed.get(r.key);
      if (failedAt !== undefined && now - failedAt < 5000) continue;
      seen.add(r.key);
      queue.push(r);
    }
    queue.sort((a, b) => a.priority - b.priority);
    this.queue = queue;
    this.stats.queued = queue.length;
    this.pump();
    return queue.length;
  }

  /** True while any chunk is queued or in flight. */
  get busy(): boolean {
    return this.queue.length > 0 || this.inFlight.size > 0;
  }

  isLoading(key: string): boolean {
    return this.inFlight.has(key);
  }

  dispose(): void {
    this.disposed = true;
    this.queue = [];
  }

  private pump(): void {
    while (!this.disposed && this.active < this.options.maxInFlight && this.queue.length > 0) {
      const first = this.queue[0];
      const slots = this.options.maxInFlight - this.active;
      const size = Math.max(1, Math.min(this.options.maxBatch, Math.ceil(this.queue.length / slots)));
      const batch: ChunkRequest[] = [];
      const rest: ChunkRequest[] = [];
      for (const r of this.queue) {
        if (batch.length < size && r.layerId === first.layerId && r.level === first.level) batch.push(r);
        else rest.push(r);
      }
      this.queue = rest;
      this.stats.queued = rest.length;
      void this.run(batch);
    }
  }

  private async run(batch: ChunkRequest[]): Promise<void> {
    this.active++;
    for (const r of batch) this.inFlight.add(r.key);
    this.stats.inFlight = this.inFlight.size;
    this.stats.requests++;
    const { layerId, level } = batch[0];
    try {
      const reply = await this.fetch(
        layerId,
        level,
        batch.map((r) => r.coord),
      );
      if (this.disposed) return;
      const byCoord = new Map(reply.chunks.map((c) => [c.coord.join(','), c]));
      const settling: (void | Promise<void>)[] = [];
      for (const r of batch) {
        const c = byCoord.get(r.coord.join(','));
        if (!c) continue;
        this.stats.chunksLoaded++;
        this.stats.bytesLoaded += c.data?.byteLength ?? 0;
        settling.push(this.onLoaded(r, c, reply.dtype));
      }
      await Promise.all(settling);
    } catch (err) {
      this.stats.errors++;
      this.stats.lastError = (err as Error).message;
      const t = Date.now();
      for (const r of batch) this.failed.set(r.key, t);
    } finally {
      for (const r of batch) this.inFlight.delete(r.key);
      this.active--;
      this.stats.inFlight = this.inFlight.size;
      this.pump();
    }
  }
}
