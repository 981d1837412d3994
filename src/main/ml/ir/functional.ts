/**
 * Functional builder API over the IR: `F.add(a, b)`, `F.conv(x, w, b, {...})`, ...
 * Numbers are lifted to scalar constants of the other operand's graph.
 */
import { type Shape, type Value, shapeEq, shapeSize } from './graph';
import { normAxis } from './tensor';

type V = Value;
type VN = Value | number;

function graphOf(...xs: VN[]) {
  for (const x of xs) if (typeof x !== 'number') return x.graph;
  throw new Error('at least one operand must be a graph value');
}

function lift(x: VN, g: Value['graph']): V {
  return typeof x === 'number' ? g.constant(x) : x;
}

function binary(op: string, a: VN, b: VN): V {
  const g = graphOf(a, b);
  return g.op1(op, [lift(a, g), lift(b, g)]);
}

const unary = (op: string) => (x: V) => x.graph.op1(op, [x]);

export const add = (a: VN, b: VN) => binary('Add', a, b);
export const sub = (a: VN, b: VN) => binary('Sub', a, b);
export const mul = (a: VN, b: VN) => binary('Mul', a, b);
export const div = (a: VN, b: VN) => binary('Div', a, b);
export const max = (a: VN, b: VN) => binary('Max', a, b);
export const min = (a: VN, b: VN) => binary('Min', a, b);
export const greater = (a: VN, b: VN) => binary('Greater', a, b);
export const where = (c: V, a: VN, b: VN) => {
  const g = c.graph;
  return g.op1('Where', [c, lift(a, g), lift(b, g)]);
};

export const neg = unary('Neg');
export const exp = unary('Exp');
export const log = unary('Log');
export const sqrt = unary('Sqrt');
export const reciprocal = unary('Reciprocal');
export const abs = unary('Abs');
export const relu = unary('Relu');
export const sigmoid = unary('Sigmoid');
export const softplus = unary('Softplus');
export const erf = unary('Erf');
export const tanh = unary('Tanh');
/** Exact (erf) GELU. */
export const gelu = unary('Gelu');
export const silu = unary('Silu');
export const leakyRelu = (x: V, alpha = 0.01) => x.graph.op1('LeakyRelu', [x], { alpha });
export const square = (x: V) => mul(x, x);

export function reduceSum(x: V, axes: readonly number[], keepdims = false): V {
  if (axes.length === 0) return x;
  return x.graph.op1('ReduceSum', [x], { axes: axes.map((a) => normAxis(a, x.rank)).sort((p, q) => p - q), keepdims });
}

export function reduceMean(x: V, axes: readonly number[], keepdims = false): V {
  if (axes.length === 0) return x;
  return x.graph.op1('ReduceMean', [x], { axes: axes.map((a) => normAxis(a, x.rank)).sort((p, q) => p - q), keepdims });
}

/** Sum of all elements, as a scalar. */
export const sumAll = (x: V) => reshape(reduceSum(x, x.shape.map((_, i) => i)), []);
export const meanAll = (x: V) => reshape(reduceMean(x, x.shape.map((_, i) => i)), []);

/** Reshape; one entry may be -1. */
export function reshape(x: V, shape: readonly number[]): V {
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const resolved = shape.map((d) => (d === -1 ? x.size / known : d));
  if (shapeSize(resolved) !== x.size || resolved.some((d) => !Number.isInteger(d))) {
    throw new Error(`reshape: cannot view ${x} as [${shape}]`);
  }
  if (shapeEq(resolved, x.shape)) return x;
  return x.graph.op1('Reshape', [x], { shape: resolved });
}

export const unsqueeze = (x: V, axis: number) => {
  const s = [...x.shape];
  s.splice(axis < 0 ? x.rank + 1 + axis : axis, 0, 1);
  return reshape(x, s);
};

export function transpose(x: V, perm: readonly number[]): V {
  if (perm.every((p, i) => p === i)) return x;
  return x.graph.op1('Transpose', [x], { perm: [...perm] });
}

/** Swaps the last two axes. */
export function transposeLast2(x: V): V {
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return transpose(x, perm);
}

export function concat(xs: readonly V[], axis: number): V {
  if (xs.length === 1) return xs[0];
  return xs[0].graph.op1('Concat', xs, { axis: normAxis(axis, xs[0].rank) });
}

/** Slice [start, end) along one axis (step 1). */
export function slice(x: V, axis: number, start: number, end: number): V {
  const a = normAxis(axis, x.rank);
  if (start === 0 && end === x.shape[a]) return x;
  return x.graph.op1('Slice', [x], { axes: [a], starts: [start], ends: [end], steps: [1] });
}

/** Reverses one axis. */
export function flip(x: V, axis: number): V {
  const a = normAxis(axis, x.rank);
  return x.graph.op1('Slice', [x], { axes: [a], starts: [x.shape[a] - 1], ends: [-1], steps: [-1] });
}

/** Constant padding; pads = [begin per axis..., end per axis...]. */
export function pad(x: V, pads: readonly number[], value = 0): V {
  if (pads.every((p) => p === 0)) return x;
  return x.graph.op1('Pad', [x], { pads: [...pads], value });
}

export function expand(x: V, shape: readonly number[]): V {
  if (shapeEq(shape, x.shape)) return x;
  return x.graph.op1('Expand', [x], { shape: [...shape] });
}

/** Selects entries along an axis with constant indices (a permutation when differentiated). */
export function gather(x: V, axis: number, indices: readonly number[]): V {
  return x.graph.op1('Gather', [x], { axis: normAxis(axis, x.rank), indices: [...indices] });
}

export function cumsum(x: V, axis: number, reverse = false): V {
  return x.graph.op1('CumSum', [x], { axis: normAxis(axis, x.rank), reverse });
}

export function matmul(a: V, b: V): V {
  return a.graph.op1('MatMul', [a, b]);
}

/** op(a) @ op(b), op = transpose of the last two axes when asked; never materialises it. */
export function matmulT(a: V, b: V, transA: boolean, transB: boolean): V {
  if (!transA && !transB) return matmul(a, b);
  return a.graph.op1('MatMulT', [a, b], { transA, transB });
}

/** a @ b^T for b [..., N, K]. */
export const matmulNT = (a: V, b: V) => matmulT(a, b, false, true);

/** PyTorch Linear: x @ W^T + b with W [out, in]. */
export function linear(x: V, w: V, b?: V | null): V {
  const y = matmulNT(x, w);
  return b ? add(y, b) : y;
}

export interface ConvOptions {
  strides?: readonly number[];
  /** Per-axis begin then end padding, ONNX style. */
  pads?: readonly number[];
  dilations?: readonly number[];
  group?: number;
}

function convAttrs(x: V, w: V, o: ConvOptions) {
  const sp = x.rank - 2;
  return {
    strides: [...(o.strides ?? new Array(sp).fill(1))],
    pads: [...(o.pads ?? new Array(2 * sp).fill(0))],
    dilations: [...(o.dilations ?? new Array(sp).fill(1))],
    group: o.group ?? 1,
    kernel: w.shape.slice(2),
  };
}

export function conv(x: V, w: V, b: V | null, o: ConvOptions = {}): V {
  return x.graph.op1('Conv', b ? [x, w, b] : [x, w], convAttrs(x, w, o));
}

export function convTranspose(x: V, w: V, b: V | null, o: ConvOptions & { outputPadding?: readonly number[] } = {}): V {
  const a = convAttrs(x, w, o);
  return x.graph.op1('ConvTranspose', b ? [x, w, b] : [x, w], {
    ...a,
    output_padding: [...(o.outputPadding ?? new Array(x.rank - 2).fill(0))],
  });
}

export const instanceNorm = (x: V, epsilon = 1e-5) => x.graph.op1('InstanceNorm', [x], { epsilon });
export const layerNorm = (x: V, scale: V, bias: V, epsilon = 1e-5) => x.graph.op1('LayerNorm', [x, scale, bias], { epsilon });

export interface LinearAttentionOptions {
  qHeads: number;
  kvHeads: number;
  scale?: number;
}

/** Gated linear attention (com.microsoft LinearAttention, update_rule 'gated'). */
export function linearAttention(q: V, k: V, v: V, decay: V, o: LinearAttentionOptions): V {
  return q.graph.op1('LinearAttention', [q, k, v, decay], { q_num_heads: o.qHeads, kv_num_heads: o.kvHeads, scale: o.scale ?? 1 });
}

/** Mamba-1 selective scan with the engine/native boundary (see scan/README in ml/README.md). */
export function selectiveScan(u: V, delta: V, A: V, Bm: V, Cm: V, Dskip: V, deltaBias: V, deltaSoftplus = true): V {
  return u.graph.op1('SelectiveScan', [u, delta, A, Bm, Cm, Dskip, deltaBias], { deltaSoftplus });
}

export function ones(g: Value['graph'], shape: Shape): V {
  return expandScalar(g.constant(1), shape);
}

export function zeros(g: Value['graph'], shape: Shape): V {
  return expandScalar(g.constant(0), shape);
}

function expandScalar(s: V, shape: Shape): V {
  return shape.length === 0 ? s : expand(reshape(s, shape.map(() => 1)), shape);
}

/** Sums a broadcast gradient back to `shape` (numpy broadcasting rules). */
export function reduceToShape(x: V, shape: Shape): V {
  if (shapeEq(x.shape, shape)) return x;
  const lead = x.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < x.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && x.shape[i] !== 1)) axes.push(i);
  }
  return reshape(reduceSum(x, axes, true), shape);
}
