/**
 * The engine against an independent PyTorch implementation (tests/reference/segmamba_ref.py,
 * Debian's torch): same weights and input give the same probabilities and parameter
 * gradients, and the official-style .pth it saves imports and reproduces them.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importPth } from '../../../src/main/ml/checkpoint/index';
import { readSafetensors, writeSafetensors } from '../../../src/main/ml/checkpoint/safetensors';
import { gradients } from '../../../src/main/ml/ir/autodiff';
import * as F from '../../../src/main/ml/ir/functional';
import type { Value } from '../../../src/main/ml/ir/graph';
import { createModel } from '../../../src/main/ml/model';
import { Executor } from '../../../src/main/ml/runtime/executor';
import { Rng } from '../../../src/main/ml/util/rng';
import { referencePython, skipNotice } from '../../helpers/python';
import { spawnSync } from 'node:child_process';

const MODULES = ['torch', 'numpy'];
const python = referencePython(MODULES);
const script = join(__dirname, '..', '..', 'reference', 'segmamba_ref.py');

const crop = [16, 16, 80] as const;
const shape = [1, 1, ...crop];
const model = createModel('tiny');
const dir = mkdtempSync(join(tmpdir(), 'tu-parity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function weightsWithPerturbedDefaults(seed: number) {
  const w = model.initWeights(seed);
  const rng = new Rng(seed + 100);
  // Norm scales, A_log and D start at constants; perturb them so swapped or ignored tensors show.
  for (const s of model.specs) {
    if (s.init.kind === 'uniform') continue;
    const arr = w.get(s.name)!;
    for (let i = 0; i < arr.length; i++) arr[i] += 0.1 * rng.normal();
  }
  return w;
}

function maxAbs(a: ArrayLike<number>) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.skipIf(!python)('SegMamba vs the PyTorch reference (tiny, 16x16x80 crop)', () => {
  const weights = weightsWithPerturbedDefaults(3);
  const rng = new Rng(9);
  const n = crop[0] * crop[1] * crop[2];
  const x = Float32Array.from({ length: n }, () => rng.uniform());
  const R = Float32Array.from({ length: 3 * n }, () => rng.normal());
  let torchProbs: Float32Array;
  let torchGrads: Map<string, Float32Array>;

  it('runs the reference', () => {
    writeSafetensors(join(dir, 'w.safetensors'), new Map(model.specs.map((s) => [s.name, { shape: s.shape, data: weights.get(s.name)! }])));
    writeFileSync(join(dir, 'x.f32'), x);
    writeFileSync(join(dir, 'r.f32'), R);
    writeFileSync(join(dir, 'cfg.json'), JSON.stringify(model.config));
    const r = spawnSync(python!, [script, 'run', '--config', join(dir, 'cfg.json'), '--weights', join(dir, 'w.safetensors'), '--input', join(dir, 'x.f32'), '--shape', shape.join(','), '--out', dir, '--seed-grad', join(dir, 'r.f32'), '--save-pth', join(dir, 'model.pth'), '--module-prefix', '--threads', '2'], { encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!).params).toBe(model.paramCount);
    const buf = readFileSync(join(dir, 'probs.f32'));
    torchProbs = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    torchGrads = new Map([...readSafetensors(join(dir, 'grads.safetensors')).tensors].map(([k, t]) => [k, t.data]));
  }, 300_000);

  for (const scan of ['onnx', 'js'] as const) {
    it(`gives the same probabilities and gradients (scan backend ${scan})`, async () => {
      const built = model.build(shape);
      const Rv = built.graph.constant(R, built.net.probs.shape);
      const params = model.specs.map((s) => built.graph.params.get(s.name)!);
      const grads = gradients(F.sumAll(F.mul(built.net.probs, Rv)), [...params, built.input]);
      const outputs: Record<string, Value> = { probs: built.net.probs, dx: grads[params.length]! };
      model.specs.forEach((s, i) => (outputs[`g.${s.name}`] = grads[i]!));
      const ex = await Executor.create(built.graph, { outputs }, { scan, threads: 2 });
      const got = await ex.run({ x, ...Object.fromEntries(weights) });
      const errProbs = maxAbsDiff(got.probs, torchProbs);
      console.log(`[parity ${scan}] max |probs - torch| = ${errProbs.toExponential(2)}`);
      expect(errProbs).toBeLessThan(1e-4);
      let worst = { name: '', rel: 0 };
      for (const s of model.specs) {
        const t = torchGrads.get(s.name)!;
        const rel = maxAbsDiff(got[`g.${s.name}`], t) / Math.max(maxAbs(t), 1e-6);
        if (rel > worst.rel) worst = { name: s.name, rel };
      }
      const relDx = maxAbsDiff(got.dx, torchGrads.get('__input__')!) / maxAbs(torchGrads.get('__input__')!);
      console.log(`[parity ${scan}] worst parameter-gradient error relative to its max: ${worst.rel.toExponential(2)} (${worst.name}); input gradient ${relDx.toExponential(2)}`);
      expect(worst.rel).toBeLessThan(1e-3);
      expect(relDx).toBeLessThan(1e-3);
    }, 300_000);
  }

  it('imports the .pth the reference saved (module. prefixes, extra keys) and reproduces its output', async () => {
    const imp = importPth(join(dir, 'model.pth'), model.specs);
    expect(imp.report.missing).toEqual([]);
    expect(imp.report.unexpected).toEqual([]);
    expect(imp.report.mismatched).toEqual([]);
    expect(imp.stateDictKey).toBe('model');
    expect(imp.otherKeys.sort()).toEqual(['epoch', 'optimizer']);
    for (const s of model.specs) expect(imp.weights.get(s.name)!.data).toEqual(weights.get(s.name));
    const { Predictor } = await import('../../../src/main/ml/infer/predictor');
    const pred = await Predictor.create(model, new Map([...imp.weights].map(([k, t]) => [k, t.data])), { crop, threads: 2, scan: 'onnx' });
    expect(maxAbsDiff(await pred.predict(x), torchProbs)).toBeLessThan(1e-4);
  });
});

if (!python) it('PyTorch parity', () => void skipNotice('SegMamba PyTorch parity', MODULES));
