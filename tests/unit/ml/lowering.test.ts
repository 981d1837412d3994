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

describe('external data', () => {
  it('loads models whose weights exceed the threshold from ONNX external data, with the same results', async () => {
    const { createModel } = await import('../../../src/main/ml/model');
    const { Predictor } = await import('../../../src/main/ml/infer/predictor');
    const model = createModel('tiny', { featureSize: [4, 8, 8, 8], hiddenSize: 8, depths: [1, 1, 1, 1], nSlices: 1 });
    const w = model.initWeights(1);
    const x = Float32Array.from({ length: 16 ** 3 }, (_, i) => Math.sin(i));
    const inline = await Predictor.create(model, w, { crop: [16, 16, 16], threads: 1, scan: 'onnx' });
    const external = await Predictor.create(model, w, { crop: [16, 16, 16], threads: 1, scan: 'onnx', externalDataBytes: 1 });
    expect(Array.from(await external.predict(x))).toEqual(Array.from(await inline.predict(x)));
  });
});
