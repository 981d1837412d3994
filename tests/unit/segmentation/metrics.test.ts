import { describe, expect, it } from 'vitest';
import {
  cremiBorderMaskSync,
  evaluateSegmentation,
  evaluateSegmentationSync,
  maskGroundTruth,
  MetricsAccumulator,
} from '../../../src/main/segmentation/metrics';
import { pythonJson, python, rng, segmentationNativeAvailable } from './fixtures';

const native = segmentationNativeAvailable();

describe.runIf(native)('metrics: hand-computed cases', () => {
  it('a pure merge: split 0, merge 1 bit; ARAND precision 1, recall 1/3', () => {
    const m = evaluateSegmentationSync(new Uint32Array([1, 1, 2, 2]), new Uint32Array([1, 1, 1, 1]));
    expect(m.voiSplit).toBeCloseTo(0, 15);
    expect(m.voiMerge).toBeCloseTo(1, 15);
    // pairs: sum n_ij^2 - N = 4; gt: 8 - 4 = 4; seg: 16 - 4 = 12
    expect(m.arandPrecision).toBeCloseTo(1, 15);
    expect(m.arandRecall).toBeCloseTo(1 / 3, 15);
    expect(m.arand).toBeCloseTo(0.5, 15);
  });

  it('a pure split: split 1 bit, merge 0; CREMI ARAND differs (squared counts, no self-pair removal)', () => {
    const m = evaluateSegmentationSync(new Uint32Array([1, 1, 1, 1]), new Uint32Array([1, 1, 2, 2]));
    expect(m.voiSplit).toBeCloseTo(1, 15);
    expect(m.voiMerge).toBeCloseTo(0, 15);
    expect(m.arandPrecision).toBeCloseTo(1 / 3, 15);
    expect(m.arandRecall).toBeCloseTo(1, 15);
    expect(m.arand).toBeCloseTo(0.5, 15);
    // CREMI: sumA = 16, sumB = 8, sumAB = 8 -> precision 1, recall 0.5
    expect(m.cremi.precision).toBeCloseTo(1, 15);
    expect(m.cremi.recall).toBeCloseTo(0.5, 15);
    expect(m.cremi.arand).toBeCloseTo(1 / 3, 15);
    expect(m.cremi.score).toBeCloseTo(Math.sqrt(1 / 3), 15);
  });

  it('excludes voxels where gt == 0; CREMI counts them in n and treats seg 0 as singletons', () => {
    const m = evaluateSegmentationSync(new Uint32Array([0, 0, 1, 1, 2, 2]), new Uint32Array([5, 6, 1, 1, 1, 1]));
    expect(m.counted).toBe(4);
    expect(m.total).toBe(6);
    expect(m.voiMerge).toBeCloseTo(1, 15);
    expect(m.arand).toBeCloseTo(0.5, 15);

    // gt = 1 everywhere but the last voxel; seg 0 on two of them: n = 5, c = 2
    const c = evaluateSegmentationSync(new Uint32Array([1, 1, 1, 1, 0]), new Uint32Array([0, 0, 3, 3, 7]));
    // sumA = 16, sumB = 4 + 2/5, sumAB = 4 + 2/5
    const recall = 4.4 / 16;
    expect(c.cremi.precision).toBeCloseTo(1, 15);
    expect(c.cremi.recall).toBeCloseTo(recall, 15);
    expect(c.cremi.arand).toBeCloseTo(1 - (2 * recall) / (1 + recall), 15);
    // skimage treats seg 0 as one ordinary segment: 2 + 2 split
    expect(c.voiSplit).toBeCloseTo(1, 15);
  });

  it('a perfect segmentation scores 0 whatever the ids and label types', () => {
    const gt = new Uint16Array([3, 3, 9, 9, 0, 4]);
    const seg = new BigUint64Array([10n, 10n, 2n ** 40n, 2n ** 40n, 77n, 1n]);
    const m = evaluateSegmentationSync(gt, seg);
    expect([m.voiSplit, m.voiMerge, m.arand, m.cremi.arand]).toEqual([0, 0, 0, 0]);
    expect(m.gtSegments).toBe(3);
  });

  it('reports NaN when nothing is scored and rejects chunks of different length', () => {
    expect(Number.isNaN(evaluateSegmentationSync(new Uint8Array(3), new Uint8Array(3)).voiSplit)).toBe(true);
    expect(() => evaluateSegmentationSync(new Uint8Array(3), new Uint8Array(4))).toThrow(/3 voxels, segmentation 4/);
  });
});

/** gt: random blocks with background; seg: gt with random merges, splits and seg-0 noise. */
function randomPair(seed: number, n: number): { gt: Uint32Array; seg: Uint32Array } {
  const r = rng(seed);
  const gt = new Uint32Array(n);
  const seg = new Uint32Array(n);
  let label = 1;
  for (let i = 0; i < n; i++) {
    if (r() < 0.02) label = 1 + Math.floor(r() * 40);
    gt[i] = r() < 0.1 ? 0 : label;
    const merged = label % 7 === 0 ? 1 : label;
    seg[i] = r() < 0.05 ? 0 : r() < 0.1 ? 100 + Math.floor(r() * 5) : merged * (i % 3 === 0 ? 1000 : 1);
  }
  return { gt, seg };
}

const REFERENCE = `
from skimage.metrics import variation_of_information, adapted_rand_error
from scipy import sparse
out = []
for k in range(0, len(paths), 2):
    gt = np.fromfile(paths[k], dtype=np.uint32).astype(np.int64)
    seg = np.fromfile(paths[k + 1], dtype=np.uint32).astype(np.int64)
    split, merge = variation_of_information(gt, seg, ignore_labels=[0])
    are, prec, rec = adapted_rand_error(gt, seg, ignore_labels=[0])
    # CREMI / SNEMI3D adapted Rand (cremi_python evaluation/rand.py formula)
    n = gt.size
    p = sparse.csr_matrix((np.ones(n), (gt, seg)))
    rows = p[1:, :]
    body = p[1:, 1:]
    c = rows[:, 0].toarray().sum()
    sum_a = float((np.asarray(rows.sum(1)) ** 2).sum())
    sum_b = float((np.asarray(body.sum(0)) ** 2).sum()) + c / n
    sum_ab = float(body.multiply(body).sum()) + c / n
    cp, cr = sum_ab / sum_b, sum_ab / sum_a
    out.append([split, merge, are, prec, rec, 1 - 2 * cp * cr / (cp + cr), cp, cr])
print(json.dumps(out))
`;

describe.runIf(native)('metrics vs skimage (random pairs)', () => {
  it('VOI split/merge, adapted Rand and the CREMI variant equal the references to 1e-9', () => {
    const py = python('metrics vs skimage', ['numpy', 'scipy', 'skimage']);
    if (!py) return;
    const pairs = [1, 2, 3, 4, 5].map((s) => randomPair(s, 20_000 + s * 3_001));
    const ref = pythonJson<number[][]>(REFERENCE, pairs.flatMap((p) => [p.gt, p.seg]));
    pairs.forEach((p, k) => {
      const m = evaluateSegmentationSync(p.gt, p.seg);
      const got = [m.voiSplit, m.voiMerge, m.arand, m.arandPrecision, m.arandRecall, m.cremi.arand, m.cremi.precision, m.cremi.recall];
      got.forEach((v, j) => expect(Math.abs(v - ref[k][j]), `pair ${k} value ${j}: ${v} vs ${ref[k][j]}`).toBeLessThan(1e-9));
    });
  });
});

describe.runIf(native)('streaming metrics', () => {
  it('chunk by chunk (sync and async, any label types) equals one shot', async () => {
    const { gt, seg } = randomPair(11, 50_000);
    const whole = evaluateSegmentationSync(gt, seg);
    const acc = new MetricsAccumulator();
    const cuts = [0, 1, 777, 20_000, 20_001, 50_000];
    for (let c = 0; c + 1 < cuts.length; c++) {
      const g = gt.subarray(cuts[c], cuts[c + 1]);
      const s = seg.subarray(cuts[c], cuts[c + 1]);
      if (c % 2) acc.addSync(Uint16Array.from(g), BigUint64Array.from(s, (v) => BigInt(v)));
      else await acc.add(g, Int32Array.from(s));
    }
    expect(acc.total).toBe(50_000);
    const streamed = acc.result();
    for (const key of ['voiSplit', 'voiMerge', 'arand', 'arandPrecision', 'arandRecall'] as const)
      expect(streamed[key]).toBeCloseTo(whole[key], 12);
    expect(streamed.cremi.arand).toBeCloseTo(whole.cremi.arand, 12);
    expect(streamed.counted).toBe(whole.counted);

    // two accumulators merged = one
    const a = new MetricsAccumulator();
    const b = new MetricsAccumulator();
    a.addSync(gt.subarray(0, 10_000), seg.subarray(0, 10_000));
    b.addSync(gt.subarray(10_000), seg.subarray(10_000));
    a.merge(b);
    expect(a.result().voiSplit).toBeCloseTo(whole.voiSplit, 12);
    a.reset();
    expect(a.total).toBe(0);
    expect((await evaluateSegmentation(gt, seg)).arand).toBeCloseTo(whole.arand, 14);
  });
});

describe.runIf(native)('CREMI border mask', () => {
  it('marks voxels within the distance of a label change, per section, as cremi_python does', () => {
    // one section, labels 1 | 2 split at x = 5 on a 1x4x10 grid
    const labels = new Uint32Array(40).map((_, i) => (i % 10 < 5 ? 1 : 2));
    const mask = cremiBorderMaskSync(labels, [1, 4, 10], 1);
    // border voxels: x = 4 and 5 (distance 0); within 1: x = 3 and 6
    expect(Array.from(mask.subarray(0, 10))).toEqual([0, 0, 0, 1, 1, 1, 1, 0, 0, 0]);
    const masked = maskGroundTruth(labels, mask);
    expect(Array.from(masked.subarray(0, 10))).toEqual([1, 1, 1, 0, 0, 0, 0, 2, 2, 2]);

    const py = python('border mask vs scipy', ['numpy', 'scipy']);
    if (!py) return;
    const r = rng(5);
    const shape = [3, 30, 40] as const;
    const vol = new Uint32Array(3 * 30 * 40).map((_, i) => 1 + Math.floor(((i % 40) + r() * 6) / 9) + 10 * Math.floor((i / 40) % 30 / 11));
    const ours = Array.from(cremiBorderMaskSync(vol, shape, 2.5));
    const ref = pythonJson<number[]>(
      `from scipy.ndimage import distance_transform_edt
v = np.fromfile(paths[0], dtype=np.uint32).reshape(3, 30, 40)
out = []
for z in range(3):
    im = v[z]
    p = np.pad(im, 1, mode='edge')
    inner = (im == p[:-2, 1:-1]) & (im == p[2:, 1:-1]) & (im == p[1:-1, :-2]) & (im == p[1:-1, 2:])
    out.append((distance_transform_edt(inner) <= 2.5).astype(int))
print(json.dumps(np.stack(out).ravel().tolist()))`,
      [vol],
    );
    expect(ours).toEqual(ref);
  });
});
