import { gradients } from '../../../src/main/ml/ir/autodiff';
import * as F from '../../../src/main/ml/ir/functional';
import { Graph, type Value } from '../../../src/main/ml/ir/graph';
import { interpret } from '../../../src/main/ml/ir/interpreter';
import { Rng } from '../../../src/main/ml/util/rng';

export interface GradCheckResult {
  maxRelErr: number;
  worst: string;
  checked: number;
}

/**
 * Central finite differences (float64, in the IR interpreter) against the autodiff graph for
 * loss = sum(out * R) with a fixed random R. `init` gives each input's values.
 */
export function gradCheck(
  build: (g: Graph) => { inputs: Value[]; out: Value },
  opts: { seed?: number; eps?: number; init?: (v: Value, rng: Rng) => Float64Array; maxPerInput?: number } = {},
): GradCheckResult {
  const rng = new Rng(opts.seed ?? 1);
  const g = new Graph();
  const { inputs, out } = build(g);
  const R = g.constant(Array.from({ length: out.size }, () => rng.normal()), out.shape);
  const loss = F.sumAll(F.mul(out, R));
  const grads = gradients(loss, inputs);
  const feeds: Record<string, Float64Array> = {};
  const keyOf = (v: Value) => (v.role === 'param' ? [...g.params.entries()].find(([, p]) => p === v)![0] : v.name);
  // every parameter and input gets values; only `inputs` are checked
  for (const v of [...inputs, ...g.params.values(), ...g.inputs]) {
    if (feeds[keyOf(v)]) continue;
    feeds[keyOf(v)] = opts.init ? opts.init(v, rng) : Float64Array.from({ length: v.size }, () => rng.normal());
  }
  const analytic = interpret(g, feeds, grads.map((x, i) => x ?? inputs[i]));
  const lossAt = () => interpret(g, feeds, [loss]).get(loss)!.data[0];
  const eps = opts.eps ?? 1e-6;
  let maxRelErr = 0;
  let worst = '';
  let checked = 0;
  // Errors are relative to max(the input's largest gradient, 1e-3 of the largest overall): a true
  // zero gradient (e.g. a bias right before a normalisation) only shows rounding noise.
  let globalMax = 0;
  inputs.forEach((_, k) => {
    for (const x of analytic.get(grads[k] ?? inputs[k])!.data) globalMax = Math.max(globalMax, Math.abs(x));
  });
  inputs.forEach((v, k) => {
    const gv = grads[k];
    if (!gv) throw new Error(`no gradient for ${v}`);
    const a = analytic.get(gv)!.data;
    const x = feeds[keyOf(v)];
    const n = x.length;
    const maxN = opts.maxPerInput ?? 40;
    const idx = n <= maxN ? [...Array(n).keys()] : Array.from({ length: maxN }, () => Math.floor(rng.uniform() * n));
    const scale = Math.max(1e-3, 1e-3 * globalMax, ...Array.from(a, Math.abs));
    for (const i of idx) {
      const x0 = x[i];
      x[i] = x0 + eps;
      const lp = lossAt();
      x[i] = x0 - eps;
      const lm = lossAt();
      x[i] = x0;
      const num = (lp - lm) / (2 * eps);
      const err = Math.abs(num - a[i]) / Math.max(scale, Math.abs(num));
      checked++;
      if (err > maxRelErr) {
        maxRelErr = err;
        worst = `${v.name}[${i}]: numeric ${num} vs analytic ${a[i]}`;
      }
    }
  });
  return { maxRelErr, worst, checked };
}
