/**
 * Validation during fine-tuning: the held-out region is predicted with the current weights
 * (sliding windows, Gaussian blending), segmented (fragments + agglomeration at each
 * threshold) and scored against its labels; the threshold with the lowest VOI is reported.
 */
import type { Normalization } from '../../ml/checkpoint/index';
import type { SegMambaModel } from '../../ml/model';
import type { ScanBackendPref } from '../../ml/runtime/executor';
import { applyMapping, connectedComponents, evaluateSegmentation, segmentAffinities } from '../../segmentation/index';
import { boxSize, type Box, type Vec3 } from '../../volumes/box';
import { toUint32Labels } from '../labels';
import { modelWindowPredictor } from '../model-windows';
import { fullBox, type VolumeSource } from '../volume-source';
import { WindowGrid, predictBox } from '../windows';

export interface ValidationSet {
  image: VolumeSource;
  normalization: Normalization;
  region: Box;
  /** Labels of the region (3D connected components when relabelled). */
  labels: Uint32Array;
}

/** The region's labels (connected components when `relabel`), 0 where the optional mask is 0 (ignored by the metrics). */
export async function loadValidationSet(image: VolumeSource, labels: VolumeSource, normalization: Normalization, region: Box, relabel: boolean, mask?: VolumeSource): Promise<ValidationSet> {
  const raw = toUint32Labels(await labels.readRegion(region), labels.label);
  const shape = boxSize(region);
  const gt = relabel ? (await connectedComponents(raw, shape)).labels : raw;
  if (mask) {
    const m = (await mask.readRegion(region)) as ArrayLike<number | bigint>;
    for (let i = 0; i < gt.length; i++) if (!m[i]) gt[i] = 0;
  }
  return { image, normalization, region, labels: gt };
}

export interface ValidationOptions {
  window: Vec3;
  overlap: number;
  thresholds: readonly number[];
  threads?: number;
  scan?: ScanBackendPref;
  signal?: AbortSignal;
}

/** VOI (split, merge, sum) and ARAND at the best threshold, plus that threshold. */
export async function validate(set: ValidationSet, model: SegMambaModel, weights: Map<string, Float32Array>, o: ValidationOptions): Promise<Record<string, number>> {
  const predictor = await modelWindowPredictor({ model, weights, normalization: set.normalization, source: set.image, window: o.window, threads: o.threads, scan: o.scan });
  const shape = boxSize(set.region);
  const affinities = await predictBox(predictor, new WindowGrid(set.region, o.window, o.overlap, fullBox(set.image.shape)), set.region, { signal: o.signal });
  // Fragments and one mapping per threshold in one pass; each flat segmentation is made,
  // scored and dropped in turn, so a fine threshold grid costs no memory per threshold.
  const seg = await segmentAffinities(affinities, shape, { thresholds: o.thresholds });
  let best: Record<string, number> | null = null;
  for (let t = 0; t < seg.thresholds.length; t++) {
    const m = await evaluateSegmentation(set.labels, await applyMapping(seg.fragments, seg.mappings[t]));
    if (!best || m.voi < best.voi) {
      best = { voi: m.voi, voiSplit: m.voiSplit, voiMerge: m.voiMerge, arand: m.arand, threshold: seg.thresholds[t], segments: seg.segmentCounts[t] };
    }
  }
  return best!;
}
