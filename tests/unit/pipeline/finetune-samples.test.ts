import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/main/ml/util/rng';
import { resolveAugment } from '../../../src/main/pipeline/augment';
import { buildSample, sampleOrigin } from '../../../src/main/pipeline/finetune/samples';
import { labelsToAffinities, widenBorders } from '../../../src/main/segmentation/affinity-targets';
import { voxelCount, type Box, type Vec3 } from '../../../src/main/volumes/box';
import { memorySource as source } from '../../helpers/memory-source';


describe('fine-tuning samples', () => {
  const shape: Vec3 = [12, 40, 40];
  const labels = new Uint32Array(voxelCount(shape));
  for (let z = 0; z < shape[0]; z++)
    for (let y = 0; y < shape[1]; y++)
      for (let x = 0; x < shape[2]; x++) labels[(z * 40 + y) * 40 + x] = 1 + ((Math.floor(x / 7) + 2 * Math.floor(y / 9) + Math.floor(z / 5)) % 11);
  // The image encodes each voxel's label, so alignment can be read back from the network input.
  const image = Uint8Array.from(labels, (l) => 10 + 20 * l);
  const data = { image: source(image, shape), labels: source(labels, shape), normalization: { kind: 'scale' as const, offset: 0, scale: 255 }, region: { min: [0, 0, 0], max: shape } as Box };

  it('keep image and affinity targets aligned through every geometric augmentation', async () => {
    const crop: Vec3 = [8, 16, 16];
    const augment = resolveAugment({ contrast: { p: 0 }, gamma: { p: 0 }, blur: { p: 0 }, noise: { p: 0 }, missing: { p: 0 }, misalign: { p: 0.5 } });
    for (let seed = 0; seed < 12; seed++) {
      const s = await buildSample(data, crop, augment, new Rng(seed));
      const n = voxelCount(crop);
      expect(s.x).toHaveLength(n);
      expect(s.target).toHaveLength(3 * n);
      const decoded = Uint32Array.from(s.x, (v) => Math.round((v * 255 - 10) / 20));
      const expected = labelsToAffinities(widenBorders(decoded, crop), crop);
      // Compare where the crop alone determines the target: both voxels of the pair inside the
      // crop (the margin supplies the first plane's neighbours) and off its y/x border (border
      // widening looks one voxel further, into the margin).
      let compared = 0;
      for (let c = 0; c < 3; c++)
        for (let z = c === 0 ? 1 : 0; z < crop[0]; z++)
          for (let y = c === 1 ? 2 : 1; y < crop[1] - 1; y++)
            for (let x = c === 2 ? 2 : 1; x < crop[2] - 1; x++) {
              const i = c * n + (z * crop[1] + y) * crop[2] + x;
              if (s.weight[i] === 0) continue; // shifted in by a misalignment
              expect(s.target[i]).toBe(expected[i]);
              compared++;
            }
      expect(compared).toBeGreaterThan(n);
      expect(s.target.some((v) => v === 1)).toBe(true);
      expect(s.target.some((v) => v === 0)).toBe(true);
    }
  });

  it('balance classes within [0.05, 0.99] and give pairs outside the training region no weight', async () => {
    const crop: Vec3 = [8, 16, 16];
    const region: Box = { min: [2, 5, 5], max: [10, 18, 40] }; // narrower than the crop in y
    const s = await buildSample({ ...data, region }, crop, resolveAugment(false), new Rng(3));
    expect(s.origin[1]).toBe(5 + Math.floor((13 - 16) / 2));
    expect(s.positiveFraction).toBeGreaterThanOrEqual(0.05);
    expect(s.positiveFraction).toBeLessThanOrEqual(0.99);
    const n = voxelCount(crop);
    for (let c = 0; c < 3; c++)
      for (let z = 0; z < crop[0]; z++)
        for (let y = 0; y < crop[1]; y++)
          for (let x = 0; x < crop[2]; x++) {
            const g = [s.origin[0] + z, s.origin[1] + y, s.origin[2] + x];
            const nb = g.map((v, a) => (a === c ? v - 1 : v));
            const inside = (p: number[]) => p.every((v, a) => v >= region.min[a] && v < region.max[a]);
            const w = s.weight[c * n + (z * crop[1] + y) * crop[2] + x];
            if (inside(g) && inside(nb)) expect(w).toBeGreaterThan(0);
            else expect(w).toBe(0);
          }
    const pos = s.target.filter((v, i) => v === 1 && s.weight[i] > 0).length;
    const neg = s.target.filter((v, i) => v === 0 && s.weight[i] > 0).length;
    const wPos = s.weight[s.target.findIndex((v, i) => v === 1 && s.weight[i] > 0)];
    const wNeg = s.weight[s.target.findIndex((v, i) => v === 0 && s.weight[i] > 0)];
    // The rarer class is up-weighted so both classes carry comparable total weight.
    expect(Math.abs(pos * wPos - neg * wNeg) / (pos * wPos + neg * wNeg)).toBeLessThan(0.05);
  });

  it('draw origins uniformly inside the region', () => {
    const rng = new Rng(1);
    const region: Box = { min: [0, 10, 0], max: [16, 30, 40] };
    const ys = Array.from({ length: 4000 }, () => sampleOrigin(region, [16, 16, 16], rng)[1]);
    expect(Math.min(...ys)).toBe(10);
    expect(Math.max(...ys)).toBe(14);
    expect(new Set(ys).size).toBe(5);
  });
});
