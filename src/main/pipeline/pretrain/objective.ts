/**
 * The TokenUnify pretraining objective on the engine's trainer: one training-step graph whose
 * loss mixes whole-crop reconstruction (random and next-all token prediction: MSE between the
 * sigmoid output and the clean crop) and next-token prediction (MSE between a small head's
 * sigmoid output and token K), weighted per step by two scalar inputs, so one graph serves
 * every task of the schedule.
 *
 * The head follows TokenUnify's "preciever" (same parameter names, so its weights carry over):
 * three Conv3d(k3, s2, p1) 1->12->12->1 with ReLU on the network's output logits, flattened,
 * then Linear(Z/8 * Y/8 * X/8 -> 4*16*16).
 */
import * as F from '../../ml/ir/functional';
import type { Value } from '../../ml/ir/graph';
import { conv3d, linear, type Module } from '../../ml/nn/module';
import type { LossBuilder } from '../../ml/train/losses';
import { Rng } from '../../ml/util/rng';
import { TOKEN_SHAPE, TOKEN_VOXELS } from '../tokens';

export const NEXT_TOKEN_HEAD = 'preciever';

export type PretrainTask = 'random' | 'nextAll' | 'nextToken';
export const PRETRAIN_TASKS: readonly PretrainTask[] = ['random', 'nextAll', 'nextToken'];

export function nextTokenHead(m: Module, logits: Value): Value {
  const [B, C, Z, Y, X] = logits.shape;
  const conv = (name: string, x: Value, cin: number, cout: number) =>
    conv3d(m.child(name), x, { cin, cout, kernel: [3, 3, 3], stride: [2, 2, 2], pad: [1, 1, 1], bias: true });
  let h = F.relu(conv('conv1', logits, C, 12));
  h = F.relu(conv('conv2', h, 12, 12));
  h = conv('conv3', h, 12, 1);
  const n = Math.ceil(Z / 8) * Math.ceil(Y / 8) * Math.ceil(X / 8);
  const flat = F.reshape(h, [B, n]);
  return F.sigmoid(F.reshape(linear(m.child('mlp'), flat, n, TOKEN_VOXELS, true), [B, 1, ...TOKEN_SHAPE]));
}

/** Feeds: x, target (clean crop), token_target [B,1,4,16,16], recon_weight [], token_weight []. */
export const mixtureTokenLoss: LossBuilder = (ctx) => {
  const probs = ctx.net.probs;
  const [B] = probs.shape;
  const target = ctx.feed('target', probs.shape);
  const tokenTarget = ctx.feed('token_target', [B, 1, ...TOKEN_SHAPE]);
  const reconWeight = ctx.feed('recon_weight', []);
  const tokenWeight = ctx.feed('token_weight', []);
  const d = F.sub(probs, target);
  const reconMse = F.meanAll(F.mul(d, d));
  const token = nextTokenHead(ctx.module.child(NEXT_TOKEN_HEAD), ctx.net.logits);
  const e = F.sub(token, tokenTarget);
  const tokenMse = F.meanAll(F.mul(e, e));
  const loss = F.add(F.mul(reconWeight, reconMse), F.mul(tokenWeight, tokenMse));
  return { loss, metrics: { recon_mse: reconMse, token_mse: tokenMse } };
};

export function lossWeights(task: PretrainTask): { recon: number; token: number } {
  return task === 'nextToken' ? { recon: 0, token: 1 } : { recon: 1, token: 0 };
}

export interface ScheduleConfig {
  /**
   * 'staged' (the paper): random token prediction for the first `randomFraction` of the
   * steps, then next-all and next-token prediction alternating in blocks of `alternateEvery`
   * steps (next-all first). 'mixed': every step draws its task with `weights`.
   */
  mode: 'staged' | 'mixed';
  randomFraction: number;
  alternateEvery: number;
  weights: { random: number; nextAll: number; nextToken: number };
}

export const DEFAULT_SCHEDULE: ScheduleConfig = {
  mode: 'staged',
  randomFraction: 0.5,
  alternateEvery: 25,
  weights: { random: 0.5, nextAll: 0.25, nextToken: 0.25 },
};

/** The task of step `step` (1-based) of `total`; `rng` is that step's own generator. */
export function taskForStep(step: number, total: number, cfg: ScheduleConfig, rng: Rng): PretrainTask {
  if (cfg.mode === 'mixed') {
    const w = cfg.weights;
    const sum = w.random + w.nextAll + w.nextToken;
    const u = rng.uniform() * sum;
    return u < w.random ? 'random' : u < w.random + w.nextAll ? 'nextAll' : 'nextToken';
  }
  const randomSteps = Math.round(cfg.randomFraction * total);
  if (step <= randomSteps) return 'random';
  const block = Math.floor((step - randomSteps - 1) / Math.max(1, cfg.alternateEvery));
  return block % 2 === 0 ? 'nextAll' : 'nextToken';
}
