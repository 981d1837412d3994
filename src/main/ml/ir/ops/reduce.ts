/** ReduceSum / ReduceMean over static axes. */
import * as F from '../functional';
import type { Node, Value } from '../graph';
import { attrBool, attrInts, defineOp, type LowerCtx } from '../registry';
import { forEachIndex, stridesOf, type Tensor } from '../tensor';

function reducedShape(shape: readonly number[], axes: number[], keepdims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

function reduceTensor(x: Tensor, axes: number[], keepdims: boolean, mean: boolean): Tensor {
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const ks = stridesOf(keptShape).map((s, i) => (axes.includes(i) ? 0 : s));
  const out = new Float64Array(keptShape.reduce((a, b) => a * b, 1));
  forEachIndex(x.shape, [ks], (i, [o]) => {
    out[o] += x.data[i];
  });
  if (mean) {
    const n = axes.reduce((a, ax) => a * x.shape[ax], 1);
    for (let i = 0; i < out.length; i++) out[i] /= n;
  }
  return { shape: reducedShape(x.shape, axes, keepdims), data: out };
}

function reduceGrad(node: Node, dy: Value, mean: boolean): Value {
  const x = node.inputs[0];
  const axes = attrInts(node.attrs, 'axes');
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  let g = F.expand(F.reshape(dy, keptShape), x.shape);
  if (mean) g = F.mul(g, 1 / axes.reduce((a, ax) => a * x.shape[ax], 1));
  return g;
}

function lowerReduce(onnxOp: string) {
  return (node: Node, ctx: LowerCtx) =>
    ctx.emit(onnxOp, [ctx.name(node.inputs[0]), ctx.constI64(attrInts(node.attrs, 'axes'))], [ctx.name(node.outputs[0])], {
      keepdims: attrBool(node.attrs, 'keepdims', false) ? 1 : 0,
    });
}

for (const [name, mean] of [
  ['ReduceSum', false],
  ['ReduceMean', true],
] as const) {
  defineOp({
    name,
    infer: ([x], attrs) => {
      const axes = attrInts(attrs, 'axes');
      if (axes.some((a) => a < 0 || a >= x.rank)) throw new Error(`${name}: axes [${axes}] out of range for ${x}`);
      return [{ shape: reducedShape(x.shape, axes, attrBool(attrs, 'keepdims', false)), dtype: x.dtype }];
    },
    evaluate: ([x], attrs) => [reduceTensor(x, attrInts(attrs, 'axes'), attrBool(attrs, 'keepdims', false), mean)],
    grad: (node, [dy]) => [dy && reduceGrad(node, dy, mean)],
    lower: lowerReduce(name),
  });
}
