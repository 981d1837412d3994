/**
 * A sparse contingency table between a reference labelling (rows) and a segmentation
 * (columns) that can be updated in both directions, so the quality of a segmentation can
 * follow edits: subtract the counts of the chunks an edit rewrote, add their new counts.
 * Reference label 0 is never counted (the convention of skimage and of the segmentation
 * module's metrics: ground-truth 0 is ignored).
 */
import type { QualityMetrics } from '../../../shared/api/studio-ml';

type Labels = ArrayLike<number>;

export class Contingency {
  /** ref label -> (seg label -> voxels). */
  readonly rows = new Map<number, Map<number, number>>();
  private voxels = 0;

  get total(): number {
    return this.voxels;
  }

  add(ref: number, seg: number, n: number): void {
    if (n === 0) return;
    let row = this.rows.get(ref);
    if (!row) this.rows.set(ref, (row = new Map()));
    const v = (row.get(seg) ?? 0) + n;
    if (v === 0) {
      row.delete(seg);
      if (row.size === 0) this.rows.delete(ref);
    } else row.set(seg, v);
    this.voxels += n;
  }

  /** Adds (sign 1) or subtracts (sign -1) another table. */
  addTable(other: Contingency, sign: 1 | -1 = 1): void {
    for (const [r, row] of other.rows) for (const [s, n] of row) this.add(r, s, sign * n);
  }

  clone(): Contingency {
    const c = new Contingency();
    c.addTable(this);
    return c;
  }

  /** Counts voxel pairs (equal length arrays), skipping reference 0; runs of equal pairs are counted at once. */
  static count(ref: Labels, seg: Labels): Contingency {
    const c = new Contingency();
    const n = ref.length;
    let i = 0;
    while (i < n) {
      const r = ref[i];
      const s = seg[i];
      let j = i + 1;
      while (j < n && ref[j] === r && seg[j] === s) j++;
      if (r !== 0) c.add(r, s, j - i);
      i = j;
    }
    return c;
  }

  /** The table with segmentation labels renamed through `map` (columns that map together merge). */
  mapped(map: (label: number) => number): Contingency {
    const c = new Contingency();
    for (const [r, row] of this.rows) for (const [s, n] of row) c.add(r, map(s), n);
    return c;
  }

  /**
   * VOI split = H(seg | ref), merge = H(ref | seg) in bits, and the adapted Rand error of
   * skimage.metrics.adapted_rand_error (precision over reference pairs, recall over
   * segmentation pairs). Null when nothing is counted. Where a pair count is zero (every
   * object a single voxel) precision or recall is 1: there is no pair to get wrong.
   */
  metrics(): QualityMetrics | null {
    const N = this.voxels;
    if (N <= 0) return null;
    const cols = new Map<number, number>();
    let split = 0;
    let sumNij2 = 0;
    let sumA2 = 0;
    for (const row of this.rows.values()) {
      let a = 0;
      for (const [s, n] of row) {
        a += n;
        cols.set(s, (cols.get(s) ?? 0) + n);
        sumNij2 += n * n;
      }
      sumA2 += a * a;
      const la = Math.log2(a);
      for (const n of row.values()) split += n * (la - Math.log2(n));
    }
    let merge = 0;
    let sumB2 = 0;
    for (const b of cols.values()) sumB2 += b * b;
    for (const row of this.rows.values()) for (const [s, n] of row) merge += n * (Math.log2(cols.get(s)!) - Math.log2(n));
    const pairs = sumNij2 - N;
    const precision = sumA2 - N > 0 ? pairs / (sumA2 - N) : 1;
    const recall = sumB2 - N > 0 ? pairs / (sumB2 - N) : 1;
    const arand = precision + recall > 0 ? 1 - (2 * precision * recall) / (precision + recall) : 1;
    return { voiSplit: split / N, voiMerge: merge / N, voi: (split + merge) / N, arand, counted: N };
  }
}
