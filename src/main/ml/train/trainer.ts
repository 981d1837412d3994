/**
 * Training on fixed-size batches: one training-step graph (forward, loss, reverse-mode
 * gradients, clipping, AdamW) whose inputs are the parameters, AdamW state, batch, lr and step
 * and whose outputs are the updated parameters/state, loss and metrics.
 */
import { AppError } from '../../errors';
import { gradients } from '../ir/autodiff';
import type { Value } from '../ir/graph';
import type { CheckpointMeta, OptimizerState, TrainingState } from '../checkpoint/index';
import type { TensorEntry } from '../checkpoint/safetensors';
import type { SegMambaModel } from '../model';
import { initWeights, type ParamSpec } from '../nn/module';
import { Executor, type ExecutorInfo, type ExecutorOptions } from '../runtime/executor';
import { type LossBuilder, LOSSES, type LossName } from './losses';
import { type AdamWOptions, DEFAULT_ADAMW, type ScheduleOptions, adamwUpdate, scheduledLr } from './optim';

export interface TrainerOptions extends ExecutorOptions {
  batch?: number;
  crop: readonly [number, number, number];
  loss?: LossBuilder | LossName;
  optimizer?: Partial<AdamWOptions>;
  /** Default: constant lr (no warm-up, no decay). */
  schedule?: ScheduleOptions;
  seed?: number;
  /** Initial weights (e.g. a pretrained checkpoint); parameters not given are initialised from `seed`. */
  weights?: Map<string, Float32Array>;
  /** AdamW moments and step count to resume from. */
  resume?: { optimizer: OptimizerState; step: number };
}

export interface StepResult {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  clipCoef: number;
  metrics: Record<string, number>;
  /** True when the loss was not finite and the update was not applied. */
  skipped: boolean;
}

export class Trainer {
  private step_ = 0;
  private evalExecutor: Executor | null = null;

  private constructor(
    readonly model: SegMambaModel,
    /** Network and head parameter specs (heads declared by the loss builder included). */
    readonly specs: ParamSpec[],
    private readonly executor: Executor,
    private readonly buildEval: () => Promise<Executor>,
    private params: Map<string, Float32Array>,
    private expAvg: Map<string, Float32Array>,
    private expAvgSq: Map<string, Float32Array>,
    readonly optimizer: AdamWOptions,
    readonly schedule: ScheduleOptions | null,
    readonly feedNames: string[],
    readonly metricNames: string[],
    readonly seed: number,
  ) {}

  get info(): ExecutorInfo {
    return this.executor.info;
  }

  get stepCount(): number {
    return this.step_;
  }

  static async create(model: SegMambaModel, opts: TrainerOptions): Promise<Trainer> {
    const shape = [opts.batch ?? 1, model.config.inChannels, ...opts.crop];
    const built = model.build(shape);
    const { graph } = built;
    const feeds = new Map<string, Value>([['x', built.input]]);
    const lossFn = typeof opts.loss === 'function' ? opts.loss : LOSSES[opts.loss ?? 'mse'];
    if (!lossFn) throw new AppError('BAD_REQUEST', `unknown loss '${String(opts.loss)}'`);
    const { loss, metrics = {} } = lossFn({
      graph,
      net: built.net,
      input: built.input,
      module: built.root,
      feed: (name, s) => {
        if (feeds.has(name)) throw new Error(`loss input '${name}' declared twice`);
        const v = graph.input(name, s);
        feeds.set(name, v);
        return v;
      },
    });
    if (loss.size !== 1) throw new Error(`loss must be a scalar, got ${loss}`);
    const specs = built.specs;
    const params = specs.map((s) => graph.params.get(s.name)!);
    const grads = gradients(loss, params);
    const gradList = grads.map((g, i) => g ?? graph.constant(new Float64Array(params[i].size), params[i].shape));
    const lr = graph.input('lr', []);
    const stepIn = graph.input('step', []);
    const m = specs.map((s) => graph.input(`exp_avg.${s.name}`, s.shape));
    const v = specs.map((s) => graph.input(`exp_avg_sq.${s.name}`, s.shape));
    const optimizer = { ...DEFAULT_ADAMW, ...opts.optimizer };
    const upd = adamwUpdate(params, gradList, m, v, lr, stepIn, optimizer);
    const outputs: Record<string, Value> = { loss, grad_norm: upd.gradNorm, clip_coef: upd.clipCoef };
    for (const [k, val] of Object.entries(metrics)) outputs[`metric.${k}`] = val;
    specs.forEach((s, i) => {
      outputs[`new.${s.name}`] = upd.newParams[i];
      outputs[`new_exp_avg.${s.name}`] = upd.newExpAvg[i];
      outputs[`new_exp_avg_sq.${s.name}`] = upd.newExpAvgSq[i];
    });
    const executor = await Executor.create(graph, { outputs, name: 'train_step' }, opts);
    const buildEval = () => {
      const evalOut: Record<string, Value> = { loss, probs: built.net.probs };
      for (const [k, val] of Object.entries(metrics)) evalOut[`metric.${k}`] = val;
      return Executor.create(graph, { outputs: evalOut, name: 'eval' }, opts);
    };

    const seed = opts.seed ?? 0;
    const init = initWeights(specs.filter((s) => !opts.weights?.has(s.name)), seed);
    const paramMap = new Map<string, Float32Array>();
    for (const s of specs) {
      const w = opts.weights?.get(s.name) ?? init.get(s.name)!;
      const n = s.shape.reduce((a, b) => a * b, 1);
      if (w.length !== n) throw new AppError('BAD_REQUEST', `initial weights for '${s.name}' have ${w.length} values, expected ${n}`);
      paramMap.set(s.name, Float32Array.from(w));
    }
    const zeros = () => new Map(specs.map((s) => [s.name, new Float32Array(s.shape.reduce((a, b) => a * b, 1))]));
    const expAvg = zeros();
    const expAvgSq = zeros();
    if (opts.resume) {
      for (const s of specs) {
        const a = opts.resume.optimizer.exp_avg.get(s.name);
        const b = opts.resume.optimizer.exp_avg_sq.get(s.name);
        if (a && a.length === expAvg.get(s.name)!.length) expAvg.set(s.name, Float32Array.from(a));
        if (b && b.length === expAvgSq.get(s.name)!.length) expAvgSq.set(s.name, Float32Array.from(b));
      }
    }
    const trainer = new Trainer(model, specs, executor, buildEval, paramMap, expAvg, expAvgSq, optimizer, opts.schedule ?? null, [...feeds.keys()], Object.keys(metrics), seed);
    trainer.step_ = opts.resume?.step ?? 0;
    return trainer;
  }

  /** The learning rate the next step will use. */
  get nextLr(): number {
    const t = this.step_ + 1;
    return this.schedule ? scheduledLr(this.optimizer.lr, t, this.schedule) : this.optimizer.lr;
  }

  private checkFeeds(batch: Record<string, Float32Array>): void {
    for (const n of this.feedNames) if (!batch[n]) throw new AppError('BAD_REQUEST', `training batch is missing '${n}' (expects ${this.feedNames.join(', ')})`);
  }

  /** One optimisation step on a batch: feeds `x` plus whatever the loss declared (e.g. target, weight). */
  async step(batch: Record<string, Float32Array>): Promise<StepResult> {
    this.checkFeeds(batch);
    const t = this.step_ + 1;
    const lr = this.nextLr;
    const feeds: Record<string, Float32Array> = { ...batch, lr: Float32Array.of(lr), step: Float32Array.of(t) };
    for (const s of this.specs) {
      feeds[s.name] = this.params.get(s.name)!;
      feeds[`exp_avg.${s.name}`] = this.expAvg.get(s.name)!;
      feeds[`exp_avg_sq.${s.name}`] = this.expAvgSq.get(s.name)!;
    }
    const out = await this.executor.run(feeds);
    const loss = out.loss[0];
    const metrics: Record<string, number> = {};
    for (const k of this.metricNames) metrics[k] = out[`metric.${k}`][0];
    const skipped = !Number.isFinite(loss) || !Number.isFinite(out.grad_norm[0]);
    if (!skipped) {
      for (const s of this.specs) {
        this.params.set(s.name, out[`new.${s.name}`]);
        this.expAvg.set(s.name, out[`new_exp_avg.${s.name}`]);
        this.expAvgSq.set(s.name, out[`new_exp_avg_sq.${s.name}`]);
      }
      this.step_ = t;
    }
    return { step: this.step_, loss, lr, gradNorm: out.grad_norm[0], clipCoef: out.clip_coef[0], metrics, skipped };
  }

  /** Forward + loss without updating (validation); returns the loss, metrics and probabilities. */
  async evaluate(batch: Record<string, Float32Array>): Promise<{ loss: number; metrics: Record<string, number>; probs: Float32Array }> {
    this.checkFeeds(batch);
    this.evalExecutor ??= await this.buildEval();
    const feeds: Record<string, Float32Array> = { ...batch };
    for (const s of this.specs) feeds[s.name] = this.params.get(s.name)!;
    const out = await this.evalExecutor.run(feeds);
    const metrics: Record<string, number> = {};
    for (const k of this.metricNames) metrics[k] = out[`metric.${k}`][0];
    return { loss: out.loss[0], metrics, probs: out.probs };
  }

  get weights(): Map<string, Float32Array> {
    return new Map(this.params);
  }

  get optimizerState(): OptimizerState {
    return { exp_avg: new Map(this.expAvg), exp_avg_sq: new Map(this.expAvgSq) };
  }

  trainingState(extra: Record<string, unknown> = {}): TrainingState {
    return { step: this.step_, optimizer: { ...this.optimizer }, schedule: this.schedule ?? undefined, seed: this.seed, ...extra };
  }

  /** Everything `saveCheckpoint` needs to resume this run. */
  checkpoint(meta: Omit<CheckpointMeta, 'format' | 'version' | 'config' | 'preset' | 'training'> & { training?: Record<string, unknown> } = {}) {
    const weights = new Map<string, TensorEntry>(this.specs.map((s) => [s.name, { shape: s.shape, data: this.params.get(s.name)! }]));
    const { training, ...rest } = meta;
    return {
      meta: {
        format: 'tokenunify-checkpoint' as const,
        version: 1,
        preset: this.model.preset,
        config: this.model.config,
        training: this.trainingState(training),
        ...rest,
      },
      weights,
      optimizer: this.optimizerState,
    };
  }
}
