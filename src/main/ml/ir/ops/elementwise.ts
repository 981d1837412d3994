/** Elementwise unary and broadcasting binary ops. */
import * as F from '../functional';
import type { Node, Value } from '../graph';
import { attrNum, defineOp, type LowerCtx } from '../registry';
import { broadcastShapes, broadcastStrides, forEachIndex, type Tensor } from '../tensor';

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** erf with ~1e-15 accuracy (series for small |x|, continued fraction otherwise). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction (Lentz) for |x| >= 2.5
  const tiny = 1e-300;
  let f = ax;
  let C = ax;
  let D = 0;
  for (let n = 1; n < 300; n++) {
    const an = n / 2;
    D = ax + an * D;
    D = D === 0 ? tiny : D;
    C = ax + an / C;
    C = C === 0 ? tiny : C;
    D = 1 / D;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / (f * Math.sqrt(Math.PI));
  return x > 0 ? 1 - erfc : erfc - 1;
}

const sigmoidF = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const softplusF = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

function mapTensor(t: Tensor, f: (x: number) => number): Tensor {
  const out = new Float64Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(t.data[i]);
  return { shape: [...t.shape], data: out };
}

interface UnarySpec {
  name: string;
  f: (x: number, alpha: number) => number;
  /** dx given x, y = f(x) and dy. */
  grad?: (node: Node, x: Value, y: Value, dy: Value) => Value;
  lower: (node: Node, ctx: LowerCtx) => void;
}

function simpleLower(onnxOp: string, attrs?: (node: Node) => Record<string, number | { float: number }>, domain?: string) {
  return (node: Node, ctx: LowerCtx) =>
    ctx.emit(onnxOp, [ctx.name(node.inputs[0])], [ctx.name(node.outputs[0])], attrs?.(node), domain);
}

function defineUnary(s: UnarySpec) {
  defineOp({
    name: s.name,
    infer: ([x]) => [{ shape: x.shape, dtype: x.dtype }],
    evaluate: ([x], attrs) => {
      const alpha = attrNum(attrs, 'alpha', 0);
      return [mapTensor(x, (v) => s.f(v, alpha))];
    },
    grad: s.grad ? (node, [dy]) => [dy ? s.grad!(node, node.inputs[0], node.outputs[0], dy) : null] : undefined,
    lower: s.lower,
  });
}

defineUnary({ name: 'Neg', f: (x) => -x, grad: (_n, _x, _y, dy) => F.neg(dy), lower: simpleLower('Neg') });
defineUnary({ name: 'Exp', f: Math.exp, grad: (_n, _x, y, dy) => F.mul(dy, y), lower: simpleLower('Exp') });
defineUnary({ name: 'Log', f: Math.log, grad: (_n, x, _y, dy) => F.div(dy, x), lower: simpleLower('Log') });
defineUnary({ name: 'Sqrt', f: Math.sqrt, grad: (_n, _x, y, dy) => F.div(F.mul(dy, 0.5), y), lower: simpleLower('Sqrt') });
defineUnary({
  name: 'Reciprocal',
  f: (x) => 1 / x,
  grad: (_n, _x, y, dy) => F.neg(F.mul(dy, F.mul(y, y))),
  lower: simpleLower('Reciprocal'),
});
defineUnary({ name: 'Abs', f: Math.abs, grad: (_n, x, _y, dy) => F.where(F.greater(x, 0), dy, F.neg(dy)), lower: simpleLower('Abs') });
defineUnary({ name: 'Relu', f: (x) => (x > 0 ? x : 0), grad: (_n, x, _y, dy) => F.where(F.greater(x, 0), dy, 0), lower: simpleLower('Relu') });
defineUnary({
  name: 'LeakyRelu',
  f: (x, a) => (x > 0 ? x : a * x),
  grad: (n, x, _y, dy) => F.where(F.greater(x, 0), dy, F.mul(dy, attrNum(n.attrs, 'alpha'))),
  lower: simpleLower('LeakyRelu', (n) => ({ alpha: { float: attrNum(n.attrs, 'alpha') } })),
});
defineUnary({
  name: 'Sigmoid',
  f: sigmoidF,
  grad: (_n, _x, y, dy) => F.mul(dy, F.mul(y, F.sub(1, y))),
  lower: simpleLower('Sigmoid'),
});
defineUnary({ name: 'Softplus', f: softplusF, grad: (_n, x, _y, dy) => F.mul(dy, F.sigmoid(x)), lower: simpleLower('Softplus') });
defineUnary({ name: 'Tanh', f: Math.tanh, grad: (_n, _x, y, dy) => F.mul(dy, F.sub(1, F.mul(y, y))), lower: simpleLower('Tanh') });
defineUnary({
  name: 'Erf',
  f: erf,
  grad: (_n, x, _y, dy) => F.mul(dy, F.mul(F.exp(F.neg(F.mul(x, x))), 2 / Math.sqrt(Math.PI))),
  lower: simpleLower('Erf'),
});
defineUnary({
  name: 'Gelu',
  f: (x) => 0.5 * x * (1 + erf(x * SQRT1_2)),
  grad: (_n, x, _y, dy) => {
    // d/dx [x Phi(x)] = Phi(x) + x phi(x)
    const cdf = F.mul(F.add(F.erf(F.mul(x, SQRT1_2)), 1), 0.5);
    const pdf = F.mul(F.exp(F.mul(F.mul(x, x), -0.5)), INV_SQRT_2PI);
    return F.mul(dy, F.add(cdf, F.mul(x, pdf)));
  },
  lower: simpleLower('Gelu'),
});
defineUnary({
  name: 'Silu',
  f: (x) => x * sigmoidF(x),
  grad: (_n, x, _y, dy) => {
    const s = F.sigmoid(x);
    return F.mul(dy, F.mul(s, F.add(1, F.mul(x, F.sub(1, s)))));
  },
  // x * sigmoid(1.0 * x) is exactly SiLU; ORT runs it as one fused kernel.
  lower: simpleLower('QuickGelu', () => ({ alpha: { float: 1 } }), 'com.microsoft'),
});

// ---- binary ----

function broadcastEval(a: Tensor, b: Tensor, f: (x: number, y: number) => number): Tensor {
  const shape = broadcastShapes(a.shape, b.shape);
  const out = new Float64Array(shape.reduce((p, q) => p * q, 1));
  const ad = a.data;
  const bd = b.data;
  forEachIndex(shape, [broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape)], (i, [oa, ob]) => {
    out[i] = f(ad[oa], bd[ob]);
  });
  return { shape, data: out };
}

interface BinarySpec {
  name: string;
  f: (a: number, b: number) => number;
  bool?: boolean;
  grad?: (a: Value, b: Value, y: Value, dy: Value) => [Value | null, Value | null];
}

function defineBinary(s: BinarySpec) {
  defineOp({
    name: s.name,
    infer: ([a, b]) => [{ shape: broadcastShapes(a.shape, b.shape), dtype: s.bool ? 'bool' : a.dtype }],
    evaluate: ([a, b]) => [broadcastEval(a, b, s.f)],
    grad: s.grad
      ? (node, [dy]) => {
          if (!dy) return [null, null];
          const [a, b] = node.inputs;
          const [da, db] = s.grad!(a, b, node.outputs[0], dy);
          return [da && F.reduceToShape(da, a.shape), db && F.reduceToShape(db, b.shape)];
        }
      : undefined,
    lower: (node, ctx) => ctx.emit(s.name, node.inputs.map((v) => ctx.name(v)), [ctx.name(node.outputs[0])]),
  });
}

defineBinary({ name: 'Add', f: (a, b) => a + b, grad: (_a, _b, _y, dy) => [dy, dy] });
defineBinary({ name: 'Sub', f: (a, b) => a - b, grad: (_a, _b, _y, dy) => [dy, F.neg(dy)] });
defineBinary({ name: 'Mul', f: (a, b) => a * b, grad: (a, b, _y, dy) => [F.mul(dy, b), F.mul(dy, a)] });
defineBinary({
  name: 'Div',
  f: (a, b) => a / b,
  grad: (_a, b, y, dy) => [F.div(dy, b), F.neg(F.div(F.mul(dy, y), b))],
});
defineBinary({
  name: 'Max',
  f: Math.max,
  grad: (a, b, _y, dy) => {
    const m = F.greater(a, b);
    return [F.where(m, dy, 0), F.where(m, 0, dy)];
  },
});
defineBinary({
  name: 'Min',
  f: Math.min,
  grad: (a, b, _y, dy) => {
    const m = F.greater(b, a);
    return [F.where(m, dy, 0), F.where(m, 0, dy)];
  },
});
defineBinary({ name: 'Greater', f: (a, b) => (a > b ? 1 : 0), bool: true });

defineOp({
  name: 'Where',
  infer: ([c, a, b]) => {
    if (c.dtype !== 'bool') throw new Error(`Where: condition ${c} must be bool`);
    return [{ shape: broadcastShapes(c.shape, broadcastShapes(a.shape, b.shape)), dtype: a.dtype }];
  },
  evaluate: ([c, a, b]) => {
    const shape = broadcastShapes(c.shape, broadcastShapes(a.shape, b.shape));
    const out = new Float64Array(shape.reduce((p, q) => p * q, 1));
    forEachIndex(shape, [broadcastStrides(c.shape, shape), broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape)], (i, [oc, oa, ob]) => {
      out[i] = c.data[oc] ? a.data[oa] : b.data[ob];
    });
    return [{ shape, data: out }];
  },
  grad: (node, [dy]) => {
    if (!dy) return [null, null, null];
    const [c, a, b] = node.inputs;
    return [null, F.reduceToShape(F.where(c, dy, 0), a.shape), F.reduceToShape(F.where(c, 0, dy), b.shape)];
  },
  lower: (node, ctx) => ctx.emit('Where', node.inputs.map((v) => ctx.name(v)), [ctx.name(node.outputs[0])]),
});
