/**
 * CPU selective-scan kernels vs the float64 reference of the op contract
 * (src/main/ml/scan/reference.ts), finite differences, and PyTorch autograd.
 *
 * Tolerance: every output array X must satisfy max|X - X_ref| <= 2e-5 * max(1, max|X_ref|).
 * (Measured worst cases are ~1e-6: float32 state, float64 sums of dA/dDskip/ddeltaBias.)
 */
import { describe, expect, it } from 'vitest';
import {
  parallelCopy,
  scanBackendInfo,
  scanExpFloor,
  selectiveScanBackward,
  selectiveScanBackwardAsync,
  selectiveScanForward,
  selectiveScanForwardAsync,
  type ScanSimd,
} from '../../../src/main/native/scan';
import { referencePython, runPython, skipNotice } from '../../helpers/python';
import { SCAN_TOLERANCE, expectMatchesReference } from './scan-expect';
import { GRADIENT_NAMES, dyFor, makeProblem, scaledError, type ScanProblem } from './scan-fixtures';

const TOL = SCAN_TOLERANCE;
const info = scanBackendInfo();
const simdLevels = info.cpu.simdAvailable as ScanSimd[];
if (!info.cpu.available) console.warn(`SKIPPED native scan tests: ${info.cpu.reason}`);
const cpu = { device: 'cpu' as const };



describe.skipIf(!info.cpu.available)('native selective scan (CPU)', () => {
  it('reports its CPU backend', () => {
    expect(info.cpu.threads).toBeGreaterThan(0);
    expect(simdLevels).toContain('scalar');
    expect(simdLevels).toContain(info.cpu.simd);
  });

  const shapes = [
    { batch: 2, dim: 5, length: 300, dstate: 16 }, // the SegMamba state size, several chunks
    { batch: 1, dim: 3, length: 1, dstate: 5 }, // length 1
    { batch: 2, dim: 4, length: 133, dstate: 37 }, // N not a multiple of any vector width
    { batch: 1, dim: 3, length: 70, dstate: 64 }, // many state vectors (generic code path)
    { batch: 3, dim: 1, length: 65, dstate: 1 }, // one channel, one state, chunk boundary + 1
  ];
  for (const shape of shapes) {
    for (const softplus of [true, false]) {
      it(`matches the float64 reference for ${JSON.stringify(shape)} softplus=${softplus} on every SIMD variant and 1-2 threads`, () => {
        const p = makeProblem(shape, 3, softplus);
        const dy = dyFor(p, 9);
        for (const simd of simdLevels) {
          for (const threads of [1, 2]) {
            const y = selectiveScanForward({ ...p, ...cpu, simd, threads });
            const g = selectiveScanBackward({ ...p, ...cpu, dy, simd, threads });
            expectMatchesReference(p, y, g, dy, `${simd}/${threads}`);
          }
        }
      });
    }
  }

  it('handles large D and a long sequence', () => {
    const wide = makeProblem({ batch: 1, dim: 1024, length: 9, dstate: 16 }, 4);
    const dyWide = dyFor(wide, 5);
    expectMatchesReference(wide, selectiveScanForward({ ...wide, ...cpu }), selectiveScanBackward({ ...wide, ...cpu, dy: dyWide }), dyWide, 'D=1024');
    const long = makeProblem({ batch: 1, dim: 2, length: 4000, dstate: 16 }, 6);
    const dyLong = dyFor(long, 7);
    expectMatchesReference(long, selectiveScanForward({ ...long, ...cpu }), selectiveScanBackward({ ...long, ...cpu, dy: dyLong }), dyLong, 'L=4000');
  });

  it('gives the same result on 1 and 2 threads, and sync and async agree bit for bit', async () => {
    const p = makeProblem({ batch: 2, dim: 7, length: 500, dstate: 16 }, 11);
    const dy = dyFor(p, 12);
    const y1 = selectiveScanForward({ ...p, ...cpu, threads: 1 });
    const y2 = selectiveScanForward({ ...p, ...cpu, threads: 2 });
    expect(y2).toEqual(y1); // channels are independent: identical whatever the split
    const g1 = selectiveScanBackward({ ...p, ...cpu, dy, threads: 1 });
    const g2 = selectiveScanBackward({ ...p, ...cpu, dy, threads: 2 });
    for (const name of GRADIENT_NAMES) {
      // dBm/dCm sum over channels in a different grouping: equal up to rounding.
      expect(scaledError(g2[name], g1[name]), name).toBeLessThan(1e-6);
    }
    expect(g2.du).toEqual(g1.du);
    expect(g2.dA).toEqual(g1.dA);
    expect(await selectiveScanForwardAsync({ ...p, ...cpu, threads: 2 })).toEqual(y2);
    const ga = await selectiveScanBackwardAsync({ ...p, ...cpu, dy, threads: 2 });
    for (const name of GRADIENT_NAMES) expect(ga[name], name).toEqual(g2[name]);
  });

  it('reads inputs that are views into larger buffers', () => {
    const p = makeProblem({ batch: 1, dim: 3, length: 37, dstate: 5 }, 15);
    const view = (a: Float32Array) => {
      const big = new Float32Array(a.length + 7);
      big.set(a, 3);
      return big.subarray(3, 3 + a.length);
    };
    const viewed = { ...p, u: view(p.u), delta: view(p.delta), A: view(p.A), Bm: view(p.Bm), Cm: view(p.Cm), Dskip: view(p.Dskip), deltaBias: view(p.deltaBias) };
    expect(selectiveScanForward({ ...viewed, ...cpu })).toEqual(selectiveScanForward({ ...p, ...cpu }));
  });

  it('agrees with central finite differences of its own forward', () => {
    const p = makeProblem({ batch: 1, dim: 2, length: 40, dstate: 3 }, 21);
    const w = dyFor(p, 22);
    const loss = (q: ScanProblem) => {
      const y = selectiveScanForward({ ...q, ...cpu, threads: 1, simd: 'scalar' });
      let s = 0;
      for (let i = 0; i < y.length; i++) s += w[i] * y[i];
      return s;
    };
    const g = selectiveScanBackward({ ...p, ...cpu, dy: w, threads: 1, simd: 'scalar' });
    const inputs = [
      ['u', 'du'],
      ['delta', 'ddelta'],
      ['A', 'dA'],
      ['Bm', 'dBm'],
      ['Cm', 'dCm'],
      ['Dskip', 'dDskip'],
      ['deltaBias', 'ddeltaBias'],
    ] as const;
    for (const [input, grad] of inputs) {
      const x = p[input];
      for (const i of [0, Math.floor(x.length / 2), x.length - 1]) {
        const eps = 1e-2 * Math.max(1, Math.abs(x[i]));
        const plus = { ...p, [input]: Float32Array.from(x) };
        const minus = { ...p, [input]: Float32Array.from(x) };
        plus[input][i] += eps;
        minus[input][i] -= eps;
        const h = plus[input][i] - minus[input][i]; // the float32 step actually taken
        const fd = (loss(plus) - loss(minus)) / h;
        expect(Math.abs(fd - g[grad][i]), `${grad}[${i}] fd=${fd} analytic=${g[grad][i]}`).toBeLessThan(
          5e-3 * Math.max(1, Math.abs(fd)),
        );
      }
    }
  });

  it('rejects malformed arguments with messages naming the field', () => {
    const p = makeProblem({ batch: 1, dim: 2, length: 5, dstate: 3 }, 1);
    expect(() => selectiveScanForward({ ...p, u: new Float32Array(9) })).toThrow(/'u' has 9 elements, expected batch\*dim\*length = 10/);
    expect(() => selectiveScanForward({ ...p, Bm: new Float64Array(15) as unknown as Float32Array })).toThrow(/'Bm' must be a Float32Array/);
    expect(() => selectiveScanForward({ ...p, dim: 2.5 })).toThrow(/'dim' must be a positive integer/);
    expect(() => selectiveScanForward({ ...p, threads: 0 })).toThrow(/'threads' must be an integer/);
    expect(() => selectiveScanBackward({ ...p, dy: new Float32Array(3) })).toThrow(/'dy' has 3 elements/);
    expect(() => selectiveScanForward({ ...p, ...cpu, simd: 'sse9' as ScanSimd })).toThrow(/'simd' must be one of/);
  });

  it('keeps the JS thread free while an async backward runs', async () => {
    const p = makeProblem({ batch: 1, dim: 256, length: 8192, dstate: 16 }, 31);
    const dy = dyFor(p, 32);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 2);
    const t0 = performance.now();
    await selectiveScanBackwardAsync({ ...p, ...cpu, dy });
    const elapsed = performance.now() - t0;
    clearInterval(timer);
    if (elapsed > 20) expect(ticks).toBeGreaterThan(0);
  });

  it('evaluates exp(delta * A) of every state element for the benchmark floor', () => {
    for (const shape of [{ batch: 2, dim: 3, length: 41, dstate: 16 }, { batch: 1, dim: 5, length: 7, dstate: 37 }]) {
      const p = makeProblem(shape, 9, false); // small positive dt: every exp in (0, 1]
      let want = 0;
      for (let b = 0; b < p.batch; b++)
        for (let d = 0; d < p.dim; d++)
          for (let t = 0; t < p.length; t++)
            for (let n = 0; n < p.dstate; n++) want += Math.exp(p.delta[(b * p.dim + d) * p.length + t] * p.A[d * p.dstate + n]);
      for (const simd of simdLevels) {
        const got = scanExpFloor({ ...p, ...cpu, simd, threads: 2 });
        expect(Math.abs(got - want) / want, simd).toBeLessThan(1e-5);
      }
    }
  });

  it('copies memory in parallel for bandwidth baselines', () => {
    const src = Float32Array.from({ length: 100_003 }, (_, i) => i * 0.5);
    const dst = new Float32Array(src.length);
    parallelCopy(dst, src, 2);
    expect(dst).toEqual(src);
  });

  const torchModules = ['torch'];
  const python = referencePython(torchModules);
  it.skipIf(!python)('matches PyTorch autograd on an independent implementation', () => {
    const p = makeProblem({ batch: 2, dim: 3, length: 50, dstate: 4 }, 41);
    const dy = dyFor(p, 42);
    const arrays = { u: p.u, delta: p.delta, A: p.A, Bm: p.Bm, Cm: p.Cm, Dskip: p.Dskip, deltaBias: p.deltaBias, dy };
    const payload = JSON.stringify({ shape: [p.batch, p.dim, p.length, p.dstate], ...Object.fromEntries(Object.entries(arrays).map(([k, v]) => [k, Array.from(v)])) });
    const script = `
import json, sys, torch
torch.set_default_dtype(torch.float64)
a = json.load(sys.stdin); B, D, L, N = a['shape']
t = {k: torch.tensor(a[k]) for k in ['u','delta','A','Bm','Cm','Dskip','deltaBias','dy']}
u = t['u'].reshape(B, D, L).requires_grad_(); delta = t['delta'].reshape(B, D, L).requires_grad_()
A = t['A'].reshape(D, N).requires_grad_(); Bm = t['Bm'].reshape(B, N, L).requires_grad_(); Cm = t['Cm'].reshape(B, N, L).requires_grad_()
Dk = t['Dskip'].requires_grad_(); bias = t['deltaBias'].requires_grad_()
dt = torch.nn.functional.softplus(delta + bias[None, :, None])
h = torch.zeros(B, D, N); ys = []
for s in range(L):
    h = torch.exp(dt[:, :, s, None] * A) * h + (dt[:, :, s] * u[:, :, s])[:, :, None] * Bm[:, None, :, s]
    ys.append((h * Cm[:, None, :, s]).sum(-1))
y = torch.stack(ys, -1) + Dk[None, :, None] * u
y.backward(t['dy'].reshape(B, D, L))
out = {'y': y, 'du': u.grad, 'ddelta': delta.grad, 'dA': A.grad, 'dBm': Bm.grad, 'dCm': Cm.grad, 'dDskip': Dk.grad, 'ddeltaBias': bias.grad}
print(json.dumps({k: v.detach().reshape(-1).tolist() for k, v in out.items()}))
`;
    const ref = JSON.parse(runPython(script, [], { input: payload }).stdout) as Record<string, number[]>;
    const y = selectiveScanForward({ ...p, ...cpu });
    const g = selectiveScanBackward({ ...p, ...cpu, dy });
    expect(scaledError(y, ref.y)).toBeLessThan(TOL);
    for (const name of GRADIENT_NAMES) expect(scaledError(g[name], ref[name]), name).toBeLessThan(TOL);
  });
  if (!python) skipNotice('selective scan vs PyTorch autograd', torchModules);
});
