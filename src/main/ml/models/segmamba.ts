/**
 * TokenUnify's SegMamba (ydchen0806/TokenUnify src/segmamba.py + its local mamba_ssm with
 * bimamba "v3"), rebuilt on the IR with the same parameter names and shapes so official
 * checkpoints load. Structure:
 *   vit (MambaEncoder): stem Conv3d k(1,7,7)/s2, then per stage [IN + Conv3d k(1,2,2)/s2],
 *     GSC block, `depth` x (LayerNorm -> Mamba, no residual), branch IN -> MLP(c->2c->c).
 *   UNETR (MONAI): encoder1..5 residual blocks, decoder5..2 ConvTranspose(k2,s2) + concat +
 *     residual block, decoder1 residual block, out 1x1x1 conv (+bias) -> sigmoid.
 */
import { AppError } from '../../errors';
import * as F from '../ir/functional';
import { Graph, type Value } from '../ir/graph';
import { type Init, Module, type ParamSpec, causalConv1d, conv3d, convTranspose3d, layerNorm, linear, linearWith } from '../nn/module';

export type PresetName = 'tiny' | 'base' | '100M' | '200M' | '500M' | '1B';
export const PRESET_NAMES: readonly PresetName[] = ['tiny', 'base', '100M', '200M', '500M', '1B'];

export interface SegMambaConfig {
  inChannels: number;
  outChannels: number;
  featureSize: readonly [number, number, number, number];
  hiddenSize: number;
  kernelSize: readonly [number, number, number];
  depths: readonly [number, number, number, number];
  dState: number;
  dConv: number;
  expand: number;
  nSlices: number;
  /** InstanceNorm and LayerNorm epsilon (PyTorch defaults). */
  eps: number;
}

const common = { inChannels: 1, outChannels: 3, depths: [2, 2, 2, 2] as const, dState: 16, dConv: 4, expand: 2, nSlices: 5, eps: 1e-5 };

export const PRESETS: Record<PresetName, SegMambaConfig> = {
  tiny: { ...common, featureSize: [16, 32, 64, 128], hiddenSize: 256, kernelSize: [1, 3, 3] },
  base: { ...common, featureSize: [32, 64, 128, 256], hiddenSize: 512, kernelSize: [1, 5, 5] },
  '100M': { ...common, featureSize: [64, 128, 256, 512], hiddenSize: 1024, kernelSize: [1, 5, 5] },
  '200M': { ...common, featureSize: [96, 192, 384, 768], hiddenSize: 1024, kernelSize: [1, 5, 5] },
  '500M': { ...common, featureSize: [144, 288, 576, 1104], hiddenSize: 2048, kernelSize: [1, 5, 5] },
  '1B': { ...common, featureSize: [192, 384, 768, 1536], hiddenSize: 3072, kernelSize: [1, 5, 5] },
};

export const DEFAULT_CROP: readonly [number, number, number] = [16, 160, 160];

export function isPreset(name: string): name is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(name);
}

export function presetConfig(name: string, overrides: Partial<SegMambaConfig> = {}): SegMambaConfig {
  if (!isPreset(name)) throw new AppError('BAD_REQUEST', `unknown model preset '${name}' (known: ${PRESET_NAMES.join(', ')})`);
  return { ...PRESETS[name], ...overrides };
}

/** Throws a clear error unless a [Z, Y, X] crop fits the network. */
export function validateCrop(cfg: SegMambaConfig, crop: readonly number[]): void {
  if (crop.length !== 3 || crop.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new AppError('BAD_REQUEST', `crop must be three positive integers [z, y, x], got [${crop}]`);
  }
  const bad = crop.map((d, i) => (d % 16 ? 'zyx'[i] : '')).filter(Boolean);
  if (bad.length) {
    throw new AppError('BAD_REQUEST', `crop ${crop.join('x')}: every axis must be divisible by 16 (four stride-2 stages and the decoder's 2x upsamplings); axis ${bad.join(', ')} is not`);
  }
  for (let s = 0; s < 4; s++) {
    const f = 2 ** (s + 1);
    const tokens = (crop[0] / f) * (crop[1] / f) * (crop[2] / f);
    if (tokens % cfg.nSlices) {
      throw new AppError('BAD_REQUEST', `crop ${crop.join('x')}: stage ${s} has ${tokens} tokens, not divisible by nslices=${cfg.nSlices} (Mamba's slice direction)`);
    }
  }
}

// ---- Mamba (bimamba v3) ----

const DIRECTIONS = [
  { suffix: '', aLog: 'A_log', d: 'D' },
  { suffix: '_b', aLog: 'A_b_log', d: 'D_b' },
  { suffix: '_s', aLog: 'A_s_log', d: 'D_s' },
] as const;

function dtBiasInit(dtMin = 0.001, dtMax = 0.1, floor = 1e-4): Init {
  return {
    kind: 'fn',
    fill: (rng, out) => {
      for (let i = 0; i < out.length; i++) {
        const dt = Math.max(floor, Math.exp(rng.uniform() * (Math.log(dtMax) - Math.log(dtMin)) + Math.log(dtMin)));
        out[i] = dt + Math.log(-Math.expm1(-dt)); // inverse softplus
      }
    },
  };
}

const aLogInit = (n: number): Init => ({
  kind: 'fn',
  fill: (_rng, out) => {
    for (let i = 0; i < out.length; i++) out[i] = Math.log((i % n) + 1);
  },
});

/** Token order permutations along L for the three directions, applied to [B, L, D]. */
function permuteTokens(x: Value, dir: number, nSlices: number): Value {
  const [B, L, D] = x.shape;
  if (dir === 1) return F.flip(x, 1);
  if (dir === 2) return F.reshape(F.transpose(F.reshape(x, [B, nSlices, L / nSlices, D]), [0, 2, 1, 3]), [B, L, D]);
  return x;
}

function unpermuteTokens(x: Value, dir: number, nSlices: number): Value {
  const [B, L, D] = x.shape;
  if (dir === 1) return F.flip(x, 1);
  if (dir === 2) return F.reshape(F.transpose(F.reshape(x, [B, L / nSlices, nSlices, D]), [0, 2, 1, 3]), [B, L, D]);
  return x;
}

/** Mamba block on token-major input [B, L, C]; returns [B, L, C]. */
function mamba(m: Module, x: Value, c: number, cfg: SegMambaConfig): Value {
  const D = cfg.expand * c;
  const N = cfg.dState;
  const R = Math.ceil(c / 16);
  const xz = linear(m.child('in_proj'), x, c, 2 * D, false);
  const xIn = F.slice(xz, 2, 0, D);
  const z = F.slice(xz, 2, D, 2 * D);
  let sum: Value | null = null;
  DIRECTIONS.forEach((dir, k) => {
    const xDir = F.transpose(permuteTokens(xIn, k, cfg.nSlices), [0, 2, 1]); // [B, D, L]
    const u = F.silu(causalConv1d(m, xDir, D, cfg.dConv, dir.suffix));
    const xDbl = linear(m.child(`x_proj${dir.suffix}`), F.transpose(u, [0, 2, 1]), D, R + 2 * N, false); // [B, L, R+2N]
    const dtW = m.param(`dt_proj${dir.suffix}.weight`, [D, R], { kind: 'uniform', bound: R ** -0.5 });
    const dtB = m.param(`dt_proj${dir.suffix}.bias`, [D], dtBiasInit(), false);
    const delta = F.transpose(linearWith(F.slice(xDbl, 2, 0, R), dtW, null), [0, 2, 1]);
    const Bm = F.transpose(F.slice(xDbl, 2, R, R + N), [0, 2, 1]);
    const Cm = F.transpose(F.slice(xDbl, 2, R + N, R + 2 * N), [0, 2, 1]);
    const A = F.neg(F.exp(m.param(dir.aLog, [D, N], aLogInit(N), false)));
    const Dskip = m.param(dir.d, [D], { kind: 'const', value: 1 }, false);
    const y = F.selectiveScan(u, delta, A, Bm, Cm, Dskip, dtB, true);
    const yTok = unpermuteTokens(F.transpose(y, [0, 2, 1]), k, cfg.nSlices);
    sum = sum ? F.add(sum, yTok) : yTok;
  });
  const gated = F.mul(sum!, F.silu(z));
  return linear(m.child('out_proj'), gated, D, c, false);
}

function mambaLayer(m: Module, x: Value, c: number, cfg: SegMambaConfig): Value {
  const [B, , ...sp] = x.shape;
  const L = sp.reduce((a, b) => a * b, 1);
  const tokens = F.transpose(F.reshape(x, [B, c, L]), [0, 2, 1]);
  const y = mamba(m.child('mamba'), layerNorm(m.child('norm'), tokens, c, cfg.eps), c, cfg);
  return F.reshape(F.transpose(y, [0, 2, 1]), [B, c, ...sp]);
}

function gsc(m: Module, x: Value, c: number, cfg: SegMambaConfig): Value {
  const block = (name: string, inp: Value, k: number) =>
    F.relu(F.instanceNorm(conv3d(m.child(name), inp, { cin: c, cout: c, kernel: [k, k, k], pad: k === 3 ? [1, 1, 1] : [0, 0, 0], bias: true }), cfg.eps));
  const x1 = block('proj2', block('proj', x, 3), 3);
  const x2 = block('proj3', x, 1);
  return F.add(block('proj4', F.add(x1, x2), 1), x);
}

function mambaEncoder(m: Module, x: Value, cfg: SegMambaConfig): Value[] {
  const f = cfg.featureSize;
  const outs: Value[] = [];
  let h = x;
  for (let i = 0; i < 4; i++) {
    const ds = m.child('downsample_layers').child(i);
    h =
      i === 0
        ? conv3d(ds.child(0), h, { cin: cfg.inChannels, cout: f[0], kernel: [1, 7, 7], stride: [2, 2, 2], pad: [0, 3, 3], bias: true })
        : conv3d(ds.child(1), F.instanceNorm(h, cfg.eps), { cin: f[i - 1], cout: f[i], kernel: [1, 2, 2], stride: [2, 2, 2], bias: true });
    h = gsc(m.child('gscs').child(i), h, f[i], cfg);
    for (let j = 0; j < cfg.depths[i]; j++) h = mambaLayer(m.child('stages').child(i).child(j), h, f[i], cfg);
    const mlp = m.child('mlps').child(i);
    const hidden = F.gelu(conv3d(mlp.child('fc1'), F.instanceNorm(h, cfg.eps), { cin: f[i], cout: 2 * f[i], kernel: [1, 1, 1], bias: true }));
    outs.push(conv3d(mlp.child('fc2'), hidden, { cin: 2 * f[i], cout: f[i], kernel: [1, 1, 1], bias: true }));
  }
  return outs;
}

// ---- UNETR blocks (MONAI UnetResBlock / UnetrUpBlock / UnetOutBlock) ----

function resBlock(m: Module, x: Value, cin: number, cout: number, cfg: SegMambaConfig): Value {
  const k = cfg.kernelSize;
  const pad = k.map((d) => (d - 1) / 2) as unknown as [number, number, number];
  const act = (v: Value) => F.leakyRelu(v, 0.01);
  // MONAI wraps each conv in a Convolution container: parameters live under convN.conv.
  const conv = (name: string) => m.child(name).child('conv');
  let out = act(F.instanceNorm(conv3d(conv('conv1'), x, { cin, cout, kernel: k, pad, bias: false }), cfg.eps));
  out = F.instanceNorm(conv3d(conv('conv2'), out, { cin: cout, cout, kernel: k, pad, bias: false }), cfg.eps);
  const residual = cin !== cout ? F.instanceNorm(conv3d(conv('conv3'), x, { cin, cout, kernel: [1, 1, 1], bias: false }), cfg.eps) : x;
  return act(F.add(out, residual));
}

function upBlock(m: Module, x: Value, skip: Value, cin: number, cout: number, cfg: SegMambaConfig): Value {
  const up = convTranspose3d(m.child('transp_conv').child('conv'), x, cin, cout, 2, 2, false);
  return resBlock(m.child('conv_block'), F.concat([up, skip], 1), 2 * cout, cout, cfg);
}

export interface SegMambaOutputs {
  /** decoder1 output [B, f0, Z, Y, X]: what heads read. */
  features: Value;
  /** out head before the sigmoid [B, outChannels, Z, Y, X]. */
  logits: Value;
  probs: Value;
}

/** Builds the network on `x` [B, inChannels, Z, Y, X], declaring parameters through `root`. */
export function segMamba(root: Module, x: Value, cfg: SegMambaConfig): SegMambaOutputs {
  const [, cin, ...crop] = x.shape;
  if (cin !== cfg.inChannels) throw new AppError('BAD_REQUEST', `input has ${cin} channels, the model expects ${cfg.inChannels}`);
  validateCrop(cfg, crop);
  const f = cfg.featureSize;
  const outs = mambaEncoder(root.child('vit'), x, cfg);
  const basic = (name: string, inp: Value, a: number, b: number) => resBlock(root.child(name).child('layer'), inp, a, b, cfg);
  const enc1 = basic('encoder1', x, cfg.inChannels, f[0]);
  const enc2 = basic('encoder2', outs[0], f[0], f[1]);
  const enc3 = basic('encoder3', outs[1], f[1], f[2]);
  const enc4 = basic('encoder4', outs[2], f[2], f[3]);
  const hidden = basic('encoder5', outs[3], f[3], cfg.hiddenSize);
  const dec3 = upBlock(root.child('decoder5'), hidden, enc4, cfg.hiddenSize, f[3], cfg);
  const dec2 = upBlock(root.child('decoder4'), dec3, enc3, f[3], f[2], cfg);
  const dec1 = upBlock(root.child('decoder3'), dec2, enc2, f[2], f[1], cfg);
  const dec0 = upBlock(root.child('decoder2'), dec1, enc1, f[1], f[0], cfg);
  const features = basic('decoder1', dec0, f[0], f[0]);
  const logits = conv3d(root.child('out').child('conv').child('conv'), features, { cin: f[0], cout: cfg.outChannels, kernel: [1, 1, 1], bias: true });
  return { features, logits, probs: F.sigmoid(logits) };
}

/** Parameter specs (names, shapes, decay flags, inits) without building anything large. */
export function segMambaParamSpecs(cfg: SegMambaConfig): ParamSpec[] {
  const g = new Graph();
  const specs: ParamSpec[] = [];
  segMamba(new Module(g, '', specs), g.input('x', [1, cfg.inChannels, 16, 16, 80]), cfg);
  return specs;
}

export function countParams(cfg: SegMambaConfig): number {
  return segMambaParamSpecs(cfg).reduce((a, s) => a + s.shape.reduce((p, q) => p * q, 1), 0);
}

/**
 * Multiply-accumulates of one forward pass on a crop (convolutions, matmuls and the scan's
 * state updates; elementwise ops not counted).
 */
export function countMacs(cfg: SegMambaConfig, crop: readonly number[] = DEFAULT_CROP, batch = 1): number {
  const g = new Graph();
  segMamba(new Module(g, '', []), g.input('x', [batch, cfg.inChannels, ...crop]), cfg);
  let macs = 0;
  for (const n of g.nodes) {
    const out = n.outputs[0];
    if (n.op === 'Conv') {
      const w = n.inputs[1];
      macs += out.size * (w.size / w.shape[0]);
    } else if (n.op === 'ConvTranspose') {
      const [xin, w] = n.inputs;
      macs += xin.size * (w.size / w.shape[0]);
    } else if (n.op === 'MatMul') {
      macs += out.size * n.inputs[0].shape[n.inputs[0].rank - 1];
    } else if (n.op === 'SelectiveScan') {
      const [u, , A] = n.inputs;
      macs += u.size * A.shape[1] * 3; // decay*h + dt*B*u + C.h per state
    }
  }
  return macs;
}
