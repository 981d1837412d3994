/** Layout ops: Reshape, Transpose, Concat, Slice (incl. flips), Pad, Expand, Gather, CumSum. */
import * as F from '../functional';
import { shapeSize } from '../graph';
import { attrBool, attrInts, attrNum, defineOp } from '../registry';
import { broadcastShapes, broadcastStrides, forEachIndex, stridesOf, type Tensor, transposeTensor } from '../tensor';

defineOp({
  name: 'Reshape',
  infer: ([x], attrs) => {
    const shape = attrInts(attrs, 'shape');
    if (shapeSize(shape) !== x.size) throw new Error(`Reshape: ${x} has ${x.size} elements, not ${shapeSize(shape)} for [${shape}]`);
    return [{ shape, dtype: x.dtype }];
  },
  evaluate: ([x], attrs) => [{ shape: attrInts(attrs, 'shape'), data: x.data }],
  grad: (node, [dy]) => [dy && F.reshape(dy, node.inputs[0].shape)],
  lower: (node, ctx) =>
    ctx.emit('Reshape', [ctx.name(node.inputs[0]), ctx.constI64(attrInts(node.attrs, 'shape'))], [ctx.name(node.outputs[0])]),
});

defineOp({
  name: 'Transpose',
  infer: ([x], attrs) => {
    const perm = attrInts(attrs, 'perm');
    if (perm.length !== x.rank || [...perm].sort().some((p, i) => p !== i)) throw new Error(`Transpose: bad perm [${perm}] for ${x}`);
    return [{ shape: perm.map((p) => x.shape[p]), dtype: x.dtype }];
  },
  evaluate: ([x], attrs) => [transposeTensor(x, attrInts(attrs, 'perm'))],
  grad: (node, [dy]) => {
    if (!dy) return [null];
    const perm = attrInts(node.attrs, 'perm');
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return [F.transpose(dy, inv)];
  },
  lower: (node, ctx) => ctx.emit('Transpose', [ctx.name(node.inputs[0])], [ctx.name(node.outputs[0])], { perm: attrInts(node.attrs, 'perm') }),
});

defineOp({
  name: 'Concat',
  infer: (xs, attrs) => {
    const axis = attrNum(attrs, 'axis');
    const shape = [...xs[0].shape];
    shape[axis] = 0;
    for (const x of xs) {
      if (x.rank !== shape.length || x.shape.some((d, i) => i !== axis && d !== xs[0].shape[i])) {
        throw new Error(`Concat: ${x} does not match ${xs[0]} outside axis ${axis}`);
      }
      shape[axis] += x.shape[axis];
    }
    return [{ shape, dtype: xs[0].dtype }];
  },
  evaluate: (xs, attrs) => {
    const axis = attrNum(attrs, 'axis');
    const shape = [...xs[0].shape];
    shape[axis] = xs.reduce((a, x) => a + x.shape[axis], 0);
    const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const out = new Float64Array(shapeSize(shape));
    let o = 0;
    for (let i = 0; i < outer; i++) {
      for (const x of xs) {
        const block = x.data.length / outer;
        out.set(x.data.subarray(i * block, (i + 1) * block), o);
        o += block;
      }
    }
    return [{ shape, data: out }];
  },
  grad: (node, [dy]) => {
    if (!dy) return node.inputs.map(() => null);
    const axis = attrNum(node.attrs, 'axis');
    let start = 0;
    return node.inputs.map((x) => {
      const s = F.slice(dy, axis, start, start + x.shape[axis]);
      start += x.shape[axis];
      return s;
    });
  },
  lower: (node, ctx) =>
    ctx.emit('Concat', node.inputs.map((v) => ctx.name(v)), [ctx.name(node.outputs[0])], { axis: attrNum(node.attrs, 'axis') }),
});

/** Normalised slice of one axis: indices start, start+step, ... strictly before end (end -1 allowed for step -1). */
function sliceLen(start: number, end: number, step: number): number {
  return Math.max(0, Math.ceil((end - start) / step));
}

function sliceSpec(shape: readonly number[], attrs: Parameters<typeof attrInts>[0]) {
  const axes = attrInts(attrs, 'axes');
  const starts = attrInts(attrs, 'starts');
  const ends = attrInts(attrs, 'ends');
  const steps = attrInts(attrs, 'steps');
  const outShape = [...shape];
  axes.forEach((a, i) => {
    if (steps[i] !== -1 && !(Number.isInteger(steps[i]) && steps[i] >= 1)) throw new Error('Slice: steps must be -1 or positive integers');
    const lo = steps[i] > 0 ? 0 : -1;
    if (starts[i] < 0 || starts[i] >= shape[a] || ends[i] < lo || ends[i] > shape[a]) {
      throw new Error(`Slice: range ${starts[i]}..${ends[i]} out of bounds for axis ${a} of size ${shape[a]}`);
    }
    outShape[a] = sliceLen(starts[i], ends[i], steps[i]);
  });
  return { axes, starts, ends, steps, outShape };
}

defineOp({
  name: 'Slice',
  infer: ([x], attrs) => [{ shape: sliceSpec(x.shape, attrs).outShape, dtype: x.dtype }],
  evaluate: ([x], attrs) => {
    const { axes, starts, steps, outShape } = sliceSpec(x.shape, attrs);
    const inStrides = stridesOf(x.shape);
    const rd = [...inStrides];
    let base = 0;
    axes.forEach((a, i) => {
      base += starts[i] * inStrides[a];
      rd[a] = inStrides[a] * steps[i];
    });
    const out = new Float64Array(shapeSize(outShape));
    forEachIndex(outShape, [rd], (i, [o]) => {
      out[i] = x.data[base + o];
    });
    return [{ shape: outShape, data: out }];
  },
  grad: (node, [dy]) => {
    if (!dy) return [null];
    const x = node.inputs[0];
    const { axes, starts, ends, steps } = sliceSpec(x.shape, node.attrs);
    if (steps.some((st) => st > 1)) throw new Error('Slice: gradients of strided slices are not implemented');
    let g = dy;
    const pads = new Array<number>(2 * x.rank).fill(0);
    axes.forEach((a, i) => {
      if (steps[i] < 0) {
        g = F.flip(g, a);
        // forward took indices start, start-1, ..., end+1
        pads[a] = ends[i] + 1;
        pads[x.rank + a] = x.shape[a] - 1 - starts[i];
      } else {
        pads[a] = starts[i];
        pads[x.rank + a] = x.shape[a] - ends[i];
      }
    });
    return [F.pad(g, pads)];
  },
  lower: (node, ctx) => {
    const x = node.inputs[0];
    const { axes, starts, ends, steps } = sliceSpec(x.shape, node.attrs);
    // ONNX clamps negative ends after adding the dim; -(dim+1) means "through index 0" when stepping back.
    const onnxEnds = ends.map((e, i) => (steps[i] < 0 && e === -1 ? -(x.shape[axes[i]] + 1) : e));
    ctx.emit(
      'Slice',
      [ctx.name(x), ctx.constI64(starts), ctx.constI64(onnxEnds), ctx.constI64(axes), ctx.constI64(steps)],
      [ctx.name(node.outputs[0])],
    );
  },
});

defineOp({
  name: 'Pad',
  infer: ([x], attrs) => {
    const pads = attrInts(attrs, 'pads');
    if (pads.length !== 2 * x.rank || pads.some((p) => p < 0)) throw new Error(`Pad: bad pads [${pads}] for ${x}`);
    return [{ shape: x.shape.map((d, i) => d + pads[i] + pads[x.rank + i]), dtype: x.dtype }];
  },
  evaluate: ([x], attrs) => {
    const pads = attrInts(attrs, 'pads');
    const value = attrNum(attrs, 'value', 0);
    const r = x.shape.length;
    const shape = x.shape.map((d, i) => d + pads[i] + pads[r + i]);
    const out = new Float64Array(shapeSize(shape)).fill(value);
    const os = stridesOf(shape);
    let base = 0;
    for (let i = 0; i < r; i++) base += pads[i] * os[i];
    forEachIndex(x.shape, [os], (i, [o]) => {
      out[base + o] = x.data[i];
    });
    return [{ shape, data: out }];
  },
  grad: (node, [dy]) => {
    if (!dy) return [null];
    const x = node.inputs[0];
    const pads = attrInts(node.attrs, 'pads');
    let g = dy;
    for (let a = 0; a < x.rank; a++) g = F.slice(g, a, pads[a], pads[a] + x.shape[a]);
    return [g];
  },
  lower: (node, ctx) => {
    const value = attrNum(node.attrs, 'value', 0);
    ctx.emit(
      'Pad',
      [ctx.name(node.inputs[0]), ctx.constI64(attrInts(node.attrs, 'pads')), ctx.constF32([value], [])],
      [ctx.name(node.outputs[0])],
      { mode: 'constant' },
    );
  },
});

defineOp({
  name: 'Expand',
  infer: ([x], attrs) => {
    const shape = attrInts(attrs, 'shape');
    const b = broadcastShapes(x.shape, shape);
    if (b.length !== shape.length || b.some((d, i) => d !== shape[i])) throw new Error(`Expand: ${x} cannot expand to [${shape}]`);
    return [{ shape, dtype: x.dtype }];
  },
  evaluate: ([x], attrs) => {
    const shape = attrInts(attrs, 'shape');
    const out = new Float64Array(shapeSize(shape));
    forEachIndex(shape, [broadcastStrides(x.shape, shape)], (i, [o]) => {
      out[i] = x.data[o];
    });
    return [{ shape, data: out }];
  },
  grad: (node, [dy]) => [dy && F.reduceToShape(dy, node.inputs[0].shape)],
  lower: (node, ctx) =>
    ctx.emit('Expand', [ctx.name(node.inputs[0]), ctx.constI64(attrInts(node.attrs, 'shape'))], [ctx.name(node.outputs[0])]),
});

function isPermutation(idx: readonly number[]): boolean {
  const seen = new Uint8Array(idx.length);
  for (const i of idx) {
    if (i < 0 || i >= idx.length || seen[i]) return false;
    seen[i] = 1;
  }
  return true;
}

defineOp({
  name: 'Gather',
  infer: ([x], attrs) => {
    const axis = attrNum(attrs, 'axis');
    const idx = attrInts(attrs, 'indices');
    if (idx.some((i) => i < 0 || i >= x.shape[axis])) throw new Error(`Gather: index out of range for axis ${axis} of ${x}`);
    const shape = [...x.shape];
    shape[axis] = idx.length;
    return [{ shape, dtype: x.dtype }];
  },
  evaluate: ([x], attrs) => {
    const axis = attrNum(attrs, 'axis');
    const idx = attrInts(attrs, 'indices');
    const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const n = x.shape[axis];
    const out = new Float64Array(outer * idx.length * inner);
    for (let o = 0; o < outer; o++) {
      idx.forEach((src, j) => {
        out.set(x.data.subarray((o * n + src) * inner, (o * n + src + 1) * inner), (o * idx.length + j) * inner);
      });
    }
    const shape = [...x.shape];
    shape[axis] = idx.length;
    return [{ shape, data: out }];
  },
  grad: (node, [dy]) => {
    if (!dy) return [null];
    const idx = attrInts(node.attrs, 'indices');
    if (!isPermutation(idx)) throw new Error('Gather: gradients are implemented for permutations only');
    const inv = new Array<number>(idx.length);
    idx.forEach((src, j) => (inv[src] = j));
    return [F.gather(dy, attrNum(node.attrs, 'axis'), inv)];
  },
  lower: (node, ctx) =>
    ctx.emit('Gather', [ctx.name(node.inputs[0]), ctx.constI64(attrInts(node.attrs, 'indices'))], [ctx.name(node.outputs[0])], {
      axis: attrNum(node.attrs, 'axis'),
    }),
});

function cumsumTensor(x: Tensor, axis: number, reverse: boolean): Tensor {
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = x.shape[axis];
  const out = new Float64Array(x.data.length);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      let acc = 0;
      for (let j = 0; j < n; j++) {
        const jj = reverse ? n - 1 - j : j;
        const i = (o * n + jj) * inner + k;
        acc += x.data[i];
        out[i] = acc;
      }
    }
  }
  return { shape: [...x.shape], data: out };
}

defineOp({
  name: 'CumSum',
  infer: ([x]) => [{ shape: x.shape, dtype: x.dtype }],
  evaluate: ([x], attrs) => [cumsumTensor(x, attrNum(attrs, 'axis'), attrBool(attrs, 'reverse', false))],
  grad: (node, [dy]) => [dy && F.cumsum(dy, attrNum(node.attrs, 'axis'), !attrBool(node.attrs, 'reverse', false))],
  lower: (node, ctx) =>
    ctx.emit('CumSum', [ctx.name(node.inputs[0]), ctx.constI64([attrNum(node.attrs, 'axis')], [])], [ctx.name(node.outputs[0])], {
      reverse: attrBool(node.attrs, 'reverse', false) ? 1 : 0,
    }),
});
