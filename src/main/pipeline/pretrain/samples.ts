/**
 * Pretraining crops: a random crop of one of the unlabeled sources (chosen in proportion to
 * its voxels), geometry-augmented (the clean target), then degraded (misalignment and the
 * photometric augmentations) and token-corrupted for the step's task (the network input).
 */
import type { Normalization } from '../../ml/checkpoint/index';
import type { Rng } from '../../ml/util/rng';
import { voxelCount, type Box, type Vec3 } from '../../volumes/box';
import { type AugmentConfig, applyGeometry, applyMisalign, applyPhotometric, samplePlan } from '../augment';
import { sampleOrigin } from '../finetune/samples';
import { normalize } from '../normalization';
import { TOKEN_VOXELS, type MaskRatio, extractToken, fillTokensWithNoise, nextAllMask, randomTokenMask, sampleNextK, tokenCount } from '../tokens';
import { readPadded, type VolumeSource } from '../volume-source';
import type { PretrainTask } from './objective';

export interface UnlabeledData {
  source: VolumeSource;
  region: Box;
  normalization: Normalization;
}

export interface PretrainSample {
  x: Float32Array;
  target: Float32Array;
  tokenTarget: Float32Array;
  task: PretrainTask;
  /** Tokens replaced by noise. */
  masked: number;
  /** Autoregressive tasks: the first hidden token. */
  k: number | null;
  sourceIndex: number;
}

export function pickSource(sources: readonly UnlabeledData[], rng: Rng): number {
  const sizes = sources.map((s) => voxelCount([s.region.max[0] - s.region.min[0], s.region.max[1] - s.region.min[1], s.region.max[2] - s.region.min[2]]));
  let u = rng.uniform() * sizes.reduce((a, b) => a + b, 0);
  for (let i = 0; i < sizes.length; i++) {
    if (u < sizes[i]) return i;
    u -= sizes[i];
  }
  return sizes.length - 1;
}

/** Applies a task's token corruption to `input` (in place); returns the token target and counts. */
export function corruptForTask(input: Float32Array, clean: Float32Array, crop: Vec3, task: PretrainTask, maskRatio: MaskRatio, rng: Rng): { tokenTarget: Float32Array; masked: number; k: number | null } {
  const count = tokenCount(crop);
  if (task === 'random') {
    const mask = randomTokenMask(count, maskRatio, rng);
    fillTokensWithNoise(input, crop, mask, rng);
    return { tokenTarget: new Float32Array(TOKEN_VOXELS), masked: mask.reduce((a, b) => a + b, 0), k: null };
  }
  const k = sampleNextK(count, rng);
  fillTokensWithNoise(input, crop, nextAllMask(count, k), rng);
  return { tokenTarget: extractToken(clean, crop, k), masked: count - k, k };
}

export async function buildPretrainSample(
  sources: readonly UnlabeledData[],
  crop: Vec3,
  augment: AugmentConfig,
  task: PretrainTask,
  maskRatio: MaskRatio,
  rng: Rng,
): Promise<PretrainSample> {
  const sourceIndex = pickSource(sources, rng);
  const src = sources[sourceIndex];
  const origin = sampleOrigin(src.region, crop, rng);
  const raw = await readPadded(src.source, { min: origin, max: [origin[0] + crop[0], origin[1] + crop[1], origin[2] + crop[2]] }, 'reflect');
  const plan = samplePlan(augment, rng, crop);
  const clean = applyGeometry(normalize(raw, src.normalization), crop, plan.geometry);
  let input = plan.misalign ? applyMisalign(clean, crop, plan.misalign, 'edge') : clean.slice();
  input = applyPhotometric(input, crop, plan);
  const { tokenTarget, masked, k } = corruptForTask(input, clean, crop, task, maskRatio, rng);
  return { x: input, target: clean, tokenTarget, task, masked, k, sourceIndex };
}
