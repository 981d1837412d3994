import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/main/ml/util/rng';
import { BlockwiseComponents, UnionFind } from '../../../src/main/pipeline/evaluate/components';
import { evaluateSources, evaluateTask } from '../../../src/main/pipeline/evaluate/task';
import { readPadded, reflectIndex } from '../../../src/main/pipeline/volume-source';
import { ScratchVolume } from '../../../src/main/pipeline/scratch';
import { connectedComponentsSync, evaluateSegmentationSync } from '../../../src/main/segmentation/index';
import { Project } from '../../../src/main/store/project';
import { boxSize, voxelCount, type Box, type Vec3 } from '../../../src/main/volumes/box';
import { createLayerFromArray } from '../../../src/main/volumes/create-layer';
import { writeBigTiff } from '../../../src/main/exports/tiff-writer';
import { memorySource } from '../../helpers/memory-source';
import { tempDir } from '../../helpers/temp';


/** Blobs of few labels with holes, so that the same id forms several 3D pieces. */
function blobs(shape: Vec3, seed: number, ids: number): Uint32Array {
  const rng = new Rng(seed);
  const out = new Uint32Array(voxelCount(shape));
  for (let z = 0; z < shape[0]; z++)
    for (let y = 0; y < shape[1]; y++)
      for (let x = 0; x < shape[2]; x++) {
        const v = Math.floor(x / 5) + 3 * Math.floor(y / 6) + Math.floor(z / 4);
        out[(z * shape[1] + y) * shape[2] + x] = rng.uniform() < 0.15 ? 0 : (v % ids) + 1;
      }
  return out;
}

describe('block-wise connected components', () => {
  it('union-find joins and finds roots', () => {
    const uf = new UnionFind(2);
    uf.union(5, 9);
    uf.union(9, 3000);
    expect(uf.find(3000)).toBe(uf.find(5));
    expect(uf.find(4)).toBe(4);
  });

  it('partition equals whole-volume connected components for any block shape', async () => {
    const shape: Vec3 = [9, 23, 31];
    const labels = blobs(shape, 1, 4);
    const whole = connectedComponentsSync(labels, shape).labels;
    const src = memorySource(labels, shape);
    const region: Box = { min: [0, 0, 0], max: shape };
    for (const block of [[4, 7, 9], [9, 23, 31], [2, 23, 5]] as Vec3[]) {
      const bc = await BlockwiseComponents.build((b) => src.readRegion(b) as Promise<Uint32Array>, region, block);
      const blockwise = new Uint32Array(whole.length);
      for (const b of bc.blocks) {
        const ids = await bc.relabel(b);
        let i = 0;
        for (let z = b.min[0]; z < b.max[0]; z++) for (let y = b.min[1]; y < b.max[1]; y++) for (let x = b.min[2]; x < b.max[2]; x++) blockwise[(z * shape[1] + y) * shape[2] + x] = ids[i++];
      }
      // Same partition: zero VOI both ways and zeros in the same places.
      const m = evaluateSegmentationSync(whole, blockwise);
      expect(m.voiSplit).toBeCloseTo(0, 12);
      expect(m.voiMerge).toBeCloseTo(0, 12);
      expect(m.gtSegments).toBe(m.segSegments);
      for (let i = 0; i < whole.length; i++) expect(blockwise[i] === 0).toBe(whole[i] === 0);
    }
  });
});

describe('streaming evaluation', () => {
  it('equals the in-memory metrics, with or without relabelling the ground truth', async () => {
    const shape: Vec3 = [8, 20, 26];
    const gt = blobs(shape, 2, 5);
    const rng = new Rng(7);
    const seg = Uint32Array.from(gt, (v) => (rng.uniform() < 0.2 ? rng.int(9) : v + (v % 2) * 10));
    const region: Box = { min: [1, 2, 3], max: [7, 19, 25] };
    const crop = (a: Uint32Array) => {
      const s = boxSize(region);
      const out = new Uint32Array(voxelCount(s));
      let i = 0;
      for (let z = region.min[0]; z < region.max[0]; z++) for (let y = region.min[1]; y < region.max[1]; y++) for (let x = region.min[2]; x < region.max[2]; x++) out[i++] = a[(z * shape[1] + y) * shape[2] + x];
      return out;
    };
    const plain = evaluateSegmentationSync(crop(gt), crop(seg));
    const streamed = await evaluateSources(memorySource(gt, shape), memorySource(seg, shape), { region, blockShape: [3, 7, 5] });
    expect(streamed.voiSplit).toBeCloseTo(plain.voiSplit, 12);
    expect(streamed.voiMerge).toBeCloseTo(plain.voiMerge, 12);
    expect(streamed.arand).toBeCloseTo(plain.arand, 12);
    expect(streamed.blocks).toBe(2 * 3 * 5);
    const relabelled = connectedComponentsSync(crop(gt), boxSize(region)).labels;
    const expected = evaluateSegmentationSync(relabelled, crop(seg));
    const streamedCc = await evaluateSources(memorySource(gt, shape), memorySource(seg, shape), { region, blockShape: [3, 7, 5], relabelGt: true });
    expect(streamedCc.relabelledGt).toBe(true);
    expect(streamedCc.voi).toBeCloseTo(expected.voi, 12);
    expect(streamedCc.arand).toBeCloseTo(expected.arand, 12);
    expect(Math.abs(streamedCc.voi - streamed.voi)).toBeGreaterThan(1e-3); // relabelling matters here
  });

  it('scores a project layer against a TIFF file through the job task', async () => {
    const dir = tempDir();
    const project = Project.create(join(dir, 'p'));
    try {
      const shape: Vec3 = [6, 16, 18];
      const gt = blobs(shape, 3, 4);
      const seg = Uint16Array.from(gt, (v) => (v === 2 ? 1 : v));
      await createLayerFromArray(project, { name: 'gt', kind: 'labels', dtype: 'uint32', shape, resolution: [40, 8, 8], data: gt });
      const file = join(dir, 'seg.tif');
      const src = memorySource(seg, shape);
      await writeBigTiff(file, { dtype: 'uint16', shape, resolution: null, sourceChunkShape: shape }, (b) => src.readRegion(b));
      const ctx = { signal: new AbortController().signal, projectRoot: project.root, progress: () => {}, emit: () => {}, throwIfCancelled: () => {} };
      const r = await evaluateTask({ gt: { layer: 'gt' }, seg: { path: file } }, ctx);
      const expected = evaluateSegmentationSync(gt, Uint32Array.from(seg));
      expect(r.voiMerge).toBeGreaterThan(0.1);
      expect(r.voiMerge).toBeCloseTo(expected.voiMerge, 12);
      expect(r.voiSplit).toBeCloseTo(expected.voiSplit, 12);
      expect(r.arand).toBeCloseTo(expected.arand, 12);
      await expect(evaluateTask({ gt: { layer: 'gt' }, seg: { layer: 'nope' } }, ctx)).rejects.toThrow(/nope/);
    } finally {
      project.close();
    }
  });
});

describe('padded reads and scratch volumes', () => {
  it('mirror past the border like numpy reflect, or read zeros for labels', async () => {
    expect([-3, -2, -1, 0, 1, 2, 3, 4, 5, 6].map((i) => reflectIndex(i, 4))).toEqual([3, 2, 1, 0, 1, 2, 3, 2, 1, 0]);
    const shape: Vec3 = [1, 1, 4];
    const src = memorySource(Uint8Array.of(10, 20, 30, 40), shape);
    expect(Array.from((await readPadded(src, { min: [0, 0, -2], max: [1, 1, 6] }, 'reflect')) as Uint8Array)).toEqual([30, 20, 10, 20, 30, 40, 30, 20]);
    expect(Array.from((await readPadded(src, { min: [0, 0, -2], max: [1, 1, 6] }, 'zero')) as Uint8Array)).toEqual([0, 0, 10, 20, 30, 40, 0, 0]);
    expect(Array.from((await readPadded(src, { min: [-1, 0, 1], max: [0, 1, 3] }, 'zero')) as Uint8Array)).toEqual([0, 0]);
  });

  it('round-trip boxes in any order, zero where nothing was written', () => {
    const dir = tempDir();
    const region: Box = { min: [2, 0, 1], max: [5, 4, 6] };
    const s = new ScratchVolume<Uint32Array>(join(dir, 's.u32'), region, 2, (n) => new Uint32Array(n));
    try {
      const box: Box = { min: [3, 1, 2], max: [5, 3, 5] };
      const data = Uint32Array.from({ length: 2 * 12 }, (_, i) => i + 1);
      s.write(box, data);
      expect(Array.from(s.read(box))).toEqual(Array.from(data));
      expect(Array.from(s.read(box, 1))).toEqual(Array.from(data.subarray(12)));
      const all = s.readOrZero({ min: [0, 0, 0], max: [6, 4, 7] }, 0);
      expect(all.reduce((a, b) => a + b, 0)).toBe(data.subarray(0, 12).reduce((a, b) => a + b, 0));
      expect(all[(3 * 4 + 1) * 7 + 2]).toBe(1);
    } finally {
      s.dispose();
    }
  });
});
