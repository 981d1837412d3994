/** Dense float64 tensors for the reference interpreter, plus shape helpers shared by ops. */
import type { Shape } from './graph';

export interface Tensor {
  shape: number[];
  data: Float64Array;
}

export function tensor(shape: Shape, data?: ArrayLike<number>): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = data ? Float64Array.from(data) : new Float64Array(n);
  if (d.length !== n) throw new Error(`tensor: ${d.length} values for shape [${shape}]`);
  return { shape: [...shape], data: d };
}

export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Numpy broadcasting of two shapes; throws naming both when incompatible. */
export function broadcastShapes(a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`shapes [${a}] and [${b}] do not broadcast`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Strides to read a tensor of shape `from` as if broadcast to `to` (0 on broadcast axes).
 */
export function broadcastStrides(from: Shape, to: Shape): number[] {
  const s = stridesOf(from);
  const out = new Array<number>(to.length).fill(0);
  const off = to.length - from.length;
  for (let i = 0; i < from.length; i++) out[off + i] = from[i] === 1 && to[off + i] !== 1 ? 0 : s[i];
  return out;
}

/** Calls fn(outIndex, offsets...) for every element of `shape`, with per-input strided offsets. */
export function forEachIndex(shape: Shape, strides: number[][], fn: (i: number, offs: number[]) => void): void {
  const n = shape.reduce((a, b) => a * b, 1);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  const offs = strides.map(() => 0);
  for (let i = 0; i < n; i++) {
    fn(i, offs);
    for (let ax = rank - 1; ax >= 0; ax--) {
      idx[ax]++;
      for (let k = 0; k < strides.length; k++) offs[k] += strides[k][ax];
      if (idx[ax] < shape[ax]) break;
      for (let k = 0; k < strides.length; k++) offs[k] -= strides[k][ax] * shape[ax];
      idx[ax] = 0;
    }
  }
}

export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Permutes a tensor's axes (out axis i = input axis perm[i]). */
export function transposeTensor(t: Tensor, perm: readonly number[]): Tensor {
  const outShape = perm.map((p) => t.shape[p]);
  const inStrides = stridesOf(t.shape);
  const out = new Float64Array(t.data.length);
  const src = t.data;
  forEachIndex(outShape, [perm.map((p) => inStrides[p])], (i, [o]) => {
    out[i] = src[o];
  });
  return { shape: outShape, data: out };
}
