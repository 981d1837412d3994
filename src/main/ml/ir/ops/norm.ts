/**
 * InstanceNorm (no affine, biased variance, over all spatial axes per sample and channel) and
 * LayerNorm (affine, over the last axis). Gradients recompute the statistics from the input.
 */
import * as F from '../functional';
import type { Value } from '../graph';
import { attrNum, defineOp } from '../registry';
import type { Tensor } from '../tensor';

/** Normalises contiguous groups of `inner` elements. */
function normalizeGroups(x: Tensor, inner: number, eps: number): Float64Array {
  const out = new Float64Array(x.data.length);
  for (let g = 0; g < x.data.length / inner; g++) {
    let mean = 0;
    for (let i = 0; i < inner; i++) mean += x.data[g * inner + i];
    mean /= inner;
    let v = 0;
    for (let i = 0; i < inner; i++) v += (x.data[g * inner + i] - mean) ** 2;
    const r = 1 / Math.sqrt(v / inner + eps);
    for (let i = 0; i < inner; i++) out[g * inner + i] = (x.data[g * inner + i] - mean) * r;
  }
  return out;
}

/** Returns normalised x and 1/std along `axes` (keepdims). */
function normalized(x: Value, axes: number[], eps: number): { xhat: Value; rstd: Value } {
  const xc = F.sub(x, F.reduceMean(x, axes, true));
  const rstd = F.reciprocal(F.sqrt(F.add(F.reduceMean(F.mul(xc, xc), axes, true), eps)));
  return { xhat: F.mul(xc, rstd), rstd };
}

/** Backprop through xhat = (x - mean) * rstd. */
function normBackward(dxhat: Value, xhat: Value, rstd: Value, axes: number[]): Value {
  const meanD = F.reduceMean(dxhat, axes, true);
  const meanDX = F.reduceMean(F.mul(dxhat, xhat), axes, true);
  return F.mul(rstd, F.sub(F.sub(dxhat, meanD), F.mul(xhat, meanDX)));
}

const spatialAxes = (v: Value) => v.shape.map((_, i) => i).slice(2);

defineOp({
  name: 'InstanceNorm',
  infer: ([x]) => {
    if (x.rank < 3) throw new Error(`InstanceNorm: ${x} needs [N, C, spatial...]`);
    return [{ shape: x.shape, dtype: x.dtype }];
  },
  evaluate: ([x], attrs) => [{ shape: [...x.shape], data: normalizeGroups(x, x.shape.slice(2).reduce((a, b) => a * b, 1), attrNum(attrs, 'epsilon')) }],
  grad: (node, [dy]) => {
    if (!dy) return [null];
    const x = node.inputs[0];
    const axes = spatialAxes(x);
    const { rstd } = normalized(x, axes, attrNum(node.attrs, 'epsilon'));
    return [normBackward(dy, node.outputs[0], rstd, axes)];
  },
  lower: (node, ctx) => {
    const c = node.inputs[0].shape[1];
    ctx.emit(
      'InstanceNormalization',
      [ctx.name(node.inputs[0]), ctx.constF32(new Float32Array(c).fill(1), [c]), ctx.constF32(new Float32Array(c), [c])],
      [ctx.name(node.outputs[0])],
      { epsilon: { float: attrNum(node.attrs, 'epsilon') } },
    );
  },
});

defineOp({
  name: 'LayerNorm',
  infer: ([x, scale, bias]) => {
    const c = x.shape[x.rank - 1];
    if (scale.rank !== 1 || scale.shape[0] !== c || bias.rank !== 1 || bias.shape[0] !== c) {
      throw new Error(`LayerNorm: scale ${scale} / bias ${bias} must be [${c}] for ${x}`);
    }
    return [{ shape: x.shape, dtype: x.dtype }];
  },
  evaluate: ([x, scale, bias], attrs) => {
    const c = x.shape[x.shape.length - 1];
    const y = normalizeGroups(x, c, attrNum(attrs, 'epsilon'));
    for (let i = 0; i < y.length; i++) y[i] = y[i] * scale.data[i % c] + bias.data[i % c];
    return [{ shape: [...x.shape], data: y }];
  },
  grad: (node, [dy]) => {
    if (!dy) return [null, null, null];
    const [x, scale] = node.inputs;
    const axes = [x.rank - 1];
    const lead = x.shape.map((_, i) => i).slice(0, -1);
    const { xhat, rstd } = normalized(x, axes, attrNum(node.attrs, 'epsilon'));
    const dx = normBackward(F.mul(dy, scale), xhat, rstd, axes);
    return [dx, F.reduceSum(F.mul(dy, xhat), lead), F.reduceSum(dy, lead)];
  },
  lower: (node, ctx) =>
    ctx.emit('LayerNormalization', node.inputs.map((v) => ctx.name(v)), [ctx.name(node.outputs[0])], {
      axis: -1,
      epsilon: { float: attrNum(node.attrs, 'epsilon') },
    }),
});
