import { describe, expect, it } from 'vitest';
import { gradients } from '../../../src/main/ml/ir/autodiff';
import * as F from '../../../src/main/ml/ir/functional';
import { Graph, type Value } from '../../../src/main/ml/ir/graph';
import { interpret } from '../../../src/main/ml/ir/interpreter';
import { Executor } from '../../../src/main/ml/runtime/executor';
import { Rng } from '../../../src/main/ml/util/rng';
import { cases } from './op-cases';

/** Max |a-b| / (max|b| + 1e-6) over all outputs. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  let scale = 1e-6;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m / scale;
}

describe('ONNX lowering (onnxruntime float32) matches the float64 interpreter, forward and gradients', () => {
  for (const [name, build, opts] of cases) {
    it(name, async () => {
      const rng = new Rng(7);
      const g = new Graph();
      const { inputs, out } = build(g);
      const R = g.constant(Array.from({ length: out.size }, () => rng.normal()), out.shape);
      const loss = F.sumAll(F.mul(out, R));
      const grads = gradients(loss, inputs);
      const outputs: Record<string, Value> = { out };
      grads.forEach((d, i) => (outputs[`grad_${i}`] = d!));
      const feeds: Record<string, Float64Array> = {};
      for (const v of inputs) {
        const init = opts?.init ? opts.init(v, rng) : Float64Array.from({ length: v.size }, () => rng.normal());
        feeds[v.name] = Float64Array.from(Float32Array.from(init)); // same float32-representable values for both
      }
      const ref = interpret(g, feeds, Object.values(outputs));
      const ex = await Executor.create(g, { outputs }, { threads: 1, scan: 'onnx' });
      const got = await ex.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, Float32Array.from(v)])));
      for (const [k, v] of Object.entries(outputs)) {
        expect(relErr(got[k], ref.get(v)!.data), `${name} ${k}`).toBeLessThan(2e-5);
      }
    });
  }
});
