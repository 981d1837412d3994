/** Inference on fixed-size crops: the network lowered once with its weights baked in. */
import { AppError } from '../../errors';
import type { SegMambaModel } from '../model';
import { DEFAULT_CROP } from '../models/segmamba';
import { Executor, type ExecutorInfo, type ExecutorOptions } from '../runtime/executor';

export interface PredictorOptions extends ExecutorOptions {
  batch?: number;
  crop?: readonly [number, number, number];
  /** Which tensor predict() returns (default 'probs' = sigmoid outputs). */
  output?: 'probs' | 'logits' | 'features';
}

export class Predictor {
  private constructor(
    private readonly executor: Executor,
    readonly inputShape: number[],
    readonly outputShape: number[],
  ) {}

  get info(): ExecutorInfo {
    return this.executor.info;
  }

  static async create(model: SegMambaModel, weights: Map<string, Float32Array>, opts: PredictorOptions = {}): Promise<Predictor> {
    const crop = opts.crop ?? DEFAULT_CROP;
    const shape = [opts.batch ?? 1, model.config.inChannels, ...crop];
    const built = model.build(shape);
    const missing = built.specs.filter((s) => !weights.has(s.name)).map((s) => s.name);
    if (missing.length) throw new AppError('BAD_REQUEST', `weights missing for ${missing.length} parameters (first: ${missing.slice(0, 3).join(', ')})`);
    const out = built.net[opts.output ?? 'probs'];
    const executor = await Executor.create(built.graph, { outputs: { y: out }, weights, name: 'predict' }, opts);
    return new Predictor(executor, shape, [...out.shape]);
  }

  /** Runs one batch; `input` is [B, C, Z, Y, X] row-major float32. */
  async predict(input: Float32Array): Promise<Float32Array> {
    const n = this.inputShape.reduce((a, b) => a * b, 1);
    if (input.length !== n) throw new AppError('BAD_REQUEST', `predict: input has ${input.length} values, expected ${n} for [${this.inputShape}]`);
    return (await this.executor.run({ x: input })).y;
  }
}
