import { describe, expect, it } from 'vitest';
import { gradCheck } from './gradcheck';
import { cases } from './op-cases';

describe('gradient checks (central differences in the float64 IR interpreter)', () => {
  for (const [name, build, opts] of cases) {
    it(name, () => {
      const r = gradCheck(build, opts);
      expect(r.checked).toBeGreaterThan(0);
      expect(r.maxRelErr, r.worst).toBeLessThan(1e-6);
    });
  }
});

describe('whole-model gradient check', () => {
  it('a reduced SegMamba (all layer kinds, all three scan directions): autodiff equals central differences in float64', async () => {
    const { Module } = await import('../../../src/main/ml/nn/module');
    const { presetConfig, segMamba } = await import('../../../src/main/ml/models/segmamba');
    // nslices 2 keeps the interleaved "slice" direction on a 16x16x32 crop
    const cfg = presetConfig('tiny', { featureSize: [2, 4, 4, 4], hiddenSize: 4, depths: [1, 1, 1, 1], outChannels: 2, nSlices: 2 });
    const { initWeights } = await import('../../../src/main/ml/nn/module');
    const specs: import('../../../src/main/ml/nn/module').ParamSpec[] = [];
    let weights: Map<string, Float32Array> | null = null;
    const r = gradCheck(
      (g) => {
        const x = g.input('x', [1, 1, 16, 16, 32]);
        const out = segMamba(new Module(g, '', specs), x, cfg).probs;
        // every fourth parameter tensor plus the input, one random element each
        return { inputs: [x, ...[...g.params.values()].filter((_, i) => i % 4 === 0)], out };
      },
      {
        maxPerInput: 1,
        seed: 4,
        // small steps: with ~10^5 ReLU/LeakyReLU units, larger ones cross kinks
        eps: 1e-7,
        // the model's own initialisation (PyTorch-style), so activations and gradients are realistic
        init: (v, rng) => {
          if (v.name === 'x') return Float64Array.from({ length: v.size }, () => rng.uniform());
          weights ??= initWeights(specs, 9);
          return Float64Array.from(weights.get(v.name)!);
        },
      },
    );
    expect(r.checked).toBeGreaterThan(25);
    expect(r.maxRelErr, r.worst).toBeLessThan(1e-5);
  }, 120_000);
});
