/**
 * SelectiveScan / SelectiveScanGrad: the Mamba-1 scan at the engine/native boundary (see
 * scan/reference.ts for the exact semantics). Both are hostable: the partitioned executor can
 * run them natively; for onnxruntime they expand into LinearAttention + elementwise ops.
 */
import { expandSelectiveScan, expandSelectiveScanGrad } from '../../scan/onnx-expansion';
import { type ScanArgs, selectiveScanBackwardRef, selectiveScanForwardRef } from '../../scan/reference';
import type { Value } from '../graph';
import { attrBool, defineOp } from '../registry';
import type { Tensor } from '../tensor';

export function scanDims(u: { shape: readonly number[] }, A: { shape: readonly number[] }) {
  const [batch, dim, length] = u.shape;
  return { batch, dim, length, dstate: A.shape[1] };
}

function checkShapes(inputs: readonly Value[], withDy: boolean): void {
  const [u, delta, A, Bm, Cm, Dskip, deltaBias, dy] = inputs;
  const { batch: B, dim: D, length: L, dstate: N } = scanDims(u, A);
  const want: [Value, number[]][] = [
    [u, [B, D, L]],
    [delta, [B, D, L]],
    [A, [D, N]],
    [Bm, [B, N, L]],
    [Cm, [B, N, L]],
    [Dskip, [D]],
    [deltaBias, [D]],
  ];
  if (withDy) want.push([dy, [B, D, L]]);
  for (const [v, s] of want) {
    if (!v || v.rank !== s.length || v.shape.some((d, i) => d !== s[i])) {
      throw new Error(`SelectiveScan: ${v} should be [${s}] (u is [B=${B}, D=${D}, L=${L}], A is [D, N=${N}])`);
    }
  }
}

function argsOf(t: Tensor[], softplus: boolean): ScanArgs {
  const [u, delta, A, Bm, Cm, Dskip, deltaBias] = t;
  return {
    ...scanDims(u, A),
    u: u.data,
    delta: delta.data,
    A: A.data,
    Bm: Bm.data,
    Cm: Cm.data,
    Dskip: Dskip.data,
    deltaBias: deltaBias.data,
    deltaSoftplus: softplus,
  };
}

const mustExpand = (op: string) => () => {
  throw new Error(`${op} must be expanded (onnx scan backend) or run as a host op before lowering`);
};

defineOp({
  name: 'SelectiveScan',
  hostable: true,
  infer: (inputs) => {
    checkShapes(inputs, false);
    return [{ shape: inputs[0].shape, dtype: 'float32' }];
  },
  evaluate: (t, attrs) => [{ shape: [...t[0].shape], data: selectiveScanForwardRef(argsOf(t, attrBool(attrs, 'deltaSoftplus', true))) }],
  grad: (node, [dy]) => {
    if (!dy) return node.inputs.map(() => null);
    return node.inputs[0].graph.op('SelectiveScanGrad', [...node.inputs, dy], node.attrs);
  },
  expand: (node, inputs) => [expandSelectiveScan(inputs, attrBool(node.attrs, 'deltaSoftplus', true))],
  lower: mustExpand('SelectiveScan'),
});

defineOp({
  name: 'SelectiveScanGrad',
  hostable: true,
  infer: (inputs) => {
    checkShapes(inputs, true);
    return inputs.slice(0, 7).map((v) => ({ shape: v.shape, dtype: 'float32' as const }));
  },
  evaluate: (t, attrs) => {
    const g = selectiveScanBackwardRef({ ...argsOf(t, attrBool(attrs, 'deltaSoftplus', true)), dy: t[7].data });
    return [g.du, g.ddelta, g.dA, g.dBm, g.dCm, g.dDskip, g.ddeltaBias].map((data, i) => ({ shape: [...t[i].shape], data }));
  },
  expand: (node, inputs) => expandSelectiveScanGrad(inputs, attrBool(node.attrs, 'deltaSoftplus', true)),
  lower: mustExpand('SelectiveScanGrad'),
});
