import { describe, expect, it } from 'vitest';
import { mergeFlippedAffinities, ttaFlips } from '../../../src/main/pipeline/model-windows';
import { flipAxis } from '../../../src/main/pipeline/augment';
import { labelsToAffinities } from '../../../src/main/segmentation/affinity-targets';
import { Blender, WindowGrid, cachedPredictor, gaussianImportance, predictBox, tileBoxes, windowStarts, type WindowPredictor } from '../../../src/main/pipeline/windows';
import { voxelCount, type Box, type Vec3 } from '../../../src/main/volumes/box';
import { Rng } from '../../../src/main/ml/util/rng';

/** A "model" whose window prediction is given by a function of the window origin and voxel. */
function fnPredictor(window: Vec3, channels: number, f: (origin: Vec3, z: number, y: number, x: number, c: number) => number): WindowPredictor & { calls: number } {
  const p = {
    window,
    channels,
    calls: 0,
    async predict(origin: Vec3) {
      p.calls++;
      const out = new Float32Array(channels * voxelCount(window));
      let i = 0;
      for (let c = 0; c < channels; c++)
        for (let z = 0; z < window[0]; z++) for (let y = 0; y < window[1]; y++) for (let x = 0; x < window[2]; x++) out[i++] = f(origin, z, y, x, c);
      return out;
    },
  };
  return p;
}

describe('window grid', () => {
  it('covers the region with the requested overlap, the last window flush with the edge', () => {
    expect(windowStarts(100, 40, 0.5)).toEqual([0, 20, 40, 60]);
    expect(windowStarts(90, 40, 0.5)).toEqual([0, 20, 40, 50]);
    expect(windowStarts(40, 40, 0.5)).toEqual([0]);
    expect(windowStarts(10, 16, 0.5)).toEqual([0]); // smaller than a window: one (padded) window
    expect(windowStarts(100, 40, 0)).toEqual([0, 40, 60]);
    const grid = new WindowGrid({ min: [5, 0, 0], max: [25, 30, 30] }, [16, 16, 16], 0.5);
    expect(grid.starts[0]).toEqual([5, 9]);
    expect(grid.count).toBe(2 * 3 * 3);
    expect(grid.intersecting({ min: [5, 0, 0], max: [6, 1, 1] })).toEqual([[5, 0, 0]]);
    // A region thinner than the window: the window moves back inside the volume when it fits.
    const thin = new WindowGrid({ min: [20, 0, 0], max: [30, 16, 16] }, [16, 16, 16], 0.5, { min: [0, 0, 0], max: [30, 16, 16] });
    expect(thin.starts[0]).toEqual([14]);
    const tiny = new WindowGrid({ min: [2, 0, 0], max: [8, 16, 16] }, [16, 16, 16], 0.5, { min: [0, 0, 0], max: [10, 16, 16] });
    expect(tiny.starts[0]).toEqual([0]);
  });

  it('tiles a region in raster order', () => {
    const t = tileBoxes({ min: [0, 0, 0], max: [5, 7, 3] }, [5, 4, 4]);
    expect(t).toEqual([
      { min: [0, 0, 0], max: [5, 4, 3] },
      { min: [0, 4, 0], max: [5, 7, 3] },
    ]);
  });
});

describe('Gaussian blending', () => {
  it('importance peaks at 1 in the centre, is symmetric and never 0', () => {
    const w = gaussianImportance([5, 9, 9]);
    const at = (z: number, y: number, x: number) => w[(z * 9 + y) * 9 + x];
    expect(at(2, 4, 4)).toBeCloseTo(1, 7);
    expect(Math.max(...w)).toBeCloseTo(1, 7);
    expect(at(1, 4, 4)).toBeCloseTo(at(3, 4, 4), 7);
    expect(at(2, 1, 6)).toBeCloseTo(at(2, 6, 1), 7);
    expect(at(0, 0, 0)).toBeCloseTo(at(4, 8, 8), 7);
    expect(at(0, 0, 0)).toBeGreaterThan(0);
    expect(at(0, 0, 0)).toBeLessThan(at(1, 4, 4));
  });

  it('a constant model output reproduces the constant everywhere', async () => {
    const region: Box = { min: [2, 3, 1], max: [20, 30, 28] };
    const p = fnPredictor([8, 16, 16], 3, (_o, _z, _y, _x, c) => 0.25 + 0.25 * c);
    const out = await predictBox(p, new WindowGrid(region, [8, 16, 16], 0.5), region);
    const n = voxelCount([18, 27, 27]);
    for (let c = 0; c < 3; c++) for (let i = 0; i < n; i++) expect(Math.abs(out[c * n + i] - (0.25 + 0.25 * c))).toBeLessThan(1e-6);
  });

  it('a voxel covered by several windows gets their importance-weighted average', async () => {
    const window: Vec3 = [4, 8, 8];
    const region: Box = { min: [0, 0, 0], max: [4, 8, 12] };
    const grid = new WindowGrid(region, window, 0.5); // x starts 0, 4
    expect(grid.starts[2]).toEqual([0, 4]);
    const p = fnPredictor(window, 1, (o) => (o[2] === 0 ? 1 : 3));
    const out = await predictBox(p, grid, region);
    const g = gaussianImportance(window);
    // Voxel (1, 2, 6): x offset 6 in window 0, 2 in window 1.
    const w0 = g[(1 * 8 + 2) * 8 + 6];
    const w1 = g[(1 * 8 + 2) * 8 + 2];
    expect(out[(1 * 8 + 2) * 12 + 6]).toBeCloseTo((1 * w0 + 3 * w1) / (w0 + w1), 6);
    expect(out[(1 * 8 + 2) * 12 + 1]).toBeCloseTo(1, 6); // only window 0
    expect(out[(1 * 8 + 2) * 12 + 10]).toBeCloseTo(3, 6); // only window 1
  });

  it('tile by tile equals the whole region, and a cache computes each window once', async () => {
    const region: Box = { min: [0, 0, 0], max: [20, 40, 40] };
    const window: Vec3 = [8, 16, 16];
    const f = (o: Vec3, z: number, y: number, x: number) => Math.sin(o[0] + 2 * o[1] + 3 * o[2] + z * 0.3 + y * 0.1 + x * 0.07);
    const grid = new WindowGrid(region, window, 0.5);
    const whole = await predictBox(fnPredictor(window, 1, f), grid, region);
    const inner = fnPredictor(window, 1, f);
    const cached = cachedPredictor(inner, 1 << 30);
    const tiled = new Float32Array(whole.length);
    for (const t of tileBoxes(region, [7, 13, 11])) {
      const part = await predictBox(cached, grid, t);
      let i = 0;
      for (let z = t.min[0]; z < t.max[0]; z++) for (let y = t.min[1]; y < t.max[1]; y++) for (let x = t.min[2]; x < t.max[2]; x++) tiled[(z * 40 + y) * 40 + x] = part[i++];
    }
    expect(Array.from(tiled)).toEqual(Array.from(whole));
    expect(inner.calls).toBe(grid.count);
  });

  it('refuses a voxel no window covers', () => {
    const b = new Blender({ min: [0, 0, 0], max: [2, 2, 2] }, 1, [2, 2, 2]);
    b.add([0, 0, 1], new Float32Array(8));
    expect(() => b.result()).toThrow(/no window/);
  });
});

describe('flip test-time augmentation', () => {
  it('un-flipped, re-shifted affinities of flipped inputs equal the affinities of the original', () => {
    const shape: Vec3 = [5, 6, 7];
    const rng = new Rng(4);
    const labels = Uint32Array.from({ length: voxelCount(shape) }, () => 1 + rng.int(3));
    const truth = labelsToAffinities(labels, shape);
    const n = voxelCount(shape);
    // An ideal model predicts the affinities of whatever it is shown.
    const passes = ttaFlips('flips').map((flips) => {
      let l = labels;
      flips.forEach((f, a) => {
        if (f) l = flipAxis(l, shape, a as 0 | 1 | 2);
      });
      const pred = labelsToAffinities(l, shape);
      const back = new Float32Array(3 * n);
      for (let c = 0; c < 3; c++) {
        let v = pred.subarray(c * n, (c + 1) * n);
        flips.forEach((f, a) => {
          if (f) v = flipAxis(v, shape, a as 0 | 1 | 2);
        });
        back.set(v, c * n);
      }
      return { flips, prediction: back };
    });
    expect(passes).toHaveLength(8);
    const merged = mergeFlippedAffinities(passes, shape);
    for (let i = 0; i < merged.length; i++) expect(merged[i]).toBeCloseTo(truth[i], 6);
    // Without the shift the flipped passes would disagree with the truth.
    const naive = passes.map((p) => p.prediction).reduce((a, b) => a.map((v, i) => v + b[i] / 8), new Float32Array(3 * n));
    expect(naive.some((v, i) => Math.abs(v - truth[i]) > 0.1)).toBe(true);
  });
});
