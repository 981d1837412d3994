/**
 * Layer builder on top of the IR: a `Module` declares parameters under a dotted name prefix
 * (PyTorch state_dict names, so official checkpoints map one-to-one) and records how each is
 * initialised; `initWeights` then materialises them deterministically from a seed.
 */
import * as F from '../ir/functional';
import type { Graph, Value } from '../ir/graph';
import { Rng } from '../util/rng';

export type Init =
  | { kind: 'uniform'; bound: number }
  | { kind: 'const'; value: number }
  | { kind: 'fn'; fill: (rng: Rng, out: Float32Array) => void };

export interface ParamSpec {
  name: string;
  shape: number[];
  decay: boolean;
  init: Init;
}

export class Module {
  constructor(
    readonly graph: Graph,
    readonly prefix: string,
    readonly specs: ParamSpec[],
  ) {}

  child(name: string | number): Module {
    return new Module(this.graph, this.prefix ? `${this.prefix}.${name}` : String(name), this.specs);
  }

  param(name: string, shape: number[], init: Init, decay = true): Value {
    const full = this.prefix ? `${this.prefix}.${name}` : name;
    this.specs.push({ name: full, shape, decay, init });
    return this.graph.param(full, shape, { decay });
  }

  scope<T>(fn: () => T): T {
    return this.graph.scope(this.prefix || 'root', fn);
  }
}

/** PyTorch's default Conv/Linear init bound: kaiming_uniform(a=sqrt(5)) = 1/sqrt(fan_in). */
export const fanInBound = (fanIn: number): Init => ({ kind: 'uniform', bound: 1 / Math.sqrt(fanIn) });

function hashName(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** Deterministic weights: each parameter draws from its own stream (seed, name). */
export function initWeights(specs: readonly ParamSpec[], seed: number): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const arr = new Float32Array(n);
    const rng = new Rng((hashName(s.name) ^ Math.imul(seed, 0x9e3779b1)) >>> 0);
    if (s.init.kind === 'uniform') {
      const b = s.init.bound;
      for (let i = 0; i < n; i++) arr[i] = rng.range(-b, b);
    } else if (s.init.kind === 'const') arr.fill(s.init.value);
    else s.init.fill(rng, arr);
    out.set(s.name, arr);
  }
  return out;
}

export interface Conv3dSpec {
  cin: number;
  cout: number;
  kernel: readonly [number, number, number];
  stride?: readonly [number, number, number];
  pad?: readonly [number, number, number];
  bias: boolean;
}

/** nn.Conv3d with symmetric padding. */
export function conv3d(m: Module, x: Value, s: Conv3dSpec): Value {
  const fanIn = s.cin * s.kernel[0] * s.kernel[1] * s.kernel[2];
  const w = m.param('weight', [s.cout, s.cin, ...s.kernel], fanInBound(fanIn));
  const b = s.bias ? m.param('bias', [s.cout], fanInBound(fanIn), false) : null;
  const pad = s.pad ?? [0, 0, 0];
  return F.conv(x, w, b, { strides: s.stride ?? [1, 1, 1], pads: [...pad, ...pad] });
}

/** nn.ConvTranspose3d (no padding), weight [cin, cout, k...]. */
export function convTranspose3d(m: Module, x: Value, cin: number, cout: number, k: number, stride: number, bias: boolean): Value {
  const fanIn = cout * k * k * k; // PyTorch computes fan_in from weight.size(1) for transposed convs
  const w = m.param('weight', [cin, cout, k, k, k], fanInBound(fanIn));
  const b = bias ? m.param('bias', [cout], fanInBound(fanIn), false) : null;
  return F.convTranspose(x, w, b, { strides: [stride, stride, stride] });
}

/** nn.Linear on the last axis (leading axes flattened for a 2-D MatMul). */
export function linear(m: Module, x: Value, cin: number, cout: number, bias: boolean): Value {
  const w = m.param('weight', [cout, cin], fanInBound(cin));
  const b = bias ? m.param('bias', [cout], fanInBound(cin), false) : null;
  return linearWith(x, w, b);
}

export function linearWith(x: Value, w: Value, b: Value | null): Value {
  const cin = x.shape[x.rank - 1];
  const lead = x.shape.slice(0, -1);
  const y = F.linear(F.reshape(x, [-1, cin]), w, b);
  return F.reshape(y, [...lead, w.shape[0]]);
}

/**
 * Depthwise causal Conv1d on [B, C, L] (nn.Conv1d(C, C, k, groups=C, padding=k-1) truncated to
 * the first L outputs): output t sees inputs t-k+1..t.
 */
export function causalConv1d(m: Module, x: Value, channels: number, k: number, suffix = ''): Value {
  const w = m.param(`conv1d${suffix}.weight`, [channels, 1, k], fanInBound(k));
  const b = m.param(`conv1d${suffix}.bias`, [channels], fanInBound(k), false);
  return F.conv(x, w, b, { pads: [k - 1, 0], group: channels });
}

export function layerNorm(m: Module, x: Value, c: number, eps = 1e-5): Value {
  const w = m.param('weight', [c], { kind: 'const', value: 1 }, false);
  const b = m.param('bias', [c], { kind: 'const', value: 0 }, false);
  return F.layerNorm(x, w, b, eps);
}
