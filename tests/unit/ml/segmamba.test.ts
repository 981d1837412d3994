import { describe, expect, it } from 'vitest';
import { modelInfo } from '../../../src/main/ml/cli-commands';
import { createModel } from '../../../src/main/ml/model';
import { PRESET_NAMES, countParams, presetConfig, validateCrop } from '../../../src/main/ml/models/segmamba';

describe('SegMamba presets', () => {
  // Counts of the published architectures (official SegMamba code: base comment "28.30M",
  // 1B comment "1008.91M"); derived independently in tests/reference/segmamba_ref.py too.
  const expected: Record<string, number> = {
    tiny: 4_009_315,
    base: 28_296_131,
    '100M': 112_534_403,
    '200M': 206_577_475,
    '500M': 506_567_395,
    '1B': 1_008_908_931,
  };
  for (const p of PRESET_NAMES) {
    it(`${p} has ${expected[p]} parameters`, () => {
      expect(countParams(presetConfig(p))).toBe(expected[p]);
    });
  }

  it('model info reports base as 28.30M with its MACs per 16x160x160 crop', () => {
    const info = modelInfo({ preset: 'base' });
    expect(info.paramsHuman).toBe('28.30M');
    expect(info.crop).toEqual([16, 160, 160]);
    expect(info.tokensPerStage).toEqual([51200, 6400, 800, 100]);
    expect(info.gmacsPerCrop).toBeGreaterThan(100);
  });

  it('uses the official parameter names and layouts', () => {
    const m = createModel('base');
    const byName = new Map(m.specs.map((s) => [s.name, s]));
    const want: [string, number[]][] = [
      ['vit.downsample_layers.0.0.weight', [32, 1, 1, 7, 7]],
      ['vit.downsample_layers.1.1.weight', [64, 32, 1, 2, 2]],
      ['vit.stages.0.1.mamba.in_proj.weight', [128, 32]],
      ['vit.stages.0.0.mamba.conv1d_b.weight', [64, 1, 4]],
      ['vit.stages.3.1.mamba.x_proj_b.weight', [16 + 32, 512]],
      ['vit.stages.2.0.mamba.dt_proj_s.weight', [256, 8]],
      ['vit.stages.1.0.mamba.A_s_log', [128, 16]],
      ['vit.stages.1.0.mamba.D_b', [128]],
      ['vit.gscs.2.proj4.bias', [128]],
      ['vit.mlps.3.fc1.weight', [512, 256, 1, 1, 1]],
      ['encoder1.layer.conv1.conv.weight', [32, 1, 1, 5, 5]],
      ['encoder1.layer.conv3.conv.weight', [32, 1, 1, 1, 1]],
      ['encoder5.layer.conv2.conv.weight', [512, 512, 1, 5, 5]],
      ['decoder5.transp_conv.conv.weight', [512, 256, 2, 2, 2]],
      ['decoder2.conv_block.conv1.conv.weight', [32, 64, 1, 5, 5]],
      ['out.conv.conv.weight', [3, 32, 1, 1, 1]],
      ['out.conv.conv.bias', [3]],
    ];
    for (const [name, shape] of want) expect(byName.get(name)?.shape, name).toEqual(shape);
    expect(byName.has('decoder1.layer.conv3.conv.weight')).toBe(false);
    // no weight decay on biases, norms, A_log and D
    expect(byName.get('vit.stages.0.0.norm.weight')!.decay).toBe(false);
    expect(byName.get('vit.stages.0.0.mamba.A_log')!.decay).toBe(false);
    expect(byName.get('vit.stages.0.0.mamba.D_s')!.decay).toBe(false);
    expect(byName.get('vit.stages.0.0.mamba.dt_proj.bias')!.decay).toBe(false);
    expect(byName.get('out.conv.conv.bias')!.decay).toBe(false);
    expect(byName.get('vit.stages.0.0.mamba.in_proj.weight')!.decay).toBe(true);
  });

  it('initialises like PyTorch/Mamba (A_log = log(1..16), D = 1, dt bias in softplus^-1 of [1e-3, 0.1])', () => {
    const m = createModel('tiny');
    const w = m.initWeights(1);
    const aLog = w.get('vit.stages.0.0.mamba.A_log')!;
    expect(Array.from(aLog.slice(0, 16), (v) => Math.round(Math.exp(v)))).toEqual([...Array(16)].map((_, i) => i + 1));
    expect(w.get('vit.stages.0.0.mamba.D')!.every((v) => v === 1)).toBe(true);
    const dt = Array.from(w.get('vit.stages.0.0.mamba.dt_proj.bias')!, (b) => Math.log1p(Math.exp(b)));
    expect(Math.min(...dt)).toBeGreaterThanOrEqual(0.001 - 1e-6);
    expect(Math.max(...dt)).toBeLessThanOrEqual(0.1 + 1e-6);
    const stem = w.get('vit.downsample_layers.0.0.weight')!;
    expect(Math.max(...Array.from(stem, Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(49));
    // deterministic per seed
    expect(m.initWeights(1).get('encoder2.layer.conv1.conv.weight')).toEqual(w.get('encoder2.layer.conv1.conv.weight'));
    expect(m.initWeights(2).get('encoder2.layer.conv1.conv.weight')).not.toEqual(w.get('encoder2.layer.conv1.conv.weight'));
  });

  it('rejects crops that do not fit, naming the axis or stage', () => {
    const cfg = presetConfig('tiny');
    expect(() => validateCrop(cfg, [16, 160, 160])).not.toThrow();
    expect(() => validateCrop(cfg, [16, 150, 160])).toThrow(/divisible by 16.*axis y/);
    expect(() => validateCrop(cfg, [16, 16, 16])).toThrow(/stage 0 has 512 tokens, not divisible by nslices=5/);
    expect(() => createModel('tiny').build([1, 1, 8, 160, 160])).toThrow(/axis z/);
    expect(() => createModel('tiny').build([1, 2, 16, 160, 160])).toThrow(/2 channels/);
    expect(() => createModel('huge')).toThrow(/unknown model preset 'huge'/);
  });
});
