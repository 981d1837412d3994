/** Batched MatMul with numpy broadcasting over leading axes (both operands rank >= 2). */
import * as F from '../functional';
import { defineOp } from '../registry';
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
    return [
      F.reduceToShape(F.matmul(dy, F.transposeLast2(b)), a.shape),
      F.reduceToShape(F.matmul(F.transposeLast2(a), dy), b.shape),
    ];
  },
  lower: (node, ctx) => ctx.emit('MatMul', node.inputs.map((v) => ctx.name(v)), [ctx.name(node.outputs[0])]),
});
