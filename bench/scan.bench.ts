/**
 * Selective-scan benchmark (issue 6): fused native CPU kernels vs the ONNX LinearAttention
 * path of the ML engine vs a PyTorch loop on Debian's torch (same thread count), and bytes
 * moved per second vs a memory-copy bandwidth measured in the same run.
 *
 *   npx tsx bench/scan.bench.ts [--quick] [--threads N] [--no-torch] [--no-onnx] [--cuda]
 *
 * Shapes: B=1, L=4096, D=256, N=16, and stage 0 of SegMamba `base` on a 16x160x160 crop:
 * the stride-2 stem gives 8x80x80 = 51200 tokens of f0 = 32 channels, expand 2 gives
 * d_inner = 64, d_state 16 (B=1, D=64, L=51200, N=16; one direction of one Mamba layer).
 */
import { cpus } from 'node:os';
import * as F from '../src/main/ml/ir/functional';
import { gradients } from '../src/main/ml/ir/autodiff';
import { Graph, type Value } from '../src/main/ml/ir/graph';
import { Executor } from '../src/main/ml/runtime/executor';
import {
  parallelCopy,
  scanBackendInfo,
  scanExpFloor,
  selectiveScanBackward,
  selectiveScanForward,
  type ScanOptions,
} from '../src/main/native/scan';
import { referencePython, runPython } from '../tests/helpers/python';
import { makeProblem, type ScanProblem } from '../tests/unit/native/scan-fixtures';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const threads = Number(args[args.indexOf('--threads') + 1] || 0) || Math.min(2, cpus().length);
const withTorch = !args.includes('--no-torch');
const withOnnx = !args.includes('--no-onnx');
const withCuda = args.includes('--cuda');

const shapes = [
  { name: 'B1 L4096 D256 N16', shape: { batch: 1, dim: 256, length: 4096, dstate: 16 } },
  { name: 'base stage0 16x160x160 (B1 L51200 D64 N16)', shape: { batch: 1, dim: 64, length: quick ? 12800 : 51200, dstate: 16 } },
];

function timeBest(reps: number, fn: () => void): number {
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

async function timeBestAsync(reps: number, fn: () => Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/** Memory bandwidth (bytes read + written per second) of a 256 MiB copy, best of a few. */
function copyBandwidth(): { single: number; parallel: number } {
  const n = 64 * 1024 * 1024;
  const src = new Float32Array(n).fill(1.5);
  const dst = new Float32Array(n);
  const single = timeBest(4, () => dst.set(src));
  const parallel = timeBest(4, () => parallelCopy(dst, src, threads));
  const bytes = 2 * src.byteLength;
  return { single: bytes / (single / 1e3), parallel: bytes / (parallel / 1e3) };
}

/** Minimal bytes a fused kernel must move: inputs read once, outputs written once. */
function bytesMoved(p: ScanProblem, backward: boolean): number {
  const bdl = p.batch * p.dim * p.length;
  const bnl = p.batch * p.dstate * p.length;
  const forward = 4 * (3 * bdl + 2 * bnl);
  // backward call: reads u, delta, dy, B, C; writes du, ddelta, dB, dC
  return backward ? forward + 4 * (5 * bdl + 4 * bnl) : forward;
}

function scanGraph(p: ScanProblem, backward: boolean) {
  const g = new Graph();
  const { batch: B, dim: D, length: L, dstate: N } = p;
  const shapes: Record<string, number[]> = { u: [B, D, L], delta: [B, D, L], A: [D, N], Bm: [B, N, L], Cm: [B, N, L], Dskip: [D], deltaBias: [D] };
  const names = ['u', 'delta', 'A', 'Bm', 'Cm', 'Dskip', 'deltaBias'] as const;
  const ins = names.map((n) => g.input(n, shapes[n]));
  const y = F.selectiveScan(ins[0], ins[1], ins[2], ins[3], ins[4], ins[5], ins[6], p.deltaSoftplus);
  const outputs: Record<string, Value> = { y };
  const feeds: Record<string, Float32Array> = Object.fromEntries(names.map((n) => [n, p[n]]));
  if (backward) {
    const dy = g.input('dy', [B, D, L]);
    const grads = gradients(F.sumAll(F.mul(y, dy)), ins) as Value[];
    names.forEach((n, i) => (outputs[`d${n}`] = grads[i]));
    feeds.dy = p.u;
  }
  return { g, outputs, feeds };
}

async function onnxTimes(p: ScanProblem): Promise<{ fwd: number; fwdBwd: number } | string> {
  try {
    const result = { fwd: 0, fwdBwd: 0 };
    for (const backward of [false, true]) {
      const { g, outputs, feeds } = scanGraph(p, backward);
      const ex = await Executor.create(g, { outputs }, { threads, scan: 'onnx' });
      const t = await timeBestAsync(backward ? 1 : 2, () => ex.run(feeds));
      if (backward) result.fwdBwd = t;
      else result.fwd = t;
    }
    return result;
  } catch (e) {
    return `failed: ${(e as Error).message.split('\n')[0]}`;
  }
}

function torchTimes(p: ScanProblem): { fwd: number; fwdBwd: number } | string {
  const python = referencePython(['torch']);
  if (!python) return 'skipped: /usr/bin/python3 with torch not available';
  const script = `
import json, sys, time, torch
torch.set_num_threads(${threads}); torch.manual_seed(0)
B, D, L, N = ${p.batch}, ${p.dim}, ${p.length}, ${p.dstate}
u = torch.randn(B, D, L); delta = torch.randn(B, D, L); A = -torch.arange(1, N + 1.0).repeat(D, 1)
Bm = torch.randn(B, N, L); Cm = torch.randn(B, N, L); Dk = torch.ones(D); bias = torch.full((D,), -3.5)
# mamba_ssm's selective_scan_ref, with unbind instead of indexing inside the loop so that
# autograd's backward stays linear in L (indexing would add a full-size zero tensor per step).
def forward(u, delta, A, Bm, Cm, Dk, bias):
    dt = torch.nn.functional.softplus(delta + bias[None, :, None])
    dA = torch.exp(torch.einsum('bdl,dn->bdln', dt, A)).unbind(2)
    dBu = torch.einsum('bdl,bnl,bdl->bdln', dt, Bm, u).unbind(2)
    Cs = Cm.unbind(2)
    h = torch.zeros(B, D, N); ys = []
    for t in range(L):
        h = dA[t] * h + dBu[t]
        ys.append(torch.einsum('bdn,bn->bd', h, Cs[t]))
    return torch.stack(ys, -1) + Dk[None, :, None] * u
with torch.no_grad():
    t0 = time.perf_counter(); forward(u, delta, A, Bm, Cm, Dk, bias); fwd = time.perf_counter() - t0
xs = [x.clone().requires_grad_() for x in (u, delta, A, Bm, Cm, Dk, bias)]
t0 = time.perf_counter(); y = forward(*xs); y.backward(torch.randn_like(y)); fb = time.perf_counter() - t0
print(json.dumps({'fwd': fwd * 1e3, 'fwdBwd': fb * 1e3}))
`;
  try {
    return JSON.parse(runPython(script, [], { timeoutMs: 1_800_000 }).stdout) as { fwd: number; fwdBwd: number };
  } catch (e) {
    return `failed: ${(e as Error).message.split('\n')[0]}`;
  }
}

const fmtMs = (ms: number) => (ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(2)} ms`);
const fmtGBs = (bps: number) => `${(bps / 1e9).toFixed(1)} GB/s`;

async function main() {
  const info = scanBackendInfo();
  if (!info.cpu.available) {
    console.log(`native scan unavailable: ${info.cpu.reason}`);
    process.exit(1);
  }
  console.log(`machine: ${cpus()[0].model}, ${cpus().length} cores; native ${info.cpu.arch} simd=${info.cpu.simd}; threads=${threads}; node ${process.version}`);
  console.log(`cuda: ${info.cuda.available ? info.cuda.device : `unavailable (${info.cuda.reason})`}`);
  const bw = copyBandwidth();
  const bound = Math.max(bw.single, bw.parallel);
  console.log(`memory copy bandwidth (read+write): 1 thread ${fmtGBs(bw.single)}, ${threads} threads ${fmtGBs(bw.parallel)}; bound uses ${fmtGBs(bound)}`);
  const cpu: ScanOptions = { device: 'cpu', threads };
  for (const { name, shape } of shapes) {
    const p = makeProblem(shape, 1);
    const dy = p.u;
    const elements = p.batch * p.dim * p.length * p.dstate;
    console.log(`\n## ${name}`);
    const reps = quick ? 2 : 4;
    const fwd = timeBest(reps, () => selectiveScanForward({ ...p, ...cpu }));
    const bwdOnly = timeBest(Math.max(1, reps - 1), () => selectiveScanBackward({ ...p, ...cpu, dy }));
    const fwdBwd = fwd + bwdOnly;
    for (const [label, ms, backward] of [['forward', fwd, false], ['forward+backward', fwdBwd, true]] as const) {
      const bytes = bytesMoved(p, backward);
      const boundMs = (bytes / bound) * 1e3;
      console.log(
        `native CPU ${label}: ${fmtMs(ms)} (${((ms * 1e6) / elements).toFixed(2)} ns per state element); ` +
          `${(bytes / 1e6).toFixed(1)} MB moved = ${fmtGBs(bytes / (ms / 1e3))}; ${(ms / boundMs).toFixed(1)}x the bandwidth bound (${fmtMs(boundMs)})`,
      );
    }
    // The exps alone (one per state element, same vectorised exp and threads, nothing else
    // computed or stored): no exact forward can run faster than this on this CPU.
    const floor = timeBest(reps + 2, () => scanExpFloor({ ...p, ...cpu }));
    const fwdBoundMs = (bytesMoved(p, false) / bound) * 1e3;
    console.log(
      `compute floor (exp(dt*A) of every state element, nothing else): ${fmtMs(floor)} (${((floor * 1e6) / elements).toFixed(2)} ns per state element) = ` +
        `${(floor / fwdBoundMs).toFixed(1)}x the forward's bandwidth bound; the forward runs at ${(fwd / floor).toFixed(2)}x this floor`,
    );
    if (withCuda && info.cuda.available) {
      const gpu: ScanOptions = { device: 'cuda' };
      const gf = timeBest(reps, () => selectiveScanForward({ ...p, ...gpu }));
      const gb = timeBest(reps, () => selectiveScanBackward({ ...p, ...gpu, dy }));
      console.log(`native CUDA (incl. transfers): forward ${fmtMs(gf)} (${(fwd / gf).toFixed(1)}x CPU), forward+backward ${fmtMs(gf + gb)} (${(fwdBwd / (gf + gb)).toFixed(1)}x CPU)`);
    }
    if (withOnnx) {
      const onnx = await onnxTimes(p);
      if (typeof onnx === 'string') console.log(`ONNX LinearAttention path: ${onnx}`);
      else {
        console.log(
          `ONNX LinearAttention path: forward ${fmtMs(onnx.fwd)} (native ${(onnx.fwd / fwd).toFixed(1)}x faster), ` +
            `forward+backward ${fmtMs(onnx.fwdBwd)} (native ${(onnx.fwdBwd / fwdBwd).toFixed(1)}x faster)`,
        );
      }
    }
    if (withTorch) {
      const torch = torchTimes(p);
      if (typeof torch === 'string') console.log(`PyTorch loop: ${torch}`);
      else {
        console.log(
          `PyTorch loop (torch ${threads} threads): forward ${fmtMs(torch.fwd)} (native ${(torch.fwd / fwd).toFixed(1)}x faster), ` +
            `forward+backward ${fmtMs(torch.fwdBwd)} (native ${(torch.fwdBwd / fwdBwd).toFixed(1)}x faster)`,
        );
      }
    }
  }
}

await main();
