/**
 * N-d Conv and ConvTranspose (ONNX semantics, NC + spatial layout).
 * Gradients: the input-gradient of a Conv is a Conv with the flipped kernel (unit strides) or a
 * ConvTranspose, and that of a ConvTranspose is a Conv; weight-gradients correlate the input
 * with the output-gradient as one strided Slice + MatMul per kernel offset. Weight gradients
 * support group 1 and depthwise convs.
 */
import * as F from '../functional';
import { type Node, type Value, shapeSize } from '../graph';
import { attrInts, attrNum, defineOp, type LowerCtx } from '../registry';
import { stridesOf, type Tensor } from '../tensor';

interface ConvGeom {
  strides: number[];
  pads: number[];
  dilations: number[];
  group: number;
  kernel: number[];
}

function geom(node: { attrs: Node['attrs'] }, w: { shape: readonly number[] }): ConvGeom {
  const sp = w.shape.length - 2;
  return {
    strides: attrInts(node.attrs, 'strides', new Array(sp).fill(1)),
    pads: attrInts(node.attrs, 'pads', new Array(2 * sp).fill(0)),
    dilations: attrInts(node.attrs, 'dilations', new Array(sp).fill(1)),
    group: attrNum(node.attrs, 'group', 1),
    kernel: w.shape.slice(2),
  };
}

function convOutSize(inp: number, k: number, s: number, d: number, pb: number, pe: number): number {
  return Math.floor((inp + pb + pe - d * (k - 1) - 1) / s) + 1;
}

function convTOutSize(inp: number, k: number, s: number, d: number, pb: number, pe: number, op: number): number {
  return s * (inp - 1) + op + (k - 1) * d + 1 - pb - pe;
}

/** Iterates all multi-indices of `shape` (row-major), calling fn with the index array. */
function eachPos(shape: readonly number[], fn: (idx: number[], flat: number) => void): void {
  const n = shapeSize(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let f = 0; f < n; f++) {
    fn(idx, f);
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++idx[a] < shape[a]) break;
      idx[a] = 0;
    }
  }
}

/** out[b, o, p] = sum_{c in group(o), k} w[o, c', k] * x[b, c, p*s + k*d - pb]. */
function convEval(x: Tensor, w: Tensor, bias: Tensor | null, g: ConvGeom): Tensor {
  const [B, C] = x.shape;
  const O = w.shape[0];
  const cpg = C / g.group;
  const opg = O / g.group;
  const inSp = x.shape.slice(2);
  const sp = inSp.length;
  const outSp = inSp.map((n, i) => convOutSize(n, g.kernel[i], g.strides[i], g.dilations[i], g.pads[i], g.pads[sp + i]));
  const inStr = stridesOf(inSp);
  const kSize = shapeSize(g.kernel);
  const inSize = shapeSize(inSp);
  const outSize = shapeSize(outSp);
  const out = new Float64Array(B * O * outSize);
  // Precompute for each (output position, kernel offset) the input offset or -1.
  const offsets = new Int32Array(outSize * kSize);
  eachPos(outSp, (p, pf) => {
    eachPos(g.kernel, (k, kf) => {
      let off = 0;
      for (let a = 0; a < sp; a++) {
        const c = p[a] * g.strides[a] + k[a] * g.dilations[a] - g.pads[a];
        if (c < 0 || c >= inSp[a]) {
          off = -1;
          break;
        }
        off += c * inStr[a];
      }
      offsets[pf * kSize + kf] = off;
    });
  });
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < O; o++) {
      const grp = Math.floor(o / opg);
      const ob = (b * O + o) * outSize;
      const bv = bias ? bias.data[o] : 0;
      for (let pf = 0; pf < outSize; pf++) {
        let acc = bv;
        for (let ci = 0; ci < cpg; ci++) {
          const xb = (b * C + grp * cpg + ci) * inSize;
          const wb = (o * cpg + ci) * kSize;
          for (let kf = 0; kf < kSize; kf++) {
            const off = offsets[pf * kSize + kf];
            if (off >= 0) acc += w.data[wb + kf] * x.data[xb + off];
          }
        }
        out[ob + pf] = acc;
      }
    }
  }
  return { shape: [B, O, ...outSp], data: out };
}

/** out[b, o, q*s + k*d - pb] += x[b, c, q] * w[c, o', k] (w is [C, O/group, k...]). */
function convTransposeEval(x: Tensor, w: Tensor, bias: Tensor | null, g: ConvGeom, outputPadding: number[]): Tensor {
  const [B, C] = x.shape;
  const opg = w.shape[1];
  const O = opg * g.group;
  const cpg = C / g.group;
  const inSp = x.shape.slice(2);
  const sp = inSp.length;
  const outSp = inSp.map((n, i) => convTOutSize(n, g.kernel[i], g.strides[i], g.dilations[i], g.pads[i], g.pads[sp + i], outputPadding[i]));
  const outStr = stridesOf(outSp);
  const kSize = shapeSize(g.kernel);
  const inSize = shapeSize(inSp);
  const outSize = shapeSize(outSp);
  const out = new Float64Array(B * O * outSize);
  const offsets = new Int32Array(inSize * kSize);
  eachPos(inSp, (q, qf) => {
    eachPos(g.kernel, (k, kf) => {
      let off = 0;
      for (let a = 0; a < sp; a++) {
        const c = q[a] * g.strides[a] + k[a] * g.dilations[a] - g.pads[a];
        if (c < 0 || c >= outSp[a]) {
          off = -1;
          break;
        }
        off += c * outStr[a];
      }
      offsets[qf * kSize + kf] = off;
    });
  });
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const grp = Math.floor(c / cpg);
      const xb = (b * C + c) * inSize;
      for (let oi = 0; oi < opg; oi++) {
        const o = grp * opg + oi;
        const ob = (b * O + o) * outSize;
        const wb = (c * opg + oi) * kSize;
        for (let qf = 0; qf < inSize; qf++) {
          const xv = x.data[xb + qf];
          for (let kf = 0; kf < kSize; kf++) {
            const off = offsets[qf * kSize + kf];
            if (off >= 0) out[ob + off] += xv * w.data[wb + kf];
          }
        }
      }
    }
  }
  if (bias) for (let b = 0; b < B; b++) for (let o = 0; o < O; o++) for (let p = 0; p < outSize; p++) out[(b * O + o) * outSize + p] += bias.data[o];
  return { shape: [B, O, ...outSp], data: out };
}

function swapBatchChannel(v: Value): Value {
  const perm = v.shape.map((_, i) => i);
  perm[0] = 1;
  perm[1] = 0;
  return F.transpose(v, perm);
}

/** Every kernel offset (row-major), as index arrays. */
function kernelOffsets(kernel: number[]): number[][] {
  const out: number[][] = [];
  const idx = new Array<number>(kernel.length).fill(0);
  for (let f = 0; f < shapeSize(kernel); f++) {
    out.push([...idx]);
    for (let a = kernel.length - 1; a >= 0; a--) {
      if (++idx[a] < kernel[a]) break;
      idx[a] = 0;
    }
  }
  return out;
}

/**
 * out[m, n, k] = sum_{b, s} p[b, m, s] * t_pad[b, n, s*stride + k*dil] for every kernel offset k:
 * one strided Slice of the padded `t` and one MatMul per offset (GEMMs with good shapes,
 * unlike a convolution whose "kernel" is a whole feature map). With `depthwise`, m and n are
 * the same channel and the result is [C, 1, k...].
 */
function correlateOffsets(p: Value, t: Value, g: { kernel: number[]; strides: number[]; dilations: number[]; padBegin: number[] }, depthwise: boolean): Value {
  const sp = g.kernel.length;
  const [B, M] = p.shape;
  const N = t.shape[1];
  const outSp = p.shape.slice(2);
  const S = shapeSize(outSp);
  const need = outSp.map((o, a) => (o - 1) * g.strides[a] + (g.kernel[a] - 1) * g.dilations[a] + 1);
  const padEnd = need.map((n, a) => Math.max(0, n - (t.shape[2 + a] + g.padBegin[a])));
  const tp = F.pad(t, [0, 0, ...g.padBegin, 0, 0, ...padEnd]);
  const pFlat = F.reshape(p, [B, M, S]);
  const parts = kernelOffsets(g.kernel).map((k) => {
    let tk = tp;
    for (let a = 0; a < sp; a++) {
      const start = k[a] * g.dilations[a];
      tk = stridedSlice(tk, 2 + a, start, outSp[a], g.strides[a]);
    }
    const tkFlat = F.reshape(tk, [B, N, S]);
    if (depthwise) return F.reduceSum(F.mul(pFlat, tkFlat), [0, 2]); // [C]
    const prod = F.matmulNT(pFlat, tkFlat); // [B, M, N]
    return B > 1 ? F.reduceSum(prod, [0]) : F.reshape(prod, [M, N]);
  });
  const stacked = F.concat(parts.map((x) => F.unsqueeze(x, x.rank)), parts[0].rank);
  return F.reshape(stacked, depthwise ? [M, 1, ...g.kernel] : [M, N, ...g.kernel]);
}

/** `count` elements of one axis starting at `start`, every `step`. */
function stridedSlice(x: Value, axis: number, start: number, count: number, step: number): Value {
  if (start === 0 && count === x.shape[axis] && step === 1) return x;
  return x.graph.op1('Slice', [x], { axes: [axis], starts: [start], ends: [start + (count - 1) * step + 1], steps: [step] });
}

/** dW of a Conv (group 1 or depthwise). */
function convWeightGrad(x: Value, dy: Value, w: Value, g: ConvGeom): Value {
  const [, C] = x.shape;
  const O = w.shape[0];
  const depthwise = g.group === C && O === C && w.shape[1] === 1;
  if (g.group !== 1 && !depthwise) {
    throw new Error(`Conv: weight gradient for group=${g.group} with ${C}->${O} channels is not supported (group 1 or depthwise only)`);
  }
  return correlateOffsets(dy, x, { kernel: g.kernel, strides: g.strides, dilations: g.dilations, padBegin: g.pads.slice(0, g.kernel.length) }, depthwise);
}

/**
 * dX of a Conv. With unit strides it is itself a Conv of dY with the kernel flipped in space
 * (and in/out channels swapped for group 1), which onnxruntime runs much faster than
 * ConvTranspose; otherwise ConvTranspose.
 */
function convInputGrad(dy: Value, w: Value, g: ConvGeom, outputPadding: number[]): Value {
  const sp = g.kernel.length;
  const reach = g.kernel.map((k, i) => g.dilations[i] * (k - 1));
  const pads = [...reach.map((r, i) => r - g.pads[i]), ...reach.map((r, i) => r - g.pads[sp + i])];
  const depthwise = g.group === w.shape[0] && w.shape[1] === 1;
  if (g.strides.every((s) => s === 1) && pads.every((p) => p >= 0) && (g.group === 1 || depthwise)) {
    let wf = w;
    for (let a = 0; a < sp; a++) if (g.kernel[a] > 1) wf = F.flip(wf, 2 + a);
    if (g.group === 1) wf = swapBatchChannel(wf);
    return F.conv(dy, wf, null, { pads, dilations: g.dilations, group: g.group });
  }
  return F.convTranspose(dy, w, null, { strides: g.strides, pads: g.pads, dilations: g.dilations, group: g.group, outputPadding });
}

function biasGrad(dy: Value): Value {
  return F.reduceSum(dy, dy.shape.map((_, i) => i).filter((i) => i !== 1));
}

function lowerConvLike(onnxOp: string, extra?: (node: Node) => Record<string, number[]>) {
  return (node: Node, ctx: LowerCtx) => {
    const g = geom(node, node.inputs[1]);
    ctx.emit(onnxOp, node.inputs.map((v) => ctx.name(v)), [ctx.name(node.outputs[0])], {
      strides: g.strides,
      pads: g.pads,
      dilations: g.dilations,
      group: g.group,
      kernel_shape: g.kernel,
      ...(extra?.(node) ?? {}),
    });
  };
}

defineOp({
  name: 'Conv',
  infer: ([x, w, b], attrs) => {
    const g = geom({ attrs }, w);
    const sp = x.rank - 2;
    if (w.rank !== x.rank) throw new Error(`Conv: weight ${w} rank differs from input ${x}`);
    if (x.shape[1] !== w.shape[1] * g.group) throw new Error(`Conv: input ${x} has ${x.shape[1]} channels, weight ${w} expects ${w.shape[1] * g.group}`);
    if (b && (b.rank !== 1 || b.shape[0] !== w.shape[0])) throw new Error(`Conv: bias ${b} does not match weight ${w}`);
    const outSp = x.shape.slice(2).map((n, i) => convOutSize(n, g.kernel[i], g.strides[i], g.dilations[i], g.pads[i], g.pads[sp + i]));
    if (outSp.some((d) => d < 1)) throw new Error(`Conv: input ${x} is too small for kernel [${g.kernel}]`);
    return [{ shape: [x.shape[0], w.shape[0], ...outSp], dtype: x.dtype }];
  },
  evaluate: ([x, w, b], attrs) => [convEval(x, w, b ?? null, geom({ attrs }, w))],
  grad: (node, [dy]) => {
    if (!dy) return node.inputs.map(() => null);
    const [x, w, b] = node.inputs;
    const g = geom(node, w);
    const sp = g.kernel.length;
    const outputPadding = x.shape.slice(2).map(
      (n, i) => n - convTOutSize(dy.shape[2 + i], g.kernel[i], g.strides[i], g.dilations[i], g.pads[i], g.pads[sp + i], 0),
    );
    const dx = convInputGrad(dy, w, g, outputPadding);
    const dw = convWeightGrad(x, dy, w, g);
    return b ? [dx, dw, biasGrad(dy)] : [dx, dw];
  },
  lower: lowerConvLike('Conv'),
});

defineOp({
  name: 'ConvTranspose',
  infer: ([x, w, b], attrs) => {
    const g = geom({ attrs }, w);
    const sp = x.rank - 2;
    const op = attrInts(attrs, 'output_padding', new Array(sp).fill(0));
    if (x.shape[1] !== w.shape[0]) throw new Error(`ConvTranspose: input ${x} channels differ from weight ${w}`);
    const O = w.shape[1] * g.group;
    if (b && b.shape[0] !== O) throw new Error(`ConvTranspose: bias ${b} does not match ${O} outputs`);
    const outSp = x.shape.slice(2).map((n, i) => convTOutSize(n, g.kernel[i], g.strides[i], g.dilations[i], g.pads[i], g.pads[sp + i], op[i]));
    return [{ shape: [x.shape[0], O, ...outSp], dtype: x.dtype }];
  },
  evaluate: ([x, w, b], attrs) =>
    [convTransposeEval(x, w, b ?? null, geom({ attrs }, w), attrInts(attrs, 'output_padding', new Array(x.shape.length - 2).fill(0)))],
  grad: (node, [dy]) => {
    if (!dy) return node.inputs.map(() => null);
    const [x, w, b] = node.inputs;
    const g = geom(node, w);
    if (g.group !== 1) throw new Error('ConvTranspose: gradients are implemented for group 1 only');
    const dx = F.conv(dy, w, null, { strides: g.strides, pads: g.pads, dilations: g.dilations });
    // dW[c, o, k] = sum_q x[c, q] * dy_pad[o, q*s + k*d]
    const dw = correlateOffsets(x, dy, { kernel: g.kernel, strides: g.strides, dilations: g.dilations, padBegin: g.pads.slice(0, g.kernel.length) }, false);
    return b ? [dx, dw, biasGrad(dy)] : [dx, dw];
  },
  lower: lowerConvLike('ConvTranspose', (node) => ({ output_padding: attrInts(node.attrs, 'output_padding') })),
});
