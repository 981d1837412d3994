/**
 * Loss builders for the trainer. A loss declares the extra graph inputs it needs (targets,
 * weights, masks) through the context and returns a scalar loss plus named scalar metrics;
 * the pipeline adds its own (pretraining heads and losses) the same way.
 */
import * as F from '../ir/functional';
import type { Graph, Value } from '../ir/graph';
import type { SegMambaOutputs } from '../models/segmamba';
import type { Module } from '../nn/module';

export interface LossContext {
  graph: Graph;
  /** The network's outputs for the batch input `x`. */
  net: SegMambaOutputs;
  /** The network input [B, C, Z, Y, X]. */
  input: Value;
  /** Declares a per-step float32 input fed to `Trainer.step` under `name`. */
  feed(name: string, shape: readonly number[]): Value;
  /** Root module: declare head parameters with `module.child('my_head')`. */
  module: Module;
}

export interface LossOutputs {
  loss: Value;
  metrics?: Record<string, Value>;
}

export type LossBuilder = (ctx: LossContext) => LossOutputs;

/**
 * Weighted MSE on sigmoid outputs: sum(w * (p - t)^2) / sum(w) over all voxels and channels;
 * feeds `target` and `weight` shaped like the output.
 */
export const weightedMseLoss: LossBuilder = (ctx) => {
  const p = ctx.net.probs;
  const t = ctx.feed('target', p.shape);
  const w = ctx.feed('weight', p.shape);
  const d = F.sub(p, t);
  const loss = F.div(F.sumAll(F.mul(w, F.mul(d, d))), F.add(F.sumAll(w), 1e-12));
  return { loss, metrics: { mse: F.meanAll(F.mul(d, d)) } };
};

/**
 * Binary cross-entropy on the logits (numerically stable form
 * max(l,0) - l*t + log(1 + exp(-|l|))), weighted like the MSE; feeds `target` and `weight`.
 */
export const bceLoss: LossBuilder = (ctx) => {
  const l = ctx.net.logits;
  const t = ctx.feed('target', l.shape);
  const w = ctx.feed('weight', l.shape);
  const perVoxel = F.add(F.sub(F.relu(l), F.mul(l, t)), F.softplus(F.neg(F.abs(l))));
  const loss = F.div(F.sumAll(F.mul(w, perVoxel)), F.add(F.sumAll(w), 1e-12));
  const d = F.sub(ctx.net.probs, t);
  return { loss, metrics: { mse: F.meanAll(F.mul(d, d)) } };
};

export const LOSSES = { mse: weightedMseLoss, bce: bceLoss } as const;
export type LossName = keyof typeof LOSSES;
