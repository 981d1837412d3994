/**
 * The loop both training jobs share: batches prepared one step ahead (while the engine runs
 * the current step), a curve point per step (stored and emitted as 'train.point'), periodic
 * validation with best-checkpoint keeping, and a resumable checkpoint (weights + AdamW state)
 * every N steps, every few minutes, and when the user stops the job.
 *
 * Every batch is drawn from a generator seeded by (run seed, step), so a resumed run sees the
 * same data as an uninterrupted one.
 *
 * On cancel the last completed step is saved at once (the step in flight cannot be
 * interrupted); if that step finishes before the worker is stopped it is saved too.
 */
import { CancelledError, AppError } from '../errors';
import type { Checkpoint } from '../ml/checkpoint/index';
import type { StepResult, Trainer } from '../ml/train/trainer';
import { Rng } from '../ml/util/rng';
import type { TaskContext } from '../jobs/types';
import type { TrainingRun } from './runs';

/** The generator of step `step`'s data (slot: batch item or purpose). */
export function stepRng(seed: number, step: number, slot = 0): Rng {
  let h = 2166136261 ^ seed;
  for (const v of [step, slot]) {
    h = Math.imul(h ^ (v & 0xffff), 16777619);
    h = Math.imul(h ^ (v >>> 16), 16777619);
  }
  return new Rng(h >>> 0);
}

/** Batch items one after the other (the batch axis is the slowest). */
export function concatBatch(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((a, b) => a + b.length, 0));
  let o = 0;
  for (const q of parts) {
    out.set(q, o);
    o += q.length;
  }
  return out;
}

export interface Batch {
  feeds: Record<string, Float32Array>;
  /** Extra numbers for the curve point (e.g. the task, the positive fraction). */
  info?: Record<string, number>;
}

export interface TrainPoint {
  run: string;
  split: 'train' | 'val';
  step: number;
  totalSteps: number;
  [key: string]: unknown;
}

export interface LoopOptions {
  ctx: TaskContext;
  run: TrainingRun;
  trainer: Trainer;
  totalSteps: number;
  makeBatch(step: number): Promise<Batch>;
  /** Checkpoint of the trainer's current state (meta: normalization, pipeline facts). */
  checkpoint(): Checkpoint;
  checkpointEvery: number;
  /** Also save when this long passed since the last save. */
  checkpointSeconds?: number;
  validation?: {
    every: number;
    run(step: number): Promise<Record<string, number>>;
    /** Key of the score to minimise (e.g. 'voi'). */
    score: string;
    best: Record<string, number> | null;
  };
  /** Fraction of the job's progress bar the loop covers, from `progressFrom`. */
  progressFrom?: number;
  progressSpan?: number;
}

export interface LoopResult {
  steps: number;
  lastLoss: number | null;
  best: Record<string, number> | null;
  seconds: number;
  /** Mean wall time of the steps run in this session (null: none ran). */
  stepSeconds: number | null;
}

function emitPoint(o: LoopOptions, split: 'train' | 'val', step: number, data: Record<string, number>): void {
  o.run.recordPoint({ split, step, data });
  const point: TrainPoint = { run: o.run.id, split, step, totalSteps: o.totalSteps, ...data };
  o.ctx.emit('train.point', point);
}

export async function trainLoop(o: LoopOptions): Promise<LoopResult> {
  const { ctx, trainer, run } = o;
  const from = o.progressFrom ?? 0;
  const span = o.progressSpan ?? 1;
  const started = Date.now();
  let best = o.validation?.best ?? null;
  let lastLoss: number | null = null;
  let lastSave = Date.now();
  let savedStep = trainer.stepCount;
  let stepTime = 0;
  let timedSteps = 0;
  const saveLast = () => {
    if (trainer.stepCount === savedStep) return;
    run.saveLast(o.checkpoint(), trainer.stepCount);
    savedStep = trainer.stepCount;
    lastSave = Date.now();
  };
  const validateAt = async (step: number) => {
    const v = o.validation!;
    ctx.progress(from + (span * step) / o.totalSteps, `step ${step}/${o.totalSteps}: validating`);
    const metrics = await v.run(step);
    emitPoint(o, 'val', step, metrics);
    if (!best || metrics[v.score] < best[v.score]) {
      best = { step, ...metrics };
      run.saveBest(o.checkpoint(), best);
    }
  };
  const onAbort = () => saveLast();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  run.truncatePoints(trainer.stepCount);
  try {
    let next: Promise<Batch> | null = trainer.stepCount < o.totalSteps ? o.makeBatch(trainer.stepCount + 1) : null;
    while (trainer.stepCount < o.totalSteps) {
      if (ctx.signal.aborted) break;
      const batch = await next!;
      const step = trainer.stepCount + 1;
      next = step < o.totalSteps ? o.makeBatch(step + 1) : null;
      next?.catch(() => undefined);
      const t0 = Date.now();
      const res: StepResult = await trainer.step(batch.feeds);
      stepTime += Date.now() - t0;
      timedSteps++;
      if (res.skipped) {
        saveLast();
        throw new AppError('INTERNAL', `training diverged at step ${step}: the loss is ${res.loss}, gradient norm ${res.gradNorm}; lower the learning rate and resume or restart the run`);
      }
      lastLoss = res.loss;
      emitPoint(o, 'train', res.step, { loss: res.loss, lr: res.lr, gradNorm: res.gradNorm, ...res.metrics, ...batch.info });
      ctx.progress(from + (span * res.step) / o.totalSteps, `step ${res.step}/${o.totalSteps} loss ${res.loss.toPrecision(4)}`);
      if (ctx.signal.aborted) break;
      const due = res.step % o.checkpointEvery === 0 || Date.now() - lastSave > (o.checkpointSeconds ?? 300) * 1000;
      if (due || res.step === o.totalSteps) saveLast();
      const v = o.validation;
      if (v && (res.step % v.every === 0 || res.step === o.totalSteps)) await validateAt(res.step);
    }
    if (ctx.signal.aborted) {
      saveLast();
      throw new CancelledError(`training stopped at step ${trainer.stepCount}; run it again to resume`);
    }
    saveLast();
    // A run stopped between its last step and that step's validation validates on resumption.
    if (o.validation && !run.points('val').some((p) => p.step === trainer.stepCount)) await validateAt(trainer.stepCount);
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
  const seconds = (Date.now() - started) / 1000;
  return { steps: trainer.stepCount, lastLoss, best, seconds, stepSeconds: timedSteps ? stepTime / 1000 / timedSteps : null };
}
