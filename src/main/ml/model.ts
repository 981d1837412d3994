/**
 * Public model handle: a SegMamba configuration (preset + overrides), its parameter specs,
 * deterministic initialisation, graph building, and size/cost figures.
 */
import { AppError } from '../errors';
import { Graph, type Value } from './ir/graph';
import { DEFAULT_CROP, type PresetName, type SegMambaConfig, type SegMambaOutputs, countMacs, presetConfig, segMamba, validateCrop } from './models/segmamba';
import { Module, type ParamSpec, initWeights } from './nn/module';

export interface BuiltNetwork {
  graph: Graph;
  input: Value;
  net: SegMambaOutputs;
  root: Module;
  /** Specs of every parameter declared so far (network + any heads added through `root`). */
  specs: ParamSpec[];
}

export class SegMambaModel {
  readonly specs: ParamSpec[];

  constructor(
    readonly config: SegMambaConfig,
    readonly preset: string | null = null,
  ) {
    this.specs = this.build([1, this.config.inChannels, 16, 16, 80]).specs;
  }

  /** `npx tokenunify model info` figures. */
  get paramCount(): number {
    return this.specs.reduce((a, s) => a + s.shape.reduce((p, q) => p * q, 1), 0);
  }

  macs(crop: readonly number[] = DEFAULT_CROP): number {
    return countMacs(this.config, crop);
  }

  validateCrop(crop: readonly number[]): void {
    validateCrop(this.config, crop);
  }

  /** Builds the network on a fresh graph for input [batch, inChannels, z, y, x]. */
  build(shape: readonly number[]): BuiltNetwork {
    const [batch, channels, ...crop] = shape;
    if (channels !== this.config.inChannels) throw new AppError('BAD_REQUEST', `input has ${channels} channels, the model expects ${this.config.inChannels}`);
    if (!Number.isInteger(batch) || batch < 1) throw new AppError('BAD_REQUEST', `batch size must be a positive integer, got ${batch}`);
    validateCrop(this.config, crop);
    const graph = new Graph();
    const specs: ParamSpec[] = [];
    const root = new Module(graph, '', specs);
    const input = graph.input('x', [batch, channels, ...crop]);
    const net = segMamba(root, input, this.config);
    return { graph, input, net, root, specs };
  }

  initWeights(seed = 0, specs: readonly ParamSpec[] = this.specs): Map<string, Float32Array> {
    return initWeights(specs, seed);
  }
}

/** A model from a preset name with optional overrides (e.g. outChannels for another head). */
export function createModel(preset: PresetName | string, overrides: Partial<SegMambaConfig> = {}): SegMambaModel {
  return new SegMambaModel(presetConfig(preset, overrides), preset);
}

export function modelFromConfig(config: SegMambaConfig, preset: string | null = null): SegMambaModel {
  return new SegMambaModel(config, preset);
}
