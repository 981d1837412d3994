import { AppError } from '../errors';
import { awaitNative, callNative, segmentationAddon, type NativeContingency, type NativeMetrics } from './native';
import type { LabelArray, Shape3 } from './types';

/**
 * Segmentation quality against a ground truth. Voxels where gt == 0 are excluded from
 * every score (segmentation label 0 is an ordinary label). Entropies in bits.
 */
export interface SegmentationMetrics {
  /** H(seg | gt): over-segmentation = skimage variation_of_information(gt, seg, ignore_labels=[0])[0]. */
  voiSplit: number;
  /** H(gt | seg): under-segmentation = skimage variation_of_information(gt, seg, ignore_labels=[0])[1]. */
  voiMerge: number;
  voi: number;
  /** skimage adapted_rand_error(gt, seg, ignore_labels=[0]) -> (error, precision, recall). */
  arand: number;
  arandPrecision: number;
  arandRecall: number;
  /** The CREMI challenge's definitions (cremi_python) on the same voxels. */
  cremi: {
    /** CREMI's VOI equals skimage's (log2, gt 0 ignored). */
    voiSplit: number;
    voiMerge: number;
    /** cremi.evaluation.rand.adapted_rand(seg, gt): SNEMI3D formula, see docs/segmentation.md. */
    arand: number;
    precision: number;
    recall: number;
    /** sqrt(VOI * ARAND), the challenge's ranking score. */
    score: number;
  };
  /** Voxels scored (gt != 0) and seen. */
  counted: number;
  total: number;
  gtSegments: number;
  segSegments: number;
}

function toMetrics(m: NativeMetrics): SegmentationMetrics {
  const voi = m.voiSplit + m.voiMerge;
  return {
    voiSplit: m.voiSplit,
    voiMerge: m.voiMerge,
    voi,
    arand: m.arand,
    arandPrecision: m.arandPrecision,
    arandRecall: m.arandRecall,
    cremi: {
      voiSplit: m.voiSplit,
      voiMerge: m.voiMerge,
      arand: m.cremiArand,
      precision: m.cremiPrecision,
      recall: m.cremiRecall,
      score: Math.sqrt(voi * m.cremiArand),
    },
    counted: m.counted,
    total: m.total,
    gtSegments: m.gtSegments,
    segSegments: m.segSegments,
  };
}

function checkPair(gt: LabelArray, seg: LabelArray): void {
  if (gt.length !== seg.length) {
    throw new AppError('BAD_REQUEST', `metrics: ground truth has ${gt.length} voxels, segmentation ${seg.length}`);
  }
}

/** VOI and adapted Rand error of an in-memory pair (blocks the thread). */
export function evaluateSegmentationSync(gt: LabelArray, seg: LabelArray): SegmentationMetrics {
  checkPair(gt, seg);
  return toMetrics(callNative('metrics', () => segmentationAddon().segMetrics(gt, seg)));
}

/** evaluateSegmentationSync on a native worker thread. */
export async function evaluateSegmentation(gt: LabelArray, seg: LabelArray): Promise<SegmentationMetrics> {
  checkPair(gt, seg);
  return toMetrics(await awaitNative('metrics', () => segmentationAddon().segMetricsAsync(gt, seg)));
}

/**
 * Streaming evaluation for volumes of any size: add (gt, seg) chunk pairs in any order
 * (each voxel once), then read the metrics. Keeps only the contingency table: one entry
 * per distinct (gt, seg) label pair.
 */
export class MetricsAccumulator {
  private readonly table: NativeContingency;

  constructor() {
    const { SegContingency } = segmentationAddon();
    this.table = new SegContingency();
  }

  addSync(gt: LabelArray, seg: LabelArray): void {
    checkPair(gt, seg);
    callNative('metrics', () => this.table.add(gt, seg));
  }

  /** Counts the chunk on a native worker thread. Do not add the same accumulator concurrently with result(). */
  async add(gt: LabelArray, seg: LabelArray): Promise<void> {
    checkPair(gt, seg);
    await awaitNative('metrics', () => this.table.addAsync(gt, seg));
  }

  /** Adds another accumulator's counts (e.g. from a parallel worker). */
  merge(other: MetricsAccumulator): void {
    callNative('metrics', () => this.table.merge(other.table));
  }

  result(): SegmentationMetrics {
    return toMetrics(this.table.metrics());
  }

  reset(): void {
    this.table.reset();
  }

  /** Voxels added so far. */
  get total(): number {
    return this.table.total;
  }
}

/**
 * CREMI's border mask (cremi_python create_border_mask_2d): per z-section, voxels within
 * `maxDistance` voxels (in-plane Euclidean) of a voxel whose 4-neighbourhood holds another
 * label get 1. cremi_python takes the distance in nm (border_threshold) and divides it by
 * the xy resolution; pass that quotient here.
 */
export function cremiBorderMaskSync(labels: LabelArray, shape: Shape3, maxDistance: number): Uint8Array {
  return callNative('cremiBorderMask', () => segmentationAddon().segCremiBorderMask(labels, shape, maxDistance));
}

export function cremiBorderMask(labels: LabelArray, shape: Shape3, maxDistance: number): Promise<Uint8Array> {
  return awaitNative('cremiBorderMask', () => segmentationAddon().segCremiBorderMaskAsync(labels, shape, maxDistance));
}

/** A copy of `gt` with masked voxels set to 0 (so the metrics ignore them). */
export function maskGroundTruth<T extends LabelArray>(gt: T, mask: Uint8Array): T {
  if (mask.length !== gt.length) throw new AppError('BAD_REQUEST', `mask has ${mask.length} voxels, ground truth ${gt.length}`);
  const out = gt.slice() as T;
  const dst = out as unknown as { [i: number]: number | bigint };
  const zero = gt instanceof BigUint64Array ? 0n : 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) dst[i] = zero;
  return out;
}
