import { describe, expect, it } from 'vitest';
import { voxelCount, type Box, type Vec3 } from '../../../src/main/volumes/box';
import { ChunkCache } from '../../../src/main/volumes/chunk-cache';
import { createLayerFromRegions } from '../../../src/main/volumes/create-layer';
import { LruCache } from '../../../src/main/volumes/lru';
import { VolumeService } from '../../../src/main/volumes/service';
import { cut, newProject, sameVoxels, suiteDir } from '../../helpers/volumes';

describe('LRU cache with a byte budget', () => {
  it('never holds more than its budget and evicts the least recently used first', () => {
    const c = new LruCache<string, Uint8Array>(100, (b) => b.byteLength);
    c.set('a', new Uint8Array(40));
    c.set('b', new Uint8Array(40));
    c.get('a'); // a is now more recent than b
    c.set('c', new Uint8Array(40));
    expect(c.bytes).toBeLessThanOrEqual(100);
    expect([c.has('a'), c.has('b'), c.has('c')]).toEqual([true, false, true]);
    c.set('huge', new Uint8Array(101)); // larger than the budget: not kept, nothing evicted for it
    expect(c.has('huge')).toBe(false);
    expect(c.bytes).toBe(80);
    c.setBudget(50);
    expect(c.bytes).toBeLessThanOrEqual(50);
    expect(c.has('c')).toBe(true);
  });

  it('loads a missing key once for concurrent readers and does not cache failures', async () => {
    const c = new LruCache<string, Uint8Array>(1000, (b) => b.byteLength);
    let loads = 0;
    const load = async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 10));
      return new Uint8Array(10);
    };
    const [x, y] = await Promise.all([c.getOrLoad('k', load), c.getOrLoad('k', load)]);
    expect(loads).toBe(1);
    expect(x).toBe(y);
    await expect(c.getOrLoad('bad', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(c.has('bad')).toBe(false);
    expect(await c.getOrLoad('bad', async () => new Uint8Array(1))).toHaveLength(1);
  });
});

describe('chunk cache under the volume service', () => {
  const dir = suiteDir('tu-cache-');

  it('serves every region and slice exactly while staying within a budget smaller than the volume', async () => {
    const project = newProject(dir);
    const shape: Vec3 = [24, 300, 260];
    const value = (z: number, y: number, x: number) => (z * 7 + y * 3 + x) % 65521;
    const full = new Uint16Array(voxelCount(shape));
    for (let z = 0, o = 0; z < shape[0]; z++) for (let y = 0; y < shape[1]; y++) for (let x = 0; x < shape[2]; x++) full[o++] = value(z, y, x);
    const layer = await createLayerFromRegions(
      project,
      { name: 'v', kind: 'image', dtype: 'uint16', shape, resolution: [40, 4, 4], chunkShape: [8, 64, 64] },
      (box: Box) => cut(full, shape, box) as Uint16Array,
    );
    const budget = 256 * 1024; // 4 chunks of 64 KiB; the volume is 3.7 MB
    const cache = new ChunkCache(budget);
    const svc = new VolumeService(project, { cache });
    for (let z = 0; z < shape[0]; z += 5) {
      const s = await svc.readSlice(layer.id, 0, 'z', z);
      expect(sameVoxels(s.data, cut(full, shape, { min: [z, 0, 0], max: [z + 1, shape[1], shape[2]] }))).toBe(true);
      expect(cache.stats().bytes).toBeLessThanOrEqual(budget);
    }
    const y = await svc.readSlice(layer.id, 0, 'y', 123, { min: [2, 10], max: [20, 250] });
    expect([y.height, y.width, ...y.axes]).toEqual([18, 240, 'z', 'x']);
    expect(sameVoxels(y.data, cut(full, shape, { min: [2, 123, 10], max: [20, 124, 250] }))).toBe(true);
    const stats = cache.stats();
    expect(stats.bytes).toBeLessThanOrEqual(budget);
    expect(stats.evictions).toBeGreaterThan(0);
    // a repeated read of a view that fits the budget (3 chunks) is served from the cache
    await svc.readSlice(layer.id, 0, 'y', 123, { min: [2, 10], max: [20, 60] });
    const before = cache.stats().misses;
    await svc.readSlice(layer.id, 0, 'y', 124, { min: [2, 10], max: [20, 60] });
    expect(cache.stats().misses).toBe(before);
    await expect(svc.readSlice(layer.id, 0, 'z', 24)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(svc.readRegion(layer.id, 99, { min: [0, 0, 0], max: [1, 1, 1] })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await svc.close();
  });
});
