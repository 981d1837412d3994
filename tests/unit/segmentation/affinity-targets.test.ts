import { describe, expect, it } from 'vitest';
import { classBalanceWeights, labelsToAffinities, widenBorders } from '../../../src/main/segmentation/affinity-targets';

describe('widenBorders', () => {
  it('zeroes voxels whose clipped 3x3 in-plane window holds more than one non-zero id', () => {
    // prettier-ignore
    const labels = new Uint32Array([
      1, 1, 2, 2,
      1, 1, 2, 2,
      0, 3, 3, 3,
      0, 3, 3, 3,
    ]);
    // prettier-ignore
    expect(Array.from(widenBorders(labels, [1, 4, 4]))).toEqual([
      1, 0, 0, 2,
      0, 0, 0, 0,
      0, 0, 0, 0,
      0, 3, 3, 3,
    ]);
  });

  it('works per section (z neighbours never count), keeps the dtype and leaves the input alone', () => {
    const labels = new Uint16Array([1, 1, 1, 1, 5, 5, 5, 5]);
    const out = widenBorders(labels, [2, 2, 2]);
    expect(out).toBeInstanceOf(Uint16Array);
    expect(Array.from(out)).toEqual([1, 1, 1, 1, 5, 5, 5, 5]);
    const mixed = new BigUint64Array([1n, 2n, 0n, 2n]);
    expect(Array.from(widenBorders(mixed, [1, 1, 4]))).toEqual([0n, 0n, 0n, 2n]);
    expect(Array.from(mixed)).toEqual([1n, 2n, 0n, 2n]);
  });

  it('treats background as no id: one id next to zeros survives', () => {
    const labels = new Uint8Array([0, 0, 0, 0, 7, 0, 0, 0, 0]);
    expect(Array.from(widenBorders(labels, [1, 3, 3]))).toEqual([0, 0, 0, 0, 7, 0, 0, 0, 0]);
  });
});

describe('labelsToAffinities', () => {
  it('gives 1 only for same non-zero labels at offset -1, 0 on the first slice/row/column', () => {
    // z0: [[1,1],[1,2]]  z1: [[1,0],[2,2]]
    const labels = new Uint32Array([1, 1, 1, 2, 1, 0, 2, 2]);
    const affs = labelsToAffinities(labels, [2, 2, 2]);
    expect(Array.from(affs.subarray(0, 8))).toEqual([0, 0, 0, 0, 1, 0, 0, 1]); // z
    expect(Array.from(affs.subarray(8, 16))).toEqual([0, 0, 1, 0, 0, 0, 0, 0]); // y
    expect(Array.from(affs.subarray(16, 24))).toEqual([0, 1, 0, 0, 0, 0, 0, 1]); // x
  });

  it('never links background to background', () => {
    const affs = labelsToAffinities(new Uint8Array(8), [2, 2, 2]);
    expect(affs.every((v) => v === 0)).toBe(true);
  });

  it('rejects a shape that does not match', () => {
    expect(() => labelsToAffinities(new Uint8Array(7), [2, 2, 2])).toThrow(/expected 1 x 2x2x2 values, got 7/);
  });
});

describe('classBalanceWeights (TokenUnify weight_binary_ratio)', () => {
  it('up-weights the rare class by (1 - f) / f or f / (1 - f)', () => {
    const mostlyPositive = classBalanceWeights(new Float32Array([1, 1, 1, 0]));
    expect(mostlyPositive.positiveFraction).toEqual([0.75]);
    expect(Array.from(mostlyPositive.weights)).toEqual([1, 1, 1, 3]);

    const rare = new Float32Array(10);
    rare[0] = 1;
    const w = classBalanceWeights(rare);
    expect(w.positiveWeight[0]).toBeCloseTo(9, 12);
    expect(w.negativeWeight[0]).toBe(1);
    expect(w.weights[0]).toBeCloseTo(9, 5);
    expect(w.weights[1]).toBe(1);
  });

  it('clips the positive fraction to [0.05, 0.99]', () => {
    const veryRare = new Uint8Array(1000);
    veryRare[0] = 255;
    const lo = classBalanceWeights(veryRare);
    expect(lo.positiveFraction[0]).toBe(0.05);
    expect(lo.positiveWeight[0]).toBeCloseTo(19, 12);

    const veryCommon = new Uint8Array(1000).fill(1);
    veryCommon[0] = 0;
    const hi = classBalanceWeights(veryCommon);
    expect(hi.positiveFraction[0]).toBe(0.99);
    expect(hi.negativeWeight[0]).toBeCloseTo(99, 9);
    expect(hi.positiveWeight[0]).toBe(1);
  });

  it('gives weight 1 to a single-valued block, balances channels separately on request, applies the mask', () => {
    expect(Array.from(classBalanceWeights(new Float32Array(6).fill(1)).weights)).toEqual([1, 1, 1, 1, 1, 1]);
    // channel 0 all positive (uniform), channel 1 half, channel 2 one of four
    const t = new Float32Array([1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0]);
    const per = classBalanceWeights(t, { perChannel: true });
    expect(per.positiveFraction).toEqual([1, 0.5, 0.25]);
    expect(Array.from(per.weights)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 3, 1, 1, 1]);
    const masked = classBalanceWeights(new Float32Array([1, 0, 0, 0]), { mask: new Uint8Array([1, 1, 0, 0]) });
    expect(masked.positiveFraction).toEqual([0.5]);
    expect(Array.from(masked.weights)).toEqual([1, 1, 0, 0]);
  });
});
