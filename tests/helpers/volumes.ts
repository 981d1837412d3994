import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { Project } from '../../src/main/store/project';
import { boxSize, voxelCount, type Box, type Vec3 } from '../../src/main/volumes/box';
import { bytesOf, viewAs, type DType, type VoxelArray } from '../../src/main/volumes/dtypes';
import { openVolume } from '../../src/main/volumes/readers/open';
import type { VolumeReader } from '../../src/main/volumes/readers/types';
import { runPython } from './python';

/** A temporary folder for a whole test file, removed after its last test. */
export function suiteDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A new project in a fresh folder under `parent`, closed after the test file. */
export function newProject(parent: string, name = `p${Math.random().toString(36).slice(2, 8)}`): Project {
  const p = Project.create(join(parent, name));
  afterAll(() => p.close());
  return p;
}

/**
 * Python prelude for fixture scripts (Debian's numpy, tifffile, h5py, zarr): `out` is the
 * folder passed as argv[1]; `save(name, a)` writes the array's little-endian C-order bytes
 * to name.raw and its dtype and shape to name.json, so tests compare voxel for voxel.
 */
export const PY_PRELUDE = `
import sys, os, json
import numpy as np
out = sys.argv[1]
rng = np.random.default_rng(1234)
def save(name, a):
    a = np.ascontiguousarray(a)
    a.astype(a.dtype.newbyteorder('<')).tofile(os.path.join(out, name + '.raw'))
    with open(os.path.join(out, name + '.json'), 'w') as f:
        json.dump({'dtype': a.dtype.newbyteorder('=').name, 'shape': list(a.shape)}, f)
def rand(dtype, shape):
    d = np.dtype(dtype)
    if d.kind == 'f':
        return (rng.standard_normal(shape) * 1000).astype(d)
    info = np.iinfo(d)
    return rng.integers(info.min, info.max, size=shape, dtype=d, endpoint=True)
`;

export function runFixtures(script: string, dir: string): string {
  return runPython(PY_PRELUDE + script, [dir], { timeoutMs: 120_000 }).stdout;
}

/** An array saved by the prelude's save(): its voxels typed, and its shape. */
export function loadRaw(dir: string, name: string): { data: VoxelArray; shape: number[]; dtype: DType } {
  const meta = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as { dtype: DType; shape: number[] };
  const bytes = readFileSync(join(dir, `${name}.raw`));
  return { data: viewAs(meta.dtype, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength).slice()), shape: meta.shape, dtype: meta.dtype };
}

/** Byte-exact equality (NaN-safe, -0 distinct) of two voxel arrays. */
export function sameVoxels(a: VoxelArray, b: VoxelArray): boolean {
  return Buffer.from(bytesOf(a)).equals(Buffer.from(bytesOf(b)));
}

/** The voxels of `box` cut out of a full C-order [z, y, x] array. */
export function cut(full: VoxelArray, shape: Vec3, box: Box): VoxelArray {
  const [nz, ny, nx] = boxSize(box);
  const out = new (full.constructor as new (n: number) => VoxelArray)(voxelCount(box));
  const o = out as unknown as { set(a: ArrayLike<never>, i: number): void };
  const f = full as unknown as { subarray(a: number, b: number): ArrayLike<never> };
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++) {
      const s = ((box.min[0] + z) * shape[1] + box.min[1] + y) * shape[2] + box.min[2];
      o.set(f.subarray(s, s + nx), (z * ny + y) * nx);
    }
  return out;
}

/** Deterministic pseudo-random boxes inside `shape` (including edge-touching ones). */
export function sampleBoxes(shape: Vec3, n: number, seed = 7): Box[] {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const boxes: Box[] = [{ min: [0, 0, 0], max: [...shape] as Vec3 }];
  for (let i = 0; i < n; i++) {
    const min = shape.map((d) => Math.floor(rnd() * d)) as Vec3;
    const max = min.map((m, k) => Math.min(shape[k], m + 1 + Math.floor(rnd() * (shape[k] - m)))) as Vec3;
    boxes.push({ min, max });
  }
  boxes.push({ min: shape.map((d) => d - 1) as Vec3, max: [...shape] as Vec3 });
  return boxes;
}

/**
 * Opens `file` with the app's readers and checks dtype, shape and sampled regions (whole volume,
 * random boxes, the last voxel) of `level` against the array saved as `name` in `dir`.
 * Returns the (closed) reader for metadata checks.
 */
export async function expectReaderMatches(dir: string, file: string, name: string, opts: { dataset?: string; level?: number } = {}): Promise<VolumeReader> {
  const ref = loadRaw(dir, name);
  const r = await openVolume(join(dir, file), { dataset: opts.dataset });
  try {
    const level = opts.level ?? 0;
    const shape = r.levels[level].shape;
    expect(r.dtype).toBe(ref.dtype);
    expect(shape).toEqual(ref.shape.slice(-3));
    for (const box of sampleBoxes(shape, 5)) {
      expect(sameVoxels(await r.readRegion(box, level), cut(ref.data, shape, box)), `${file} ${JSON.stringify(box)}`).toBe(true);
    }
    return r;
  } finally {
    await r.close();
  }
}
