import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Vec3 } from '../../../src/main/volumes/box';
import { createLayerFromArray } from '../../../src/main/volumes/create-layer';
import type { VoxelArray } from '../../../src/main/volumes/dtypes';
import { openZarr } from '../../../src/main/volumes/readers/zarr';
import { VolumeService } from '../../../src/main/volumes/service';
import { chooseChunkShape, planLevels } from '../../../src/main/volumes/store/chunking';
import type { LayerKind } from '../../../src/main/volumes/store/volume-store';
import { referencePython, skipNotice } from '../../helpers/python';
import { loadRaw, newProject, runFixtures, sameVoxels, suiteDir } from '../../helpers/volumes';
import { runPython } from '../../helpers/python';

describe('chunk shape and pyramid plan', () => {
  it('balances the physical extent of chunks, about 2^18 voxels, never far beyond the volume', () => {
    expect(chooseChunkShape([256, 256, 256], [8, 8, 8])).toEqual([64, 64, 64]);
    expect(chooseChunkShape([1000, 4096, 4096], [50, 4, 4])).toEqual([16, 128, 128]);
    expect(chooseChunkShape([30, 512, 512], [1, 1, 1])).toEqual([32, 128, 128]);
    expect(chooseChunkShape([1, 4096, 4096], [50, 4, 4])).toEqual([1, 512, 512]);
    expect(chooseChunkShape([5, 10, 10], [8, 8, 8])).toEqual([8, 16, 16]);
  });

  it('halves in-plane first for anisotropic data and stops once a level fits one chunk', () => {
    const aniso = planLevels([30, 512, 512], [50, 4, 4], [16, 128, 128]);
    expect(aniso.map((l) => l.shape)).toEqual([
      [30, 512, 512],
      [30, 256, 256],
      [30, 128, 128],
    ]);
    expect(aniso.map((l) => l.step)).toEqual([
      [1, 1, 1],
      [1, 2, 2],
      [1, 2, 2],
    ]);
    const deep = planLevels([400, 8192, 8192], [50, 4, 4], [16, 128, 128]);
    expect(deep[4].resolution).toEqual([100, 64, 64]); // 4 in-plane halvings, then z joins at 32 nm
    expect(deep[4].step).toEqual([2, 2, 2]);
    const iso = planLevels([256, 200, 256], [8, 8, 8], [64, 64, 64]);
    expect(iso.map((l) => l.shape)).toEqual([
      [256, 200, 256],
      [128, 100, 128],
      [64, 50, 64],
    ]);
  });
});

const MODULES = ['numpy'];
const py = referencePython(MODULES);
if (!py) skipNotice('store and pyramid tests against numpy', MODULES);

/**
 * Volumes plus their pyramids computed by numpy with the documented rules: factor 2 along
 * axes whose voxel size is below twice the finest; stop when every halved axis fits in one
 * chunk; mean = floor((2*sum + n) / (2n)) for integers (plain mean for floats), mode = most
 * frequent id, ties to the smaller; windows cut by the edge use the voxels that exist.
 */
const FIXTURES = `
def steps(shape, res, chunk):
    out = []
    while len(out) < 15:
        fin = min(res)
        st = [2 if (r < 2 * fin and s > 1) else 1 for r, s in zip(res, shape)]
        halved = [a for a in range(3) if st[a] == 2]
        if not halved or all(shape[a] <= chunk[a] for a in halved): break
        out.append(st)
        shape = [-(-s // f) for s, f in zip(shape, st)]
        res = [r * f for r, f in zip(res, st)]
    return out
def windows(a, st):
    pad = [(0, (-s) % f) for s, f in zip(a.shape, st)]
    return pad
def mean_down(a, st):
    sh = [-(-s // f) for s, f in zip(a.shape, st)]
    valid = np.pad(np.ones(a.shape, np.int64), [(0, n * f - s) for s, n, f in zip(a.shape, sh, st)])
    if a.dtype.kind == 'f':
        p = np.pad(a.astype(np.float64), [(0, n * f - s) for s, n, f in zip(a.shape, sh, st)])
    else:
        p = np.pad(a.astype(np.int64), [(0, n * f - s) for s, n, f in zip(a.shape, sh, st)])
    r = lambda x: x.reshape(sh[0], st[0], sh[1], st[1], sh[2], st[2]).sum(axis=(1, 3, 5))
    s, n = r(p), r(valid)
    if a.dtype.kind == 'f':
        return (s / n).astype(a.dtype)
    return np.floor((2 * s + n) / (2 * n)).astype(a.dtype)
def mode_down(a, st):
    sh = [-(-s // f) for s, f in zip(a.shape, st)]
    o = np.zeros(sh, a.dtype)
    for z in range(sh[0]):
        for y in range(sh[1]):
            for x in range(sh[2]):
                w = a[z * st[0]:(z + 1) * st[0], y * st[1]:(y + 1) * st[1], x * st[2]:(x + 1) * st[2]].ravel()
                v, c = np.unique(w, return_counts=True)
                o[z, y, x] = v[np.argmax(c)]
    return o
def pyramid(name, a, res, chunk, method):
    save(f'{name}_0', a)
    for i, st in enumerate(steps(list(a.shape), list(res), chunk)):
        a = mean_down(a, st) if method == 'mean' else mode_down(a, st)
        res = [r * f for r, f in zip(res, st)]
        save(f'{name}_{i + 1}', a)
    print(name, i + 2)
pyramid('u8', rand('uint8', (13, 150, 131)), (40, 4, 4), (4, 32, 32), 'mean')
pyramid('i16', rand('int16', (9, 70, 66)), (8, 8, 8), (4, 16, 16), 'mean')
pyramid('f32', (rng.integers(-4000, 4000, size=(7, 40, 45)) / 8).astype(np.float32), (30, 6, 6), (4, 16, 16), 'mean')
pyramid('lab32', rng.integers(0, 4, size=(12, 70, 66)).astype(np.uint32) * 11, (40, 4, 4), (4, 16, 16), 'mode')
pyramid('lab64', rng.integers(0, 3, size=(6, 36, 40)).astype(np.uint64) * np.uint64(2**35 + 1), (10, 10, 10), (4, 8, 8), 'mode')
`;

/** A hand-written Zarr v3 + NGFF 0.5 reader (spec, not zarr-python): checks the store's layout and voxels. */
const READ_STORE = `
import sys, os, json, gzip
import numpy as np
store, expect_dir, name, nlevels = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
g = json.load(open(os.path.join(store, 'zarr.json')))
assert g['zarr_format'] == 3 and g['node_type'] == 'group'
ms = g['attributes']['ome']['multiscales'][0]
assert g['attributes']['ome']['version'] == '0.5'
assert [a['name'] for a in ms['axes']] == ['z', 'y', 'x'] and all(a['unit'] == 'nanometer' for a in ms['axes'])
assert len(ms['datasets']) == nlevels, len(ms['datasets'])
for lv, ds in enumerate(ms['datasets']):
    m = json.load(open(os.path.join(store, ds['path'], 'zarr.json')))
    assert m['node_type'] == 'array' and [c['name'] for c in m['codecs']] == ['bytes', 'gzip']
    assert m['chunk_key_encoding']['configuration']['separator'] == '/'
    shape, chunk, dt = m['shape'], m['chunk_grid']['configuration']['chunk_shape'], np.dtype(m['data_type']).newbyteorder('<')
    full = np.zeros([-(-s // c) * c for s, c in zip(shape, chunk)], dt)
    for idx in np.ndindex(*[-(-s // c) for s, c in zip(shape, chunk)]):
        p = os.path.join(store, ds['path'], 'c', *map(str, idx))
        if os.path.exists(p):
            full[tuple(slice(i * c, (i + 1) * c) for i, c in zip(idx, chunk))] = np.frombuffer(gzip.decompress(open(p, 'rb').read()), dt).reshape(chunk)
    meta = json.load(open(os.path.join(expect_dir, f'{name}_{lv}.json')))
    ref = np.fromfile(os.path.join(expect_dir, f'{name}_{lv}.raw'), np.dtype(meta['dtype']).newbyteorder('<')).reshape(meta['shape'])
    got = full[tuple(slice(0, s) for s in shape)]
    assert list(got.shape) == list(ref.shape), (lv, got.shape, ref.shape)
    assert np.array_equal(got.view(np.uint8), ref.view(np.uint8)), f'level {lv} differs'
print('ok', nlevels)
`;

describe.skipIf(!py)('project store: OME-Zarr v3 with pyramid, vs numpy and an independent reader', () => {
  const dir = suiteDir('tu-store-');
  const counts: Record<string, number> = {};
  beforeAll(() => {
    for (const line of runFixtures(FIXTURES, dir).trim().split('\n')) {
      const [name, n] = line.split(' ');
      counts[name] = Number(n);
    }
  });

  const CASES: [string, LayerKind, Vec3, Vec3][] = [
    ['u8', 'image', [40, 4, 4], [4, 32, 32]],
    ['i16', 'image', [8, 8, 8], [4, 16, 16]],
    ['f32', 'image', [30, 6, 6], [4, 16, 16]],
    ['lab32', 'labels', [40, 4, 4], [4, 16, 16]],
    ['lab64', 'labels', [10, 10, 10], [4, 8, 8]],
  ];

  it.each(CASES)('%s: every pyramid level equals numpy (mean / mode) and an independent v3 reader agrees', async (name, kind, resolution, chunkShape) => {
    const project = newProject(dir);
    const src = loadRaw(dir, `${name}_0`);
    const layer = await createLayerFromArray(project, { name, kind, dtype: src.dtype, data: src.data, shape: src.shape as Vec3, resolution, chunkShape });
    expect(layer.levels.length).toBe(counts[name]);
    expect(layer.chunkShape).toEqual(chunkShape);
    const svc = new VolumeService(project);
    try {
      for (let lv = 0; lv < layer.levels.length; lv++) {
        const ref = loadRaw(dir, `${name}_${lv}`);
        expect(layer.levels[lv].shape).toEqual(ref.shape);
        const got = await svc.readRegion(layer.id, lv, { min: [0, 0, 0], max: layer.levels[lv].shape });
        expect(sameVoxels(got, ref.data), `level ${lv}`).toBe(true);
      }
    } finally {
      await svc.close();
    }
    const out = runPython(READ_STORE, [project.path(layer.uri), dir, name, String(layer.levels.length)]).stdout;
    expect(out.trim()).toBe(`ok ${layer.levels.length}`);
  });

  it('is readable by zarrita as OME-Zarr with the same levels and voxel sizes', async () => {
    const project = newProject(dir);
    const src = loadRaw(dir, 'u8_0');
    const layer = await createLayerFromArray(project, { name: 'u8', kind: 'image', dtype: 'uint8', data: src.data, shape: src.shape as Vec3, resolution: [40, 4, 4], chunkShape: [4, 32, 32] });
    const z = await openZarr(project.path(layer.uri));
    expect(z.format).toBe('ome-zarr');
    expect(z.levels.map((l) => [l.shape, l.resolution, l.factors])).toEqual(layer.levels.map((l) => [l.shape, l.resolution, l.factors]));
    for (let lv = 0; lv < layer.levels.length; lv++) {
      expect(sameVoxels(await z.readRegion({ min: [0, 0, 0], max: layer.levels[lv].shape }, lv), loadRaw(dir, `u8_${lv}`).data)).toBe(true);
    }
  });

  it('rewrites chunks atomically and keeps the pyramid equal to a fresh build', async () => {
    const project = newProject(dir);
    const src = loadRaw(dir, 'lab32_0');
    const shape = src.shape as Vec3;
    const spec = { kind: 'labels' as const, dtype: 'uint32' as const, shape, resolution: [40, 4, 4] as Vec3, chunkShape: [4, 16, 16] as Vec3 };
    const layer = await createLayerFromArray(project, { ...spec, name: 'edit', data: src.data });
    const svc = new VolumeService(project);
    const store = await svc.storeOf(layer.id);
    expect(store.chunkKey([1, 2, 3])).toBe('c/1/2/3');
    expect(store.chunkPath(0, [1, 2, 3])).toBe(join(project.path(layer.uri), '0', 'c', '1', '2', '3'));
    const edge = await svc.readChunk(layer.id, 0, [2, 4, 4]);
    expect(edge.shape).toEqual([4, 16, 16]); // full chunk shape even where the volume ends
    // paint chunk (1, 1, 2) with a new id, clear chunk (0, 0, 0)
    const painted = new Uint32Array(4 * 16 * 16).fill(99);
    const written = await svc.writeChunks(layer.id, 0, [
      { coord: [1, 1, 2], data: painted },
      { coord: [0, 0, 0], data: new Uint32Array(4 * 16 * 16) },
    ]);
    expect(written).toBeGreaterThanOrEqual(layer.levels.length - 1);
    expect((await svc.readChunk(layer.id, 0, [1, 1, 2])).data).toEqual(painted);
    expect(await store.readEncodedChunk(0, [0, 0, 0])).toBeNull(); // all-zero chunks are not stored
    // the same edit applied to the array, built from scratch, gives identical levels
    const edited = src.data.slice() as Uint32Array;
    const paint = (z0: number, y0: number, x0: number, v: number) => {
      for (let z = z0; z < Math.min(shape[0], z0 + 4); z++)
        for (let y = y0; y < Math.min(shape[1], y0 + 16); y++) for (let x = x0; x < Math.min(shape[2], x0 + 16); x++) edited[(z * shape[1] + y) * shape[2] + x] = v;
    };
    paint(4, 16, 32, 99);
    paint(0, 0, 0, 0);
    const fresh = await createLayerFromArray(project, { ...spec, name: 'fresh', data: edited });
    for (let lv = 0; lv < layer.levels.length; lv++) {
      const box = { min: [0, 0, 0] as Vec3, max: layer.levels[lv].shape };
      const a: VoxelArray = await svc.readRegion(layer.id, lv, box);
      const b: VoxelArray = await svc.readRegion(fresh.id, lv, box);
      expect(sameVoxels(a, b), `level ${lv}`).toBe(true);
    }
    const leftovers = readdirSync(project.path(layer.uri), { recursive: true }).filter((f) => String(f).endsWith('.tmp'));
    expect(leftovers).toEqual([]);
    await expect(svc.writeChunk(layer.id, 0, [0, 0, 0], new Uint32Array(10))).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(svc.writeChunk(layer.id, 0, [9, 0, 0], painted)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('outside') });
    await svc.close();
  });
});
