/**
 * The optimiser part of the training-step graph: global-norm gradient clipping and AdamW with
 * decoupled weight decay (PyTorch semantics: p <- p - lr*wd*p - lr*mhat/(sqrt(vhat)+eps)),
 * plus the warm-up + cosine learning-rate schedule evaluated on the host per step.
 */
import * as F from '../ir/functional';
import type { Value } from '../ir/graph';

export interface AdamWOptions {
  lr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Max global gradient L2 norm; Infinity disables clipping. */
  clipNorm: number;
}

export const DEFAULT_ADAMW: AdamWOptions = { lr: 1e-4, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, clipNorm: 1 };

export interface ScheduleOptions {
  warmupSteps: number;
  totalSteps: number;
  /** Final lr as a fraction of the peak lr. */
  minLrRatio: number;
}

/** Linear warm-up to `base`, then cosine decay to base*minLrRatio at totalSteps (step counts from 1). */
export function scheduledLr(base: number, step: number, s: ScheduleOptions): number {
  if (s.warmupSteps > 0 && step <= s.warmupSteps) return (base * step) / s.warmupSteps;
  const span = Math.max(1, s.totalSteps - s.warmupSteps);
  const t = Math.min(1, Math.max(0, (step - s.warmupSteps) / span));
  const min = base * s.minLrRatio;
  return min + 0.5 * (base - min) * (1 + Math.cos(Math.PI * t));
}

export interface OptimizerGraph {
  newParams: Value[];
  newExpAvg: Value[];
  newExpAvgSq: Value[];
  /** Global gradient norm before clipping. */
  gradNorm: Value;
  /** Factor the gradients were scaled by (1 when not clipped). */
  clipCoef: Value;
}

/**
 * Appends clipping + AdamW to the graph. `lr` and `step` are scalar graph inputs (step >= 1,
 * as float); expAvg/expAvgSq are the state inputs matching `params`.
 */
export function adamwUpdate(
  params: readonly Value[],
  grads: readonly Value[],
  expAvg: readonly Value[],
  expAvgSq: readonly Value[],
  lr: Value,
  step: Value,
  o: AdamWOptions,
): OptimizerGraph {
  const sq = grads.map((g) => F.sumAll(F.mul(g, g)));
  const total = sq.reduce((a, b) => F.add(a, b));
  const gradNorm = F.sqrt(total);
  const clipCoef = Number.isFinite(o.clipNorm) ? F.min(F.div(o.clipNorm, F.add(gradNorm, 1e-6)), 1) : F.reshape(gradNorm.graph.constant(1), []);
  const bc1 = F.sub(1, F.exp(F.mul(step, Math.log(o.beta1))));
  const bc2 = F.sub(1, F.exp(F.mul(step, Math.log(o.beta2))));
  const stepSize = F.div(lr, bc1);
  const newParams: Value[] = [];
  const newExpAvg: Value[] = [];
  const newExpAvgSq: Value[] = [];
  params.forEach((p, i) => {
    const g = F.mul(grads[i], clipCoef);
    const m = F.add(F.mul(expAvg[i], o.beta1), F.mul(g, 1 - o.beta1));
    const v = F.add(F.mul(expAvgSq[i], o.beta2), F.mul(F.mul(g, g), 1 - o.beta2));
    const denom = F.add(F.sqrt(F.div(v, bc2)), o.eps);
    let next = F.sub(p, F.mul(F.div(m, denom), stepSize));
    if (p.param?.decay && o.weightDecay > 0) next = F.sub(next, F.mul(p, F.mul(lr, o.weightDecay)));
    newParams.push(next);
    newExpAvg.push(m);
    newExpAvgSq.push(v);
  });
  return { newParams, newExpAvg, newExpAvgSq, gradNorm, clipCoef };
}
