import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, matchWeights, saveCheckpoint } from '../../../src/main/ml/checkpoint/index';
import { PyCall, PyGlobal, unpickle } from '../../../src/main/ml/checkpoint/pickle';
import { readPth } from '../../../src/main/ml/checkpoint/pth';
import { readSafetensors, writeSafetensors } from '../../../src/main/ml/checkpoint/safetensors';
import { modelImport } from '../../../src/main/ml/cli-commands';
import { createModel } from '../../../src/main/ml/model';
import { loadWeightsFor } from '../../../src/main/ml/weights';
import { referencePython, skipNotice } from '../../helpers/python';

const dir = mkdtempSync(join(tmpdir(), 'tu-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('safetensors checkpoints', () => {
  it('round-trip weights, metadata and optimizer state', () => {
    const weights = new Map([
      ['a.weight', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, -6.5]) }],
      ['b', { shape: [1], data: Float32Array.of(Math.PI) }],
    ]);
    const path = join(dir, 'c.safetensors');
    const meta = {
      format: 'tokenunify-checkpoint' as const,
      version: 1,
      preset: 'tiny',
      config: createModel('tiny').config,
      normalization: { kind: 'minmax' as const, offset: 10, scale: 245 },
      training: { step: 42, optimizer: { lr: 1e-3, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, clipNorm: 1 } },
    };
    saveCheckpoint(path, {
      meta,
      weights,
      optimizer: { exp_avg: new Map([['a.weight', new Float32Array(6).fill(0.5)]]), exp_avg_sq: new Map([['a.weight', new Float32Array(6).fill(0.25)]]) },
    });
    const back = loadCheckpoint(path);
    expect(back.meta).toEqual(meta);
    expect(back.weights.get('a.weight')).toEqual(weights.get('a.weight'));
    expect(back.weights.get('b')!.data[0]).toBeCloseTo(Math.PI, 6);
    expect(back.weights.size).toBe(2);
    expect(back.optimizer!.exp_avg.get('a.weight')).toEqual(new Float32Array(6).fill(0.5));
    expect(back.optimizer!.exp_avg_sq.get('a.weight')).toEqual(new Float32Array(6).fill(0.25));
    expect(loadCheckpoint(path, { optimizer: false }).optimizer).toBeUndefined();
    // a plain safetensors file is readable but is not an engine checkpoint
    writeSafetensors(join(dir, 'plain.safetensors'), weights);
    expect(readSafetensors(join(dir, 'plain.safetensors')).tensors.get('a.weight')!.shape).toEqual([2, 3]);
    expect(() => loadCheckpoint(join(dir, 'plain.safetensors'))).toThrow(/without TokenUnify metadata/);
  });

  it('partial loading drops mismatched heads and reports missing / unexpected keys', () => {
    const model = createModel('tiny'); // 3 output channels
    const other = createModel('tiny', { outChannels: 1 });
    const w = other.initWeights(4);
    const tensors = new Map([...other.specs].map((s) => [`module.${s.name}`, { shape: s.shape, data: w.get(s.name)! }]));
    tensors.set('module.pretrain_head.weight', { shape: [2], data: new Float32Array(2) });
    tensors.delete('module.vit.stages.0.0.mamba.D');
    const { weights, report } = matchWeights(tensors, model.specs);
    expect(report.mismatched).toEqual([
      { name: 'out.conv.conv.weight', expected: [3, 16, 1, 1, 1], found: [1, 16, 1, 1, 1] },
      { name: 'out.conv.conv.bias', expected: [3], found: [1] },
    ]);
    expect(report.missing.sort()).toEqual(['out.conv.conv.bias', 'out.conv.conv.weight', 'vit.stages.0.0.mamba.D']);
    expect(report.unexpected).toEqual(['pretrain_head.weight']);
    expect(weights.get('encoder1.layer.conv1.conv.weight')).toBe(w.get('encoder1.layer.conv1.conv.weight'));
    expect(report.loaded.length).toBe(model.specs.length - 3);
  });
});

describe('restricted unpickler', () => {
  it('never executes globals: os.system stays an inert record', () => {
    const marker = join(dir, 'pwned');
    const cmd = Buffer.from(`touch ${marker}`);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(cmd.length);
    const bytes = Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from('cos\nsystem\n', 'latin1'), Buffer.from('X'), len, cmd, Buffer.from([0x85]), Buffer.from('R.')]);
    const r = unpickle(bytes) as PyCall;
    expect(r).toBeInstanceOf(PyCall);
    expect((r.callable as PyGlobal).qualified).toBe('os.system');
    expect(r.args).toEqual([`touch ${marker}`]);
    expect(existsSync(marker)).toBe(false);
  });

  it('rejects unknown opcodes and truncated data with a clear error', () => {
    expect(() => unpickle(Uint8Array.from([0x80, 0x02, 0xff]), 'x.pkl')).toThrow(/x.pkl: unsupported pickle opcode 0xff/);
    expect(() => unpickle(Uint8Array.from([0x80, 0x02, 0x58, 0x10, 0, 0, 0, 0x41]), 'y.pkl')).toThrow(/y.pkl: truncated/);
  });
});

const py = referencePython(['torch']);
describe.skipIf(!py)('PyTorch .pth files (written by Debian torch)', () => {
  it('reads float16 / float64 / non-contiguous tensors, OrderedDict state dicts and extra keys', () => {
    const path = join(dir, 'mixed.pth');
    const code = `
import torch, collections
sd = collections.OrderedDict()
sd['module.a'] = torch.arange(6, dtype=torch.float32).reshape(2, 3)
sd['module.b'] = torch.arange(6, dtype=torch.float32).reshape(2, 3).t()
sd['module.c'] = torch.tensor([0.5, -2.0, 65504.0], dtype=torch.float16)
sd['module.d'] = torch.tensor([1.0/3], dtype=torch.float64)
sd['module.n'] = torch.tensor(7)
big = torch.arange(10, dtype=torch.float32)
sd['module.e'] = big[2:5]
torch.save({'state_dict': sd, 'epoch': 12, 'best': 0.5, 'args': {'lr': 1e-4}}, '${path}')
`;
    const r = spawnSync(py!, ['-c', code], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const pth = readPth(path);
    expect(pth.stateDictKey).toBe('state_dict');
    expect(pth.otherKeys.sort()).toEqual(['args', 'best', 'epoch']);
    expect(Array.from(pth.tensors.get('module.a')!.data)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(pth.tensors.get('module.b')!.shape).toEqual([3, 2]);
    expect(Array.from(pth.tensors.get('module.b')!.data)).toEqual([0, 3, 1, 4, 2, 5]);
    expect(Array.from(pth.tensors.get('module.c')!.data)).toEqual([0.5, -2, 65504]);
    expect(pth.tensors.get('module.d')!.data[0]).toBeCloseTo(1 / 3, 7);
    expect(Array.from(pth.tensors.get('module.e')!.data)).toEqual([2, 3, 4]);
    expect(pth.tensors.get('module.n')!.data[0]).toBe(7);
  });

  it('model import converts a TokenUnify-style .pth, inferring the preset, and loadWeightsFor reads both formats', () => {
    const model = createModel('tiny', { outChannels: 2 });
    const w = model.initWeights(8);
    const st = join(dir, 'src.safetensors');
    writeSafetensors(st, new Map(model.specs.map((s) => [s.name, { shape: s.shape, data: w.get(s.name)! }])));
    const pth = join(dir, 'official.pth');
    const code = `
import torch, json, numpy as np
with open('${st}', 'rb') as fh:
    n = int.from_bytes(fh.read(8), 'little'); h = json.loads(fh.read(n)); blob = fh.read()
sd = {('module.' + k): torch.from_numpy(np.frombuffer(blob[v['data_offsets'][0]:v['data_offsets'][1]], dtype='<f4').reshape(v['shape']).copy()) for k, v in h.items()}
torch.save({'model': sd, 'epoch': 1}, '${pth}')
`;
    const r = spawnSync(py!, ['-c', code], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const out = join(dir, 'imported.safetensors');
    const summary = modelImport({ file: pth, out });
    expect(summary.preset).toBe('tiny');
    expect(summary.config.outChannels).toBe(2);
    expect(summary.loaded).toBe(model.specs.length);
    expect(summary.report.missing).toEqual([]);
    expect(summary.report.unexpected).toEqual([]);
    const ck = loadCheckpoint(out);
    expect(ck.meta.preset).toBe('tiny');
    expect(ck.weights.get('vit.stages.1.1.mamba.x_proj_s.weight')!.data).toEqual(w.get('vit.stages.1.1.mamba.x_proj_s.weight'));
    for (const file of [pth, out]) {
      const loaded = loadWeightsFor(file, model);
      expect(loaded.report.missing).toEqual([]);
      expect(loaded.weights.get('out.conv.conv.bias')).toEqual(w.get('out.conv.conv.bias'));
    }
  });
});
if (!py) it('PyTorch .pth files', () => void skipNotice('.pth reading against Debian torch', ['torch']));
