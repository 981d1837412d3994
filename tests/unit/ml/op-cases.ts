import * as F from '../../../src/main/ml/ir/functional';
import type { Graph, Value } from '../../../src/main/ml/ir/graph';
import type { gradCheck } from './gradcheck';

export type Case = [string, (g: Graph) => { inputs: Value[]; out: Value }, Parameters<typeof gradCheck>[1]?];

const unary = (f: (x: Value) => Value, shape = [2, 3]): Case[1] => (g) => {
  const x = g.input('x', shape);
  return { inputs: [x], out: f(x) };
};
const positive = { init: (v: Value, rng: { uniform(): number }) => Float64Array.from({ length: v.size }, () => 0.5 + rng.uniform()) };
// Keep inputs away from kinks (|x| > 0.05) so finite differences are valid.
const awayFromZero = {
  init: (v: Value, rng: { uniform(): number }) => Float64Array.from({ length: v.size }, () => (rng.uniform() < 0.5 ? -1 : 1) * (0.1 + rng.uniform())),
};

export const cases: Case[] = [
  ['Neg', unary(F.neg)],
  ['Exp', unary(F.exp)],
  ['Log', unary(F.log), positive],
  ['Sqrt', unary(F.sqrt), positive],
  ['Reciprocal', unary(F.reciprocal), positive],
  ['Abs', unary(F.abs), awayFromZero],
  ['Relu', unary(F.relu), awayFromZero],
  ['LeakyRelu', unary((x) => F.leakyRelu(x, 0.01)), awayFromZero],
  ['Sigmoid', unary(F.sigmoid)],
  ['Softplus', unary(F.softplus)],
  ['Tanh', unary(F.tanh)],
  ['Erf', unary(F.erf)],
  ['Gelu', unary(F.gelu)],
  ['Silu', unary(F.silu)],
  ['Add broadcast', (g) => { const a = g.input('a', [2, 3, 4]); const b = g.input('b', [3, 1]); return { inputs: [a, b], out: F.add(a, b) }; }],
  ['Sub broadcast', (g) => { const a = g.input('a', [3, 1]); const b = g.input('b', [2, 3, 4]); return { inputs: [a, b], out: F.sub(a, b) }; }],
  ['Mul broadcast', (g) => { const a = g.input('a', [2, 3, 4]); const b = g.input('b', [4]); return { inputs: [a, b], out: F.mul(a, b) }; }],
  ['Div', (g) => { const a = g.input('a', [2, 3]); const b = g.input('b', [2, 3]); return { inputs: [a, b], out: F.div(a, b) }; }, positive],
  ['Max/Min', (g) => { const a = g.input('a', [5]); const b = g.input('b', [5]); return { inputs: [a, b], out: F.add(F.max(a, b), F.mul(F.min(a, b), 2)) }; }],
  ['Where', (g) => { const a = g.input('a', [6]); const b = g.input('b', [6]); return { inputs: [a, b], out: F.where(F.greater(a, 0.1), F.mul(a, b), b) }; }, awayFromZero],
  ['ReduceSum', (g) => { const x = g.input('x', [2, 3, 4]); return { inputs: [x], out: F.reduceSum(x, [0, 2], true) }; }],
  ['ReduceMean', (g) => { const x = g.input('x', [2, 3, 4]); return { inputs: [x], out: F.reduceMean(x, [1]) }; }],
  ['Reshape', (g) => { const x = g.input('x', [2, 6]); return { inputs: [x], out: F.mul(F.reshape(x, [3, 4]), F.reshape(x, [3, 4])) }; }],
  ['Transpose', (g) => { const x = g.input('x', [2, 3, 4]); return { inputs: [x], out: F.exp(F.transpose(x, [2, 0, 1])) }; }],
  ['Concat', (g) => { const a = g.input('a', [2, 3]); const b = g.input('b', [2, 2]); return { inputs: [a, b], out: F.square(F.concat([a, b, a], 1)) }; }],
  ['Slice', (g) => { const x = g.input('x', [3, 7]); return { inputs: [x], out: F.square(F.slice(x, 1, 2, 6)) }; }],
  ['Flip', (g) => { const x = g.input('x', [3, 5]); return { inputs: [x], out: F.mul(F.flip(x, 1), x) }; }],
  ['Flip+slice (step -1 partial)', (g) => { const x = g.input('x', [7]); return { inputs: [x], out: F.square(F.slice(F.flip(x, 0), 0, 1, 5)) }; }],
  ['Pad', (g) => { const x = g.input('x', [2, 3]); return { inputs: [x], out: F.exp(F.pad(x, [1, 0, 0, 2])) }; }],
  ['Expand', (g) => { const x = g.input('x', [3, 1]); return { inputs: [x], out: F.square(F.expand(x, [2, 3, 4])) }; }],
  ['Gather (permutation)', (g) => { const x = g.input('x', [2, 5]); return { inputs: [x], out: F.mul(F.gather(x, 1, [3, 0, 4, 1, 2]), x) }; }],
  ['CumSum', (g) => { const x = g.input('x', [2, 5]); return { inputs: [x], out: F.square(F.cumsum(x, 1)) }; }],
  ['CumSum reverse', (g) => { const x = g.input('x', [4, 3]); return { inputs: [x], out: F.square(F.cumsum(x, 0, true)) }; }],
  ['MatMul batched', (g) => { const a = g.input('a', [2, 3, 4]); const b = g.input('b', [4, 5]); return { inputs: [a, b], out: F.matmul(a, b) }; }],
  ['MatMulT (a^T b, a b^T, a^T b^T) batched', (g) => {
    const a = g.input('a', [2, 4, 3]);
    const b = g.input('b', [4, 5]);
    const c = g.input('c', [5, 4]);
    const out = F.add(F.add(F.matmulT(a, b, true, false), F.matmulT(F.transpose(a, [0, 2, 1]), c, false, true)), F.matmulT(a, F.transpose(b, [1, 0]), true, true));
    return { inputs: [a, b, c], out };
  }],
  ['Linear', (g) => { const x = g.input('x', [5, 4]); const w = g.input('w', [3, 4]); const b = g.input('b', [3]); return { inputs: [x, w, b], out: F.linear(x, w, b) }; }],
  ['Conv3d stride/pad/dilation', (g) => {
    const x = g.input('x', [2, 2, 3, 7, 6]);
    const w = g.input('w', [3, 2, 1, 3, 2]);
    const b = g.input('b', [3]);
    return { inputs: [x, w, b], out: F.conv(x, w, b, { strides: [1, 2, 1], pads: [0, 1, 1, 0, 2, 0], dilations: [1, 1, 2] }) };
  }],
  ['Conv3d stem-like (k 1x7x7, stride 2)', (g) => {
    const x = g.input('x', [1, 1, 2, 9, 9]);
    const w = g.input('w', [2, 1, 1, 7, 7]);
    const b = g.input('b', [2]);
    return { inputs: [x, w, b], out: F.conv(x, w, b, { strides: [2, 2, 2], pads: [0, 3, 3, 0, 3, 3] }) };
  }],
  ['Conv2d unit stride, dilated, asymmetric pads', (g) => {
    const x = g.input('x', [2, 3, 6, 7]);
    const w = g.input('w', [4, 3, 3, 2]);
    return { inputs: [x, w], out: F.conv(x, w, null, { pads: [2, 0, 1, 1], dilations: [2, 1] }) };
  }],
  ['Conv1d depthwise causal', (g) => {
    const x = g.input('x', [2, 3, 6]);
    const w = g.input('w', [3, 1, 4]);
    const b = g.input('b', [3]);
    return { inputs: [x, w, b], out: F.conv(x, w, b, { pads: [3, 0], group: 3 }) };
  }],
  ['ConvTranspose3d k2 s2', (g) => {
    const x = g.input('x', [2, 3, 1, 2, 3]);
    const w = g.input('w', [3, 2, 2, 2, 2]);
    return { inputs: [x, w], out: F.convTranspose(x, w, null, { strides: [2, 2, 2] }) };
  }],
  ['ConvTranspose2d pads/dilation/output_padding', (g) => {
    const x = g.input('x', [1, 2, 3, 4]);
    const w = g.input('w', [2, 3, 3, 2]);
    const b = g.input('b', [3]);
    return { inputs: [x, w, b], out: F.convTranspose(x, w, b, { strides: [2, 3], pads: [1, 0, 0, 1], dilations: [1, 2], outputPadding: [1, 2] }) };
  }],
  ['InstanceNorm', (g) => { const x = g.input('x', [2, 3, 2, 3, 2]); return { inputs: [x], out: F.instanceNorm(x, 1e-5) }; }],
  ['LayerNorm', (g) => {
    const x = g.input('x', [2, 3, 5]);
    const s = g.input('s', [5]);
    const b = g.input('b', [5]);
    return { inputs: [x, s, b], out: F.layerNorm(x, s, b, 1e-5) };
  }],
];

