/** Batched MatMul with numpy broadcasting over leading axes (both operands rank >= 2). */
import * as F from '../functional';
import type { Value } from '../graph';
import { attrBool, defineOp } from '../registry';
import { broadcastShapes, broadcastStrides, forEachIndex } from '../tensor';

defineOp({
  name: 'MatMul',
  infer: ([a, b]) => {
    if (a.rank < 2 || b.rank < 2) throw new Error(`MatMul: ${a} and ${b} must have rank >= 2`);
    const [m, k] = a.shape.slice(-2);
    const [k2, n] = b.shape.slice(-2);
    if (k !== k2) throw new Error(`MatMul: inner dimensions of ${a} and ${b} differ`);
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
    return [{ shape: [...batch, m, n], dtype: a.dtype }];
  },
  evaluate: ([a, b]) => {
    const [m, k] = a.shape.slice(-2);
    const n = b.shape[b.shape.length - 1];
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const sa = broadcastStrides(a.shape.slice(0, -2), batch).map((s) => s * m * k);
    const sb = broadcastStrides(b.shape.slice(0, -2), batch).map((s) => s * k * n);
    const nb = batch.reduce((p, q) => p * q, 1);
    const out = new Float64Array(nb * m * n);
    forEachIndex(batch, [sa, sb], (bi, [oa, ob]) => {
      const o = bi * m * n;
      for (let i = 0; i < m; i++) {
        for (let p = 0; p < k; p++) {
          const av = a.data[oa + i * k + p];
          if (av === 0) continue;
          const rowB = ob + p * n;
          for (let j = 0; j < n; j++) out[o + i * n + j] += av * b.data[rowB + j];
        }
      }
    });
    return [{ shape: [...batch, m, n], data: out }];
  },
  grad: (node, [dy]) => {
    if (!dy) return [null, null];
    const [a, b] = node.inputs;
    return [F.reduceToShape(mm(dy, b, false, true), a.shape), F.reduceToShape(mm(a, dy, true, false), b.shape)];
  },
  lower: (node, ctx) => ctx.emit('MatMul', node.inputs.map((v) => ctx.name(v)), [ctx.name(node.outputs[0])]),
});

/**
 * op(A) @ op(B) where op transposes the last two axes when transA / transB is set: the
 * transpose is never materialised (com.microsoft FusedMatMul). Gradient rules use it to
 * contract over token axes without Transpose nodes.
 */
function mm(a: Value, b: Value, transA: boolean, transB: boolean): Value {
  return a.graph.op1('MatMulT', [a, b], { transA, transB });
}

defineOp({
  name: 'MatMulT',
  infer: ([a, b], attrs) => {
    if (a.rank < 2 || b.rank < 2) throw new Error(`MatMulT: ${a} and ${b} must have rank >= 2`);
    const [m, k] = attrBool(attrs, 'transA', false) ? [...a.shape.slice(-2)].reverse() : a.shape.slice(-2);
    const [k2, n] = attrBool(attrs, 'transB', false) ? [...b.shape.slice(-2)].reverse() : b.shape.slice(-2);
    if (k !== k2) throw new Error(`MatMulT: contracted dimensions of ${a} and ${b} differ`);
    return [{ shape: [...broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2)), m, n], dtype: a.dtype }];
  },
  evaluate: ([a, b], attrs) => {
    const ta = attrBool(attrs, 'transA', false);
    const tb = attrBool(attrs, 'transB', false);
    const [ar, ac] = a.shape.slice(-2);
    const [br, bc] = b.shape.slice(-2);
    const [m, k] = ta ? [ac, ar] : [ar, ac];
    const n = tb ? br : bc;
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const sa = broadcastStrides(a.shape.slice(0, -2), batch).map((s) => s * ar * ac);
    const sb = broadcastStrides(b.shape.slice(0, -2), batch).map((s) => s * br * bc);
    const out = new Float64Array(batch.reduce((p, q) => p * q, 1) * m * n);
    forEachIndex(batch, [sa, sb], (bi, [oa, ob]) => {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let p = 0; p < k; p++) {
            const av = a.data[oa + (ta ? p * ac + i : i * ac + p)];
            const bv = b.data[ob + (tb ? j * bc + p : p * bc + j)];
            acc += av * bv;
          }
          out[bi * m * n + i * n + j] = acc;
        }
      }
    });
    return [{ shape: [...batch, m, n], data: out }];
  },
  grad: (node, [dy]) => {
    if (!dy) return [null, null];
    const [a, b] = node.inputs;
    const ta = attrBool(node.attrs, 'transA', false);
    const tb = attrBool(node.attrs, 'transB', false);
    const da = ta ? (tb ? mm(b, dy, true, true) : mm(b, dy, false, true)) : tb ? mm(dy, b, false, false) : mm(dy, b, false, true);
    const db = tb ? (ta ? mm(dy, a, true, true) : mm(dy, a, true, false)) : ta ? mm(a, dy, false, false) : mm(a, dy, true, false);
    return [F.reduceToShape(da, a.shape), F.reduceToShape(db, b.shape)];
  },
  lower: (node, ctx) => {
    const ta = attrBool(node.attrs, 'transA', false);
    const tb = attrBool(node.attrs, 'transB', false);
    const ins = node.inputs.map((v) => ctx.name(v));
    if (!ta && !tb) ctx.emit('MatMul', ins, [ctx.name(node.outputs[0])]);
    else ctx.emit('FusedMatMul', ins, [ctx.name(node.outputs[0])], { transA: ta ? 1 : 0, transB: tb ? 1 : 0, alpha: { float: 1 } }, 'com.microsoft');
  },
});
