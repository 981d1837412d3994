import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/main/errors';
import { evaluateSegmentationSync } from '../../../src/main/segmentation/metrics';
import { computeFragments, computeFragmentsSync, seededSplit, seededSplitSync } from '../../../src/main/segmentation/watershed';
import { noisyAffinities, segmentationNativeAvailable, voronoiLabels } from './fixtures';

const native = segmentationNativeAvailable();

function ids(a: Uint32Array): Set<number> {
  return new Set(a);
}

describe.runIf(native)('fragments', () => {
  const shape = [6, 48, 48] as const;
  const gt = voronoiLabels(shape, 14, 7);
  const affs = noisyAffinities(gt, shape, 0.3, 8);

  it('labels every voxel with ids 1..count, and over-segments (fragments lie inside one cell)', () => {
    for (const threeD of [false, true]) {
      const { fragments, count } = computeFragmentsSync(affs, shape, { threeD });
      expect(fragments.includes(0)).toBe(false);
      const seen = ids(fragments);
      expect(seen.size).toBe(count);
      expect(Math.min(...seen)).toBe(1);
      expect(Math.max(...seen)).toBe(count);
      const m = evaluateSegmentationSync(gt, fragments);
      // under-segmentation only where widened boundaries were assigned to one side
      expect(m.voiMerge).toBeLessThan(0.5);
      const plane = shape[1] * shape[2];
      const cellsPerSection = new Set(Array.from(gt, (g, i) => Math.floor(i / plane) * 1000 + g)).size;
      expect(count).toBeGreaterThanOrEqual(threeD ? 14 : Math.floor(0.8 * cellsPerSection));
    }
  });

  it('never crosses sections in 2D mode, and async equals sync', async () => {
    const sync = computeFragmentsSync(affs, shape, {});
    const plane = shape[1] * shape[2];
    const perSection = Array.from({ length: shape[0] }, (_, z) => ids(sync.fragments.subarray(z * plane, (z + 1) * plane)));
    for (let z = 1; z < shape[0]; z++) for (const f of perSection[z]) expect(perSection[z - 1].has(f)).toBe(false);
    const asyncResult = await computeFragments(affs, shape, {});
    expect(asyncResult.fragments).toEqual(sync.fragments);
  });

  it('separates two cells whose boundary is a single low affinity', () => {
    const s = [1, 8, 8] as const;
    const a = new Float32Array(3 * 64).fill(1);
    for (let y = 0; y < 8; y++) a[2 * 64 + y * 8 + 4] = 0; // x-edge between x = 3 and x = 4
    const { fragments, count } = computeFragmentsSync(a, s, { seedRadius: 1 });
    expect(count).toBe(2);
    for (let y = 0; y < 8; y++)
      for (let x = 0; x < 8; x++) expect(fragments[y * 8 + x]).toBe(x < 4 ? fragments[0] : fragments[7]);
  });

  it('respects the mask, offsets ids, and dissolves fragments below minFragmentSize', () => {
    const mask = new Uint8Array(gt.length).map((_, i) => (i % 48 < 40 ? 1 : 0));
    const { fragments, count } = computeFragmentsSync(affs, shape, { mask, idOffset: 1000 });
    for (let i = 0; i < gt.length; i++) {
      if (!mask[i]) expect(fragments[i]).toBe(0);
      else expect(fragments[i]).toBeGreaterThan(1000);
    }
    expect(Math.max(...fragments)).toBe(1000 + count);

    const coarse = computeFragmentsSync(affs, shape, { minFragmentSize: 60 });
    const sizes = new Map<number, number>();
    for (const f of coarse.fragments) sizes.set(f, (sizes.get(f) ?? 0) + 1);
    expect(coarse.fragments.includes(0)).toBe(false);
    // small fragments only survive where a whole isolated region is small
    expect([...sizes.values()].filter((n) => n < 60).length).toBeLessThan(3);
    expect(coarse.count).toBeLessThan(computeFragmentsSync(affs, shape, {}).count);
  });

  it('rejects affinities of the wrong size with a clear error', () => {
    expect(() => computeFragmentsSync(new Float32Array(10), [1, 2, 2])).toThrowError(AppError);
    expect(() => computeFragmentsSync(new Float32Array(10), [1, 2, 2])).toThrow(/3 x 4 values/);
  });
});

describe.runIf(native)('seeded split (proofreading)', () => {
  // Two boxes joined by a one-voxel-thick neck at x = 10; boundary strength high at the neck.
  const shape = [4, 12, 21] as const;
  const n = 4 * 12 * 21;
  const at = (z: number, y: number, x: number) => (z * 12 + y) * 21 + x;
  const mask = new Uint8Array(n);
  const boundary = new Float32Array(n);
  const image = new Uint8Array(n).fill(200);
  for (let z = 0; z < 4; z++)
    for (let y = 0; y < 12; y++)
      for (let x = 0; x < 21; x++) {
        const inBox = x !== 10 || (y >= 5 && y <= 6);
        mask[at(z, y, x)] = inBox ? 1 : 0;
        if (x === 10) {
          boundary[at(z, y, x)] = 5;
          image[at(z, y, x)] = 20; // a dark membrane
        }
      }
  const seeds = [[[1, 3, 2]], [[2, 8, 18], [0, 0, 20]]] as const;

  function checkHalves(labels: Uint16Array): void {
    for (let z = 0; z < 4; z++)
      for (let y = 0; y < 12; y++)
        for (let x = 0; x < 21; x++) {
          const i = at(z, y, x);
          if (!mask[i]) expect(labels[i]).toBe(0);
          else if (x < 10) expect(labels[i]).toBe(1);
          else if (x > 10) expect(labels[i]).toBe(2);
        }
  }

  it('splits along the boundary map, the image (dark membranes) and the affinities', async () => {
    const byBoundary = seededSplitSync({ shape, source: { kind: 'boundary', data: boundary }, segment: { mask }, seeds });
    checkHalves(byBoundary.labels);
    expect(byBoundary.unreached).toBe(0);
    expect(byBoundary.groupSizes[0] + byBoundary.groupSizes[1]).toBe(mask.reduce((s, v) => s + v, 0));

    const byImage = await seededSplit({ shape, source: { kind: 'image', data: image }, segment: { mask }, seeds });
    checkHalves(byImage.labels);

    const affs = new Float32Array(3 * n).fill(1);
    for (let z = 0; z < 4; z++) for (let y = 0; y < 12; y++) affs[2 * n + at(z, y, 10)] = 0.05; // edge x = 9 | 10
    const byAffs = seededSplitSync({ shape, source: { kind: 'affinities', data: affs }, segment: { mask }, seeds });
    for (let i = 0; i < n; i++) if (mask[i] && i % 21 < 10) expect(byAffs.labels[i]).toBe(1);
    for (let i = 0; i < n; i++) if (mask[i] && i % 21 >= 10) expect(byAffs.labels[i]).toBe(2);
  });

  it('takes the segment from a label volume and counts voxels no seed reaches', () => {
    const labels = new Uint32Array(n).map((_, i) => (mask[i] ? 7 : 3));
    // cut the corner voxel (3, 0, 0) off the rest of segment 7
    for (const i of [at(3, 0, 1), at(3, 1, 0), at(2, 0, 0)]) labels[i] = 3;
    const r = seededSplitSync({ shape, source: { kind: 'boundary', data: boundary }, segment: { labels, id: 7n }, seeds });
    expect(r.unreached).toBe(1);
    expect(r.labels[at(3, 0, 0)]).toBe(0);
    for (let i = 0; i < n; i++) {
      if (labels[i] !== 7 || i === at(3, 0, 0)) expect(r.labels[i]).toBe(0);
      else if (i % 21 !== 10) expect(r.labels[i]).toBe(i % 21 < 10 ? 1 : 2);
    }
  });

  it('rejects seeds outside the segment, a voxel in two groups, and a single group', () => {
    const source = { kind: 'boundary' as const, data: boundary };
    expect(() => seededSplitSync({ shape, source, segment: { mask }, seeds: [[[0, 0, 10]], [[0, 5, 2]]] })).toThrow(
      /seed of group 1 lies outside the segment/,
    );
    expect(() => seededSplitSync({ shape, source, segment: { mask }, seeds: [[[0, 5, 2]], [[0, 5, 2]]] })).toThrow(/seed of groups 1 and 2/);
    expect(() => seededSplitSync({ shape, source, segment: { mask }, seeds: [[[0, 5, 2]]] })).toThrow(/at least two groups/);
    expect(() => seededSplitSync({ shape, source, segment: { mask }, seeds: [[[0, 5, 2]], [[9, 5, 2]]] })).toThrow(/outside the region/);
  });
});
