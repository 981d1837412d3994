/**
 * Fine-tuning crops: image + affinity targets + class-balance weights. A crop is read with a
 * one-voxel margin on every side, augmented (geometry on image, labels and validity alike),
 * its labels border-widened and turned into nearest-neighbour affinities on the enlarged crop,
 * and then cut back, so the affinities on the crop's first planes see their true neighbours.
 * Voxels outside the training region (or the volume), or where the optional mask is 0, are
 * invalid: affinity pairs touching them weigh 0 (their targets are still computed from the labels).
 */
import type { Normalization } from '../../ml/checkpoint/index';
import type { Rng } from '../../ml/util/rng';
import { classBalanceWeights, labelsToAffinities, widenBorders } from '../../segmentation/index';
import { boxSize, voxelCount, type Box, type Vec3 } from '../../volumes/box';
import { type AugmentConfig, applyGeometry, applyMisalign, applyPhotometric, samplePlan } from '../augment';
import { toUint32Labels } from '../labels';
import { normalize } from '../normalization';
import { readPadded, type VolumeSource } from '../volume-source';

export interface LabeledData {
  image: VolumeSource;
  labels: VolumeSource;
  normalization: Normalization;
  /** Voxels where the mask is 0 are invalid like voxels outside the region. */
  mask?: VolumeSource;
  /** Where crops are drawn; labels outside it are never used. */
  region: Box;
}

export interface Sample {
  x: Float32Array;
  target: Float32Array;
  weight: Float32Array;
  /** Clipped fraction of positive (connected) pairs, as the class balance saw it. */
  positiveFraction: number;
  origin: Vec3;
}

/** A uniformly random origin for `crop` inside `region` (centred where the region is smaller). */
export function sampleOrigin(region: Box, crop: Vec3, rng: Rng): Vec3 {
  const size = boxSize(region);
  return [0, 1, 2].map((a) => {
    const room = size[a] - crop[a];
    return room >= 0 ? region.min[a] + rng.int(room + 1) : region.min[a] + Math.floor(room / 2);
  }) as Vec3;
}

function cutInner<T extends Float32Array | Uint8Array>(data: T, ext: Vec3, crop: Vec3, channels: number): T {
  const n = voxelCount(crop);
  const en = voxelCount(ext);
  const out = new (data.constructor as new (k: number) => T)(channels * n);
  for (let c = 0; c < channels; c++)
    for (let z = 0; z < crop[0]; z++)
      for (let y = 0; y < crop[1]; y++) {
        const src = c * en + ((z + 1) * ext[1] + y + 1) * ext[2] + 1;
        out.set(data.subarray(src, src + crop[2]), c * n + (z * crop[1] + y) * crop[2]);
      }
  return out;
}

/** Pair masks (3, ext): pair (v, v - e_c) counts when both voxels are valid. */
function pairValidity(valid: Uint8Array, ext: Vec3): Uint8Array {
  const [Z, Y, X] = ext;
  const n = Z * Y * X;
  const out = new Uint8Array(3 * n);
  const stride = [Y * X, X, 1];
  for (let z = 0; z < Z; z++)
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++) {
        const v = (z * Y + y) * X + x;
        if (!valid[v]) continue;
        const pos = [z, y, x];
        for (let c = 0; c < 3; c++) if (pos[c] > 0 && valid[v - stride[c]]) out[c * n + v] = 1;
      }
  return out;
}

export async function buildSample(data: LabeledData, crop: Vec3, augment: AugmentConfig, rng: Rng): Promise<Sample> {
  const origin = sampleOrigin(data.region, crop, rng);
  const ext: Vec3 = [crop[0] + 2, crop[1] + 2, crop[2] + 2];
  const box: Box = { min: [origin[0] - 1, origin[1] - 1, origin[2] - 1], max: [origin[0] + crop[0] + 1, origin[1] + crop[1] + 1, origin[2] + crop[2] + 1] };
  const [raw, rawLabels, rawMask] = await Promise.all([
    readPadded(data.image, box, 'reflect'),
    readPadded(data.labels, box, 'zero'),
    data.mask ? readPadded(data.mask, box, 'zero') : null,
  ]);
  let image = normalize(raw, data.normalization);
  let labels = toUint32Labels(rawLabels, data.labels.label);
  let valid = new Uint8Array(voxelCount(ext));
  const inside = [0, 1, 2].map((a) => Uint8Array.from({ length: ext[a] }, (_, i) => +(box.min[a] + i >= data.region.min[a] && box.min[a] + i < data.region.max[a])));
  for (let z = 0; z < ext[0]; z++)
    for (let y = 0; y < ext[1]; y++)
      if (inside[0][z] && inside[1][y]) for (let x = 0; x < ext[2]; x++) valid[(z * ext[1] + y) * ext[2] + x] = inside[2][x];
  if (rawMask) for (let i = 0; i < valid.length; i++) if (!rawMask[i]) valid[i] = 0;

  const plan = samplePlan(augment, rng, ext);
  image = applyGeometry(image, ext, plan.geometry);
  labels = applyGeometry(labels, ext, plan.geometry);
  valid = applyGeometry(valid, ext, plan.geometry);
  if (plan.misalign) {
    image = applyMisalign(image, ext, plan.misalign, 'edge');
    labels = applyMisalign(labels, ext, plan.misalign, 0);
    valid = applyMisalign(valid, ext, plan.misalign, 0);
  }
  image = applyPhotometric(image, ext, plan);

  const affinities = labelsToAffinities(widenBorders(labels, ext), ext);
  const target = cutInner(affinities, ext, crop, 3);
  const mask = cutInner(pairValidity(valid, ext), ext, crop, 3);
  const balance = classBalanceWeights(target, { mask });
  return { x: cutInner(image, ext, crop, 1), target, weight: balance.weights, positiveFraction: balance.positiveFraction[0], origin };
}
