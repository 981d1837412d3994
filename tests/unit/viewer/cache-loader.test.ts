import { describe, expect, it } from 'vitest';
import { ViewerChunkCache, type CachedChunk } from '../../../src/renderer/src/features/viewer/core/chunk-cache';
import { ChunkLoader, type ChunkRequest, type FetchChunks } from '../../../src/renderer/src/features/viewer/core/chunk-loader';
import type { Vec3 } from '../../../src/renderer/src/features/viewer/core/geometry';

function chunk(key: string, bytes: number): CachedChunk {
  return { key, layerId: 'a', level: 0, coord: [0, 0, 0], shape: [1, 1, bytes], data: new Uint8Array(bytes), components: 1, gpu: null, gpuBytes: 0 };
}

describe('viewer chunk cache', () => {
  it('evicts least recently used chunks to stay within the byte budget, releasing their GPU side', () => {
    const released: string[] = [];
    const cache = new ViewerChunkCache(3 * 1256, (c) => released.push(c.key));
    cache.beginFrame();
    cache.set(chunk('a', 1000));
    cache.set(chunk('b', 1000));
    cache.set(chunk('c', 1000));
    cache.beginFrame(); // the frame that drew a, b, c
    cache.beginFrame(); // a later frame draws only a
    cache.get('a');
    cache.set(chunk('d', 1000));
    expect(released).toEqual(['b']);
    expect(cache.bytes).toBeLessThanOrEqual(cache.budgetBytes);
    // GPU bytes count too.
    const c = cache.get('c')!;
    cache.beginFrame();
    cache.beginFrame();
    cache.get('c');
    cache.resize(c, 2000);
    expect(cache.has('c')).toBe(true);
    expect(cache.bytes).toBeLessThanOrEqual(cache.budgetBytes);
    expect(released.length).toBeGreaterThan(1);
  });

  it('never evicts chunks on screen or just arrived; overshoots instead of thrashing', () => {
    const cache = new ViewerChunkCache(2 * 1256);
    cache.beginFrame();
    // Three chunks arrive for a screen that needs all three: all survive to be drawn.
    cache.set(chunk('a', 1000));
    cache.set(chunk('b', 1000));
    cache.set(chunk('c', 1000));
    cache.beginFrame();
    for (const k of ['a', 'b', 'c']) expect(cache.get(k), k).toBeDefined();
    expect(cache.bytes).toBeGreaterThan(cache.budgetBytes);
    // Next frame draws only 'c' and 'd': the others go, the cache is back within budget.
    cache.beginFrame();
    cache.get('c');
    cache.set(chunk('d', 1000));
    expect(cache.has('a') || cache.has('b')).toBe(false);
    expect(cache.has('c') && cache.has('d')).toBe(true);
    expect(cache.bytes).toBeLessThanOrEqual(cache.budgetBytes);
  });
});

function req(layerId: string, level: number, i: number, priority: number): ChunkRequest {
  return { key: `${layerId}|${level}|${i}`, layerId, level, coord: [0, 0, i], priority };
}

describe('chunk loader', () => {
  it('fetches most urgent first, batches per layer level, never twice, and drops unwanted work', async () => {
    const calls: { layerId: string; level: number; coords: Vec3[] }[] = [];
    const gates: (() => void)[] = [];
    const fetch: FetchChunks = async (layerId, level, coords) => {
      calls.push({ layerId, level, coords });
      await new Promise<void>((r) => gates.push(r));
      return { dtype: 'uint8', chunks: coords.map((coord) => ({ coord, shape: [1, 1, 1] as Vec3, data: new Uint8Array([coord[2]]) })) };
    };
    const loaded: string[] = [];
    const cached = new Set<string>();
    const loader = new ChunkLoader(
      fetch,
      (r) => {
        loaded.push(r.key);
        cached.add(r.key);
      },
      { maxBatch: 4, maxInFlight: 2 },
      (k) => cached.has(k),
    );
    const wish = [req('img', 0, 5, 5), req('img', 0, 1, 1), req('lab', 0, 2, 2), req('img', 0, 3, 3), req('img', 1, 4, 4)];
    expect(loader.want(wish)).toBe(5);
    // Two slots: the first batch takes the most urgent chunk's layer level.
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({ layerId: 'img', level: 0 });
    expect(calls[0].coords.map((c) => c[2])).toEqual([1, 3, 5].slice(0, calls[0].coords.length));
    expect(loader.stats.inFlight).toBeGreaterThan(0);
    // Asking again for the same chunks does not duplicate in-flight requests; unwanted queue entries go.
    loader.want([req('img', 0, 1, 1), req('img', 1, 4, 4)]);
    const inFlightKeys = calls.flatMap((c) => c.coords.map((x) => `${c.layerId}|${c.level}|${x[2]}`));
    expect(new Set(inFlightKeys).size).toBe(inFlightKeys.length);
    while (gates.length) {
      gates.shift()!();
      await new Promise((r) => setTimeout(r, 0));
    }
    await new Promise((r) => setTimeout(r, 0));
    while (gates.length) {
      gates.shift()!();
      await new Promise((r) => setTimeout(r, 0));
    }
    expect(loaded).toContain('img|0|1');
    expect(loaded).toContain('img|1|4');
    expect(loader.busy).toBe(false);
    expect(loader.want([req('img', 0, 1, 1)])).toBe(0); // cached now
  });

  it('backs off a chunk whose fetch failed instead of hammering the host', async () => {
    let n = 0;
    const loader = new ChunkLoader(
      async () => {
        n++;
        throw new Error('layer gone');
      },
      () => undefined,
      { maxBatch: 4, maxInFlight: 1 },
    );
    loader.want([req('x', 0, 1, 1)]);
    await new Promise((r) => setTimeout(r, 10));
    loader.want([req('x', 0, 1, 1)]);
    await new Promise((r) => setTimeout(r, 10));
    expect(n).toBe(1);
    expect(loader.stats.errors).toBe(1);
    expect(loader.stats.lastError).toBe('layer gone');
  });
});

describe('gzip chunk transfer', () => {
  it('inflates store chunks (node:zlib gzip, as the store writes them) with DecompressionStream', async () => {
    const { gzipSync } = await import('node:zlib');
    const { inflateGzip } = await import('../../../src/renderer/src/features/viewer/core/inflate');
    const raw = new Uint8Array(16 * 128 * 128 * 4).map((_, i) => (i >> 9) & 255);
    const out = await inflateGzip(gzipSync(raw, { level: 1 }), raw.byteLength);
    expect(Buffer.from(out).equals(Buffer.from(raw))).toBe(true);
    await expect(inflateGzip(gzipSync(raw), raw.byteLength + 4)).rejects.toThrow(/expected/);
    await expect(inflateGzip(new Uint8Array([1, 2, 3, 4]))).rejects.toThrow();
  });

  it('holds a chunk in flight until its async decode settles, so it is never requested twice', async () => {
    let calls = 0;
    let release!: () => void;
    const decoded = new Promise<void>((r) => (release = r));
    const loader = new ChunkLoader(
      async (_l, _v, coords) => {
        calls++;
        return { dtype: 'uint8', chunks: coords.map((coord) => ({ coord, shape: [1, 1, 1] as Vec3, data: new Uint8Array(1), encoding: 'gzip' as const })) };
      },
      () => decoded,
      { maxBatch: 4, maxInFlight: 2 },
    );
    loader.want([req('a', 0, 1, 1)]);
    await new Promise((r) => setTimeout(r, 5));
    expect(loader.isLoading('a|0|1')).toBe(true);
    loader.want([req('a', 0, 1, 1)]);
    expect(calls).toBe(1);
    release();
    await new Promise((r) => setTimeout(r, 5));
    expect(loader.isLoading('a|0|1')).toBe(false);
  });
});
