import { describe, expect, it } from 'vitest';
import { PlaneMask } from '../../../src/renderer/src/features/proofreading/plane-mask';
import { previewSlice } from '../../../src/renderer/src/features/proofreading/preview-slice';
import { strokeVoxelIndices } from '../../../src/shared/brush-geometry';
import type { Vec3 } from '../../../src/renderer/src/features/viewer/core/geometry';

const RED: [number, number, number, number] = [255, 0, 0, 200];

describe('PlaneMask (pending stroke bitmap)', () => {
  it('holds exactly the stroke voxels of its plane, growing in every direction', () => {
    const shape: Vec3 = [10, 400, 500];
    const points: Vec3[] = [[4, 200, 250], [4, 10, 490], [4, 390, 3]];
    const mask = new PlaneMask(0, 4, { h: 2, v: 1 }, RED);
    const voxels = strokeVoxelIndices(0, points, 3, shape);
    for (const i of voxels) mask.add([Math.floor(i / (shape[1] * shape[2])), Math.floor(i / shape[2]) % shape[1], i % shape[2]]);
    expect(mask.size).toBe(voxels.length);
    expect(mask.add([5, 200, 250]), 'another slice is ignored').toBe(false);
    expect(mask.add([4, 200, 250]), 'a voxel is added once').toBe(false);
    const set = new Set(voxels);
    let found = 0;
    let wrong = 0;
    for (let y = 0; y < shape[1]; y++)
      for (let x = 0; x < shape[2]; x++) {
        const inside = set.has((4 * shape[1] + y) * shape[2] + x);
        if (mask.has(x, y) !== inside) wrong++;
        if (inside) found++;
      }
    expect(wrong).toBe(0);
    expect(found).toBe(voxels.length);
    const bm = mask.bitmap;
    expect(bm.width).toBeGreaterThanOrEqual(490);
    let opaque = 0;
    for (let i = 3; i < bm.data.length; i += 4) if (bm.data[i]) opaque++;
    expect(opaque).toBe(voxels.length);
  });

  it('gives the runs where an orthogonal plane cuts it', () => {
    const mask = new PlaneMask(0, 2, { h: 2, v: 1 }, RED);
    for (let x = 10; x < 20; x++) mask.add([2, 7, x]);
    for (let x = 30; x < 33; x++) mask.add([2, 7, x]);
    mask.add([2, 8, 12]);
    // The XZ plane at y = 7 cuts along x.
    expect(mask.lineRuns(1, 7)).toEqual({ along: 2, runs: [[10, 20], [30, 33]] });
    // The YZ plane at x = 12 cuts along y.
    expect(mask.lineRuns(2, 12)).toEqual({ along: 1, runs: [[7, 9]] });
    expect(mask.lineRuns(0, 2)).toBeNull();
  });
});

describe('previewSlice (fill / split previews cut by a pane)', () => {
  // A 3 x 4 x 5 box at (1, 2, 3) with value = 1 + x-index where z-index == y-index, else 0.
  const box = { min: [1, 2, 3] as Vec3, max: [4, 6, 8] as Vec3 };
  const values = new Uint16Array(3 * 4 * 5);
  for (let z = 0; z < 3; z++) for (let y = 0; y < 4; y++) for (let x = 0; x < 5; x++) values[(z * 4 + y) * 5 + x] = z === y ? 1 + x : 0;
  const color = (v: number) => [v, 0, 0, 255] as const;

  it('cuts the XY plane', () => {
    const s = previewSlice({ box, values }, { h: 2, v: 1, n: 0 }, 2, color)!;
    expect([s.h0, s.v0, s.width, s.height, s.count]).toEqual([3, 2, 5, 4, 5]);
    // z-index 1 -> row y-index 1 holds 1..5.
    for (let x = 0; x < 5; x++) expect(s.data[(1 * 5 + x) * 4]).toBe(1 + x);
    expect(s.data[(0 * 5 + 0) * 4 + 3]).toBe(0);
  });

  it('cuts the YZ plane with z running right', () => {
    const s = previewSlice({ box, values }, { h: 0, v: 1, n: 2 }, 5, color)!;
    expect([s.h0, s.v0, s.width, s.height]).toEqual([1, 2, 3, 4]);
    // x-index 2 -> value 3 on the diagonal z-index == y-index.
    for (let z = 0; z < 3; z++) for (let y = 0; y < 4; y++) expect(s.data[(y * 3 + z) * 4]).toBe(z === y ? 3 : 0);
  });

  it('misses planes outside the box or without values', () => {
    expect(previewSlice({ box, values }, { h: 2, v: 1, n: 0 }, 0, color)).toBeNull();
    expect(previewSlice({ box, values }, { h: 2, v: 0, n: 1 }, 5, color)).toBeNull(); // y-index 3: z-index 3 is outside
  });
});
