import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/main/ml/util/rng';
import {
  DEFAULT_AUGMENT,
  applyGeometry,
  applyMisalign,
  applyPhotometric,
  invertGeometry,
  resolveAugment,
  rot90,
  samplePlan,
  type GeometryPlan,
} from '../../../src/main/pipeline/augment';
import type { Vec3 } from '../../../src/main/volumes/box';

function allGeometries(square: boolean): GeometryPlan[] {
  const out: GeometryPlan[] = [];
  for (let f = 0; f < 8; f++)
    for (const rotate of square ? ([0, 1, 2, 3] as const) : ([0, 2] as const))
      for (const transpose of square ? [false, true] : [false]) out.push({ flip: [!!(f & 4), !!(f & 2), !!(f & 1)], rotate, transpose });
  return out;
}

const indexVolume = (shape: Vec3) => Uint32Array.from({ length: shape[0] * shape[1] * shape[2] }, (_, i) => i + 1);

describe('geometric augmentations', () => {
  it('rot90 follows numpy.rot90(axes=(1, 2))', () => {
    // numpy: rot90([[1,2,3],[4,5,6]]) = [[3,6],[2,5],[1,4]]; k=3 -> [[4,1],[5,2],[6,3]]
    const m = Uint32Array.of(1, 2, 3, 4, 5, 6);
    expect(Array.from(rot90(m, [1, 2, 3], 1))).toEqual([3, 6, 2, 5, 1, 4]);
    expect(Array.from(rot90(m, [1, 2, 3], 3))).toEqual([4, 1, 5, 2, 6, 3]);
    expect(Array.from(rot90(m, [1, 2, 3], 2))).toEqual([6, 5, 4, 3, 2, 1]);
  });

  it('every flip / rotation / transpose combination is inverted exactly', () => {
    for (const [shape, square] of [
      [[3, 5, 5], true],
      [[4, 3, 6], false],
    ] as [Vec3, boolean][]) {
      const x = indexVolume(shape);
      const seen = new Set<string>();
      for (const g of allGeometries(square)) {
        const y = applyGeometry(x, shape, g);
        expect(y.slice().sort()).toEqual(x.slice().sort()); // a permutation
        seen.add(Array.from(y).join(','));
        expect(Array.from(invertGeometry(y, shape, g))).toEqual(Array.from(x));
      }
      // The group of the square in-plane symmetries x z-flip has 16 elements; non-square: 8.
      expect(seen.size).toBe(square ? 16 : 8);
    }
  });

  it('moves image, labels and validity mask together', () => {
    const shape: Vec3 = [4, 6, 6];
    const rng = new Rng(5);
    const labels = Uint32Array.from({ length: 144 }, () => rng.int(5));
    const image = Float32Array.from(labels, (l) => l * 10 + 0.5);
    const valid = Uint8Array.from(labels, (l) => (l > 2 ? 1 : 0));
    for (let seed = 0; seed < 30; seed++) {
      const plan = samplePlan(resolveAugment({ misalign: { p: 0.5 } }), new Rng(seed), shape);
      let im = applyGeometry(image, shape, plan.geometry);
      let lb = applyGeometry(labels, shape, plan.geometry);
      let va = applyGeometry(valid, shape, plan.geometry);
      if (plan.misalign) {
        im = applyMisalign(im, shape, plan.misalign, 'edge');
        lb = applyMisalign(lb, shape, plan.misalign, 0);
        va = applyMisalign(va, shape, plan.misalign, 0);
      }
      for (let i = 0; i < lb.length; i++) {
        if (!va[i]) continue;
        expect(im[i]).toBe(lb[i] * 10 + 0.5);
        expect(va[i]).toBe(lb[i] > 2 ? 1 : 0);
      }
    }
  });

  it('misalignment shifts the sections from s on (shift) or section s alone (slip)', () => {
    const shape: Vec3 = [3, 4, 4];
    const x = indexVolume(shape);
    const shifted = applyMisalign(x, shape, { section: 1, dy: 1, dx: -1, mode: 'shift' }, 0);
    const at = (a: Uint32Array, z: number, y: number, xx: number) => a[(z * 4 + y) * 4 + xx];
    expect(at(shifted, 0, 2, 2)).toBe(at(x, 0, 2, 2));
    expect(at(shifted, 1, 2, 1)).toBe(at(x, 1, 1, 2));
    expect(at(shifted, 2, 3, 0)).toBe(at(x, 2, 2, 1));
    expect(at(shifted, 1, 0, 1)).toBe(0); // shifted in from outside
    const slip = applyMisalign(x, shape, { section: 1, dy: 1, dx: 0, mode: 'slip' }, 0);
    expect(at(slip, 2, 2, 2)).toBe(at(x, 2, 2, 2));
    expect(at(slip, 1, 2, 2)).toBe(at(x, 1, 1, 2));
  });
});

describe('augmentation plans', () => {
  it('draw each augmentation with its stated probability', () => {
    const n = 20000;
    const rng = new Rng(11);
    const hits = { flipZ: 0, rotate: 0, transpose: 0, misalign: 0, contrast: 0, gamma: 0, blur: 0, noise: 0, missing: 0 };
    const rotations = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) {
      const p = samplePlan(DEFAULT_AUGMENT, rng, [16, 32, 32]);
      hits.flipZ += +p.geometry.flip[0];
      hits.rotate += +(p.geometry.rotate !== 0);
      rotations[p.geometry.rotate]++;
      hits.transpose += +p.geometry.transpose;
      hits.misalign += +(p.misalign !== null);
      hits.contrast += +(p.contrast !== null);
      hits.gamma += +(p.gamma !== null);
      hits.blur += +(p.blur !== null);
      hits.noise += +(p.noise !== null);
      hits.missing += +(p.missing !== null);
    }
    const expected = { flipZ: 0.5, rotate: 0.5, transpose: 0.5, misalign: 0.1, contrast: 0.5, gamma: 0.3, blur: 0.2, noise: 0.3, missing: 0.1 };
    for (const [k, p] of Object.entries(expected)) expect(Math.abs(hits[k as keyof typeof hits] / n - p)).toBeLessThan(0.015);
    for (const k of [1, 2, 3]) expect(Math.abs(rotations[k] / n - 0.5 / 3)).toBeLessThan(0.015);
  });

  it('non-square crops get only 180-degree rotations and no transpose; `false` turns everything off', () => {
    const rng = new Rng(2);
    for (let i = 0; i < 500; i++) {
      const p = samplePlan(DEFAULT_AUGMENT, rng, [16, 32, 48]);
      expect([0, 2]).toContain(p.geometry.rotate);
      expect(p.geometry.transpose).toBe(false);
    }
    const off = resolveAugment(false);
    for (let i = 0; i < 200; i++) {
      const p = samplePlan(off, rng, [16, 32, 32]);
      expect(p.geometry).toEqual({ flip: [false, false, false], rotate: 0, transpose: false });
      expect([p.misalign, p.contrast, p.gamma, p.blur, p.noise, p.missing]).toEqual([null, null, null, null, null, null]);
    }
  });

  it('are deterministic for a seed', () => {
    const shape: Vec3 = [4, 16, 16];
    const img = Float32Array.from({ length: 1024 }, (_, i) => (i % 97) / 97);
    const run = (seed: number) => {
      const p = samplePlan(resolveAugment({ noise: { p: 1 }, blur: { p: 1 } }), new Rng(seed), shape);
      return applyPhotometric(applyGeometry(img, shape, p.geometry), shape, p);
    };
    expect(Array.from(run(9))).toEqual(Array.from(run(9)));
    expect(Array.from(run(9))).not.toEqual(Array.from(run(10)));
  });

  it('photometric changes: contrast/gamma keep [0, 1], a missing section is 0, blur keeps the mean', () => {
    const shape: Vec3 = [3, 8, 8];
    const img = Float32Array.from({ length: 192 }, (_, i) => ((i * 37) % 64) / 63);
    const base = { geometry: { flip: [false, false, false] as [boolean, boolean, boolean], rotate: 0 as const, transpose: false }, misalign: null, gamma: null, blur: null, noise: null, missing: null, noiseSeed: 1 };
    const c = applyPhotometric(img, shape, { ...base, contrast: { contrast: 1.2, brightness: 0.1 } });
    expect(Math.min(...c)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...c)).toBeLessThanOrEqual(1);
    const m = applyPhotometric(img, shape, { ...base, contrast: null, missing: 1 });
    expect(m.subarray(64, 128).every((v) => v === 0)).toBe(true);
    expect(Array.from(m.subarray(0, 64))).toEqual(Array.from(img.subarray(0, 64)));
    const constant = new Float32Array(192).fill(0.4);
    const b = applyPhotometric(constant, shape, { ...base, contrast: null, blur: 1.2 });
    for (const v of b) expect(v).toBeCloseTo(0.4, 6);
  });
});
