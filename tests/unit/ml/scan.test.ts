import { describe, expect, it } from 'vitest';
import { gradients } from '../../../src/main/ml/ir/autodiff';
import * as F from '../../../src/main/ml/ir/functional';
import { Graph, type Value } from '../../../src/main/ml/ir/graph';
import { interpret } from '../../../src/main/ml/ir/interpreter';
import { rewrite } from '../../../src/main/ml/ir/rewrite';
import { Executor } from '../../../src/main/ml/runtime/executor';
import { type ScanArgs, selectiveScanBackwardRef, selectiveScanForwardRef } from '../../../src/main/ml/scan/reference';
import { Rng } from '../../../src/main/ml/util/rng';

const dims = { batch: 2, dim: 3, length: 7, dstate: 4 };

function randomArgs(rng: Rng, d = dims): ScanArgs & { dy: Float64Array } {
  const { batch: B, dim: D, length: L, dstate: N } = d;
  const r = (n: number, s = 1, o = 0) => Float64Array.from({ length: n }, () => o + s * rng.normal());
  const f32 = (a: Float64Array) => Float64Array.from(Float32Array.from(a));
  return {
    ...d,
    u: f32(r(B * D * L)),
    delta: f32(r(B * D * L, 0.5)),
    A: f32(Float64Array.from({ length: D * N }, () => -Math.exp(rng.normal() * 0.5))),
    Bm: f32(r(B * N * L)),
    Cm: f32(r(B * N * L)),
    Dskip: f32(r(D)),
    deltaBias: f32(r(D, 0.3, -1)),
    deltaSoftplus: true,
    dy: f32(r(B * D * L)),
  };
}

const names = ['u', 'delta', 'A', 'Bm', 'Cm', 'Dskip', 'deltaBias'] as const;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>) {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function scanGraph(a: ScanArgs & { dy: ArrayLike<number> }) {
  const g = new Graph();
  const shapes = { u: [a.batch, a.dim, a.length], delta: [a.batch, a.dim, a.length], A: [a.dim, a.dstate], Bm: [a.batch, a.dstate, a.length], Cm: [a.batch, a.dstate, a.length], Dskip: [a.dim], deltaBias: [a.dim] };
  const ins = names.map((n) => g.input(n, shapes[n]));
  const dy = g.input('dy', [a.batch, a.dim, a.length]);
  const y = F.selectiveScan(ins[0], ins[1], ins[2], ins[3], ins[4], ins[5], ins[6], a.deltaSoftplus);
  const grads = gradients(F.sumAll(F.mul(y, dy)), ins) as Value[];
  const outputs: Record<string, Value> = { y };
  names.forEach((n, i) => (outputs[`d${n}`] = grads[i]));
  const feeds: Record<string, Float64Array> = { dy: Float64Array.from(a.dy as ArrayLike<number>) };
  for (const n of names) feeds[n] = Float64Array.from(a[n]);
  return { g, outputs, feeds };
}

describe('selective scan', () => {
  it('float64 reference backward equals central differences of its forward', () => {
    const rng = new Rng(3);
    for (const softplus of [true, false]) {
      const base = randomArgs(rng);
      // Without softplus, dt = delta + bias must stay positive for a stable recurrence.
      const a = softplus ? base : { ...base, deltaSoftplus: false, delta: Float64Array.from(base.delta, (x) => 0.05 + 0.2 * Math.abs(x)), deltaBias: new Float64Array(base.dim) };
      const grads = selectiveScanBackwardRef(a);
      const loss = (x: ScanArgs) => {
        const y = selectiveScanForwardRef(x);
        let s = 0;
        for (let i = 0; i < y.length; i++) s += y[i] * a.dy[i];
        return s;
      };
      const gradOf = { u: grads.du, delta: grads.ddelta, A: grads.dA, Bm: grads.dBm, Cm: grads.dCm, Dskip: grads.dDskip, deltaBias: grads.ddeltaBias };
      for (const n of names) {
        const arr = Float64Array.from(a[n]);
        for (let i = 0; i < arr.length; i++) {
          const x0 = arr[i];
          const eps = 1e-6;
          arr[i] = x0 + eps;
          const lp = loss({ ...a, [n]: arr });
          arr[i] = x0 - eps;
          const lm = loss({ ...a, [n]: arr });
          arr[i] = x0;
          const num = (lp - lm) / (2 * eps);
          expect(Math.abs(num - gradOf[n][i]), `${n}[${i}] softplus=${softplus}`).toBeLessThan(1e-6 * Math.max(1, Math.abs(num)));
        }
      }
    }
  });

  it('LinearAttention expansion (float64 interpreter) reproduces the reference forward and backward exactly', () => {
    const a = randomArgs(new Rng(5));
    const { g, outputs, feeds } = scanGraph(a);
    const { map } = rewrite(g, Object.values(outputs), () => true);
    const expanded = [...map.values()][0].graph;
    expect(expanded.nodes.some((n) => n.op === 'SelectiveScan' || n.op === 'SelectiveScanGrad')).toBe(false);
    expect(expanded.nodes.filter((n) => n.op === 'LinearAttention').length).toBe(3);
    const res = interpret(expanded, feeds, Object.values(outputs).map((v) => map.get(v)!));
    const ref = selectiveScanBackwardRef(a);
    const want: Record<string, Float64Array> = { y: selectiveScanForwardRef(a), du: ref.du, ddelta: ref.ddelta, dA: ref.dA, dBm: ref.dBm, dCm: ref.dCm, dDskip: ref.dDskip, ddeltaBias: ref.ddeltaBias };
    for (const [k, v] of Object.entries(outputs)) expect(maxAbsDiff(res.get(map.get(v)!)!.data, want[k]), k).toBeLessThan(1e-10);
  });

  for (const scan of ['onnx', 'js'] as const) {
    it(`executor with scan backend '${scan}' (float32) matches the float64 reference`, async () => {
      const a = randomArgs(new Rng(11), { batch: 2, dim: 5, length: 33, dstate: 16 });
      const { g, outputs, feeds } = scanGraph(a);
      const ex = await Executor.create(g, { outputs }, { threads: 2, scan });
      expect(ex.info.scanBackend).toBe(scan);
      if (scan === 'js') expect(ex.info.hostOps).toBe(2);
      const got = await ex.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, Float32Array.from(v)])));
      const ref = selectiveScanBackwardRef(a);
      const want: Record<string, Float64Array> = { y: selectiveScanForwardRef(a), du: ref.du, ddelta: ref.ddelta, dA: ref.dA, dBm: ref.dBm, dCm: ref.dCm, dDskip: ref.dDskip, ddeltaBias: ref.ddeltaBias };
      for (const [k, w] of Object.entries(want)) {
        const scale = Math.max(1, ...Array.from(w, Math.abs));
        expect(maxAbsDiff(got[k], w) / scale, k).toBeLessThan(2e-5);
      }
    });
  }
});
