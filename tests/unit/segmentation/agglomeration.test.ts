import { describe, expect, it } from 'vitest';
import {
  applyMappingSync,
  RegionGraph,
  segmentAffinities,
  segmentAffinitiesSync,
} from '../../../src/main/segmentation/agglomeration';
import { agglomerateBlockwise, InMemoryBlockStore, segmentBlockwise } from '../../../src/main/segmentation/blockwise';
import { evaluateSegmentationSync } from '../../../src/main/segmentation/metrics';
import { computeFragmentsSync } from '../../../src/main/segmentation/watershed';
import { noisyAffinities, refines, segmentationNativeAvailable, voronoiLabels } from './fixtures';

const native = segmentationNativeAvailable();

describe.runIf(native)('agglomeration on hand-made graphs', () => {
  it('merges a chain in order of mean affinity, one partition per threshold', () => {
    // fragments 1 1 | 2 2 | 3 3 along x; affinity 0.8 across 1|2, 0.3 across 2|3
    const fragments = new Uint32Array([1, 1, 2, 2, 3, 3]);
    const affs = new Float32Array(18).fill(1);
    affs[12 + 2] = 0.8;
    affs[12 + 4] = 0.3;
    const graph = new RegionGraph();
    graph.addBlockSync(fragments, affs, [1, 1, 6]);
    const edges = graph.edges();
    expect(Array.from(edges.u)).toEqual([1, 2]);
    expect(Array.from(edges.v)).toEqual([2, 3]);
    expect(edges.affinity[0]).toBeCloseTo(0.8, 4);
    const r = graph.agglomerateSync([0.8, 0.1, 0.5], 3);
    expect(r.thresholds).toEqual([0.1, 0.5, 0.8]);
    expect(r.segmentCounts).toEqual([3, 2, 1]);
    expect(r.mappings.map((m) => Array.from(m))).toEqual([
      [0, 1, 2, 3],
      [0, 1, 1, 3],
      [0, 1, 1, 1],
    ]);
  });

  it('re-scores merged edges: mean vs lowest quantile', () => {
    // [1 2]
    // [3 3]   1|2 affinity 1; 1|3 0.4; 2|3 0.9 (uint8 affinities: exact bins)
    const fragments = new Uint32Array([1, 2, 3, 3]);
    const affs = new Uint8Array(12).fill(255);
    affs[8 + 1] = 255; // x edge (0,0)-(0,1): 1|2
    affs[4 + 2] = 102; // y edge (0,0)-(1,0): 1|3
    affs[4 + 3] = 230; // y edge (0,1)-(1,1): 2|3
    const mean = new RegionGraph({ merge: 'mean' });
    mean.addBlockSync(fragments, affs, [1, 2, 2]);
    // after 1+2 merge, {1,2}|3 has mean (0.4 + 0.9) / 2 = 0.65 -> score 0.35 < 0.5
    expect(mean.agglomerateSync([0.05, 0.5], 3).segmentCounts).toEqual([2, 1]);
    const lowest = new RegionGraph({ merge: 'quantile', quantile: 0 });
    lowest.addBlockSync(fragments, affs, [1, 2, 2]);
    // the minimum affinity 0.4 -> score 0.6: no merge at 0.5, although 2|3 alone scored 0.1
    expect(lowest.agglomerateSync([0.05, 0.5], 3).segmentCounts).toEqual([2, 2]);
    const median = new RegionGraph({ merge: 'quantile', quantile: 1 });
    median.addBlockSync(fragments, affs, [1, 2, 2]);
    expect(median.agglomerateSync([0.5], 3).segmentCounts).toEqual([1]);
  });

  it('rejects a fragment count below the largest id', () => {
    const graph = new RegionGraph();
    graph.addBlockSync(new Uint32Array([1, 9]), new Float32Array(6).fill(1), [1, 1, 2]);
    expect(() => graph.agglomerateSync([0.5], 3)).toThrow(/below the largest fragment id/);
  });
});

describe.runIf(native)('segmentation of affinities', () => {
  const shape = [8, 56, 56] as const;
  const gt = voronoiLabels(shape, 20, 21);
  const affs = noisyAffinities(gt, shape, 0.3, 22);
  const thresholds = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

  it('labels every voxel, and higher thresholds give coarser (nested) partitions', async () => {
    for (const merge of ['mean', 'quantile'] as const) {
      const r = await segmentAffinities(affs, shape, { merge, thresholds, flat: true });
      const segs = r.segmentations!;
      expect(segs).toHaveLength(thresholds.length);
      for (let t = 0; t < segs.length; t++) {
        expect(segs[t].includes(0)).toBe(false);
        expect(new Set(segs[t]).size).toBe(r.segmentCounts[t]);
        expect(segs[t]).toEqual(applyMappingSync(r.fragments, r.mappings[t]));
        if (t > 0) {
          expect(r.segmentCounts[t]).toBeLessThanOrEqual(r.segmentCounts[t - 1]);
          expect(refines(segs[t - 1], segs[t])).toBe(true);
        }
      }
      expect(refines(r.fragments, segs[0])).toBe(true);
      // segment id = smallest fragment id of the segment, stable across thresholds
      for (const m of r.mappings) for (let f = 1; f < m.length; f++) expect(m[f]).toBeLessThanOrEqual(f);
    }
  });

  it('recovers the ground truth from noisy affinities far better than the fragments do', () => {
    const r = segmentAffinitiesSync(affs, shape, { thresholds: [0.5], flat: true });
    const frag = evaluateSegmentationSync(gt, r.fragments);
    const seg = evaluateSegmentationSync(gt, r.segmentations![0]);
    expect(seg.voiSplit).toBeLessThan(0.6);
    expect(seg.voiMerge).toBeLessThan(0.6);
    expect(seg.arand).toBeLessThan(0.15);
    expect(seg.voiSplit + seg.voiMerge).toBeLessThan(0.5 * (frag.voiSplit + frag.voiMerge));
  });

  it('honours the mask: 0 stays 0, everything else is labelled', () => {
    const mask = new Uint8Array(gt.length).map((_, i) => (Math.floor(i / 56) % 56 < 30 ? 1 : 0));
    const r = segmentAffinitiesSync(affs, shape, { mask, thresholds: [0.3, 0.7], flat: true });
    for (const s of r.segmentations!) for (let i = 0; i < s.length; i++) expect(s[i] === 0).toBe(mask[i] === 0);
  });
});

describe.runIf(native)('block-wise equals whole-volume', () => {
  const shape = [9, 44, 50] as const;
  const gt = voronoiLabels(shape, 16, 31);
  const affs = noisyAffinities(gt, shape, 0.3, 32);
  const thresholds = [0.2, 0.5, 0.8];
  const blockShape = [4, 17, 24] as const; // does not divide the volume

  it('segmentBlockwise reproduces fragments, mappings and flat segmentations (2D and 3D, mean and quantile)', async () => {
    for (const threeD of [false, true])
      for (const merge of ['mean', 'quantile'] as const) {
        const whole = segmentAffinitiesSync(affs, shape, { threeD, merge, thresholds, blockShape, flat: true });
        const store = new InMemoryBlockStore(shape, affs);
        const progress: number[] = [];
        const blocks = await segmentBlockwise(store, { threeD, merge, thresholds, blockShape, onProgress: (f) => progress.push(f) });
        expect(blocks.blocks).toBe(3 * 3 * 3);
        expect(blocks.fragmentCount).toBe(whole.fragmentCount);
        expect(store.fragments).toEqual(whole.fragments);
        expect(blocks.edgeCount).toBe(whole.edgeCount);
        expect(blocks.mappings).toEqual(whole.mappings);
        expect(blocks.segmentCounts).toEqual(whole.segmentCounts);
        expect(store.segmentations).toEqual(whole.segmentations);
        expect(progress[progress.length - 1]).toBe(1);
        // the block grid really cuts fragments: merging across block faces must happen
        expect(whole.segmentCounts[1]).toBeLessThan(whole.fragmentCount / 3);
      }
  });

  it('agglomerateBlockwise on existing (3D, unblocked) fragments equals one whole-volume graph', async () => {
    const { fragments, count } = computeFragmentsSync(affs, shape, { threeD: true });
    for (const merge of ['mean', 'quantile'] as const) {
      const graph = new RegionGraph({ merge });
      graph.addBlockSync(fragments, affs, shape);
      const whole = graph.agglomerateSync(thresholds, count);
      for (const bs of [[2, 11, 13], [9, 44, 7], [1, 44, 50]] as const) {
        const store = new InMemoryBlockStore(shape, affs, undefined, fragments);
        const r = await agglomerateBlockwise(store, { blockShape: bs, fragmentCount: count, merge, thresholds });
        expect(r.mappings).toEqual(whole.mappings);
        expect(r.edgeCount).toBe(graph.edgeCount);
      }
    }
  });

  it('differs when the halos are left out (the face pairs matter)', () => {
    const { fragments, count } = computeFragmentsSync(affs, shape, { threeD: true });
    const whole = new RegionGraph();
    whole.addBlockSync(fragments, affs, shape);
    const halves = new RegionGraph();
    const plane = shape[1] * shape[2];
    const n = fragments.length;
    const cut = 4;
    for (const [z0, z1] of [[0, cut], [cut, shape[0]]]) {
      const part = fragments.slice(z0 * plane, z1 * plane);
      const a = new Float32Array(3 * part.length);
      for (let c = 0; c < 3; c++) a.set(affs.subarray(c * n + z0 * plane, c * n + z1 * plane), c * part.length);
      halves.addBlockSync(part, a, [z1 - z0, shape[1], shape[2]]);
    }
    expect(halves.edgeCount).toBeLessThan(whole.edgeCount);
    const pairs = (g: RegionGraph) => g.edges().count.reduce((s, c) => s + c, 0);
    // exactly the voxel pairs across the z = 4 face are missing
    let facePairs = 0;
    for (let i = 0; i < plane; i++) {
      const f = fragments[(cut - 1) * plane + i];
      const g = fragments[cut * plane + i];
      if (f !== g) facePairs++;
    }
    expect(facePairs).toBeGreaterThan(0);
    expect(pairs(whole) - pairs(halves)).toBe(facePairs);
    expect(halves.agglomerateSync([0.5], count).segmentCounts[0]).toBeGreaterThanOrEqual(whole.agglomerateSync([0.5], count).segmentCounts[0]);
  });
});
