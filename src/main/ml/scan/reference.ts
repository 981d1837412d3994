/**
 * Float64 reference of the Mamba-1 selective scan at the engine/native boundary
 * (layout of mamba_ssm's selective_scan_fn without variable groups, row-major):
 *   u, delta [B, D, L]; A [D, N] (already negative); Bm, Cm [B, N, L]; Dskip, deltaBias [D].
 *   dt = softplus(delta + deltaBias) (when deltaSoftplus, else delta + deltaBias)
 *   h_t = exp(dt_t * A) * h_{t-1} + dt_t * Bm_t * u_t (h_{-1} = 0);  y_t = Cm_t . h_t + Dskip * u_t
 * z-gating is not part of the op. The backward returns gradients w.r.t. every input, with
 * ddelta taken w.r.t. the raw delta.
 */

export interface ScanDims {
  batch: number;
  dim: number;
  length: number;
  dstate: number;
}

export interface ScanArgs extends ScanDims {
  u: ArrayLike<number>;
  delta: ArrayLike<number>;
  A: ArrayLike<number>;
  Bm: ArrayLike<number>;
  Cm: ArrayLike<number>;
  Dskip: ArrayLike<number>;
  deltaBias: ArrayLike<number>;
  deltaSoftplus: boolean;
}

export interface ScanGrads<T = Float64Array> {
  du: T;
  ddelta: T;
  dA: T;
  dBm: T;
  dCm: T;
  dDskip: T;
  ddeltaBias: T;
}

const softplus = (x: number) => (x > 20 ? x : Math.log1p(Math.exp(x)));
const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

export function checkScanArgs(a: ScanArgs & { dy?: ArrayLike<number> }): void {
  const { batch: B, dim: D, length: L, dstate: N } = a;
  const want: [string, ArrayLike<number> | undefined, number][] = [
    ['u', a.u, B * D * L],
    ['delta', a.delta, B * D * L],
    ['A', a.A, D * N],
    ['Bm', a.Bm, B * N * L],
    ['Cm', a.Cm, B * N * L],
    ['Dskip', a.Dskip, D],
    ['deltaBias', a.deltaBias, D],
  ];
  if (a.dy !== undefined) want.push(['dy', a.dy, B * D * L]);
  for (const [name, arr, n] of want) {
    if (!arr || arr.length !== n) throw new Error(`selective scan: '${name}' has ${arr?.length ?? 0} values, expected ${n} for B=${B} D=${D} L=${L} N=${N}`);
  }
}

function dtRow(a: ScanArgs, b: number, d: number, out: Float64Array): void {
  const { dim: D, length: L } = a;
  const base = (b * D + d) * L;
  const bias = a.deltaBias[d];
  for (let t = 0; t < L; t++) {
    const raw = a.delta[base + t] + bias;
    out[t] = a.deltaSoftplus ? softplus(raw) : raw;
  }
}

export function selectiveScanForwardRef(a: ScanArgs): Float64Array {
  checkScanArgs(a);
  const { batch: B, dim: D, length: L, dstate: N } = a;
  const y = new Float64Array(B * D * L);
  const dt = new Float64Array(L);
  const h = new Float64Array(N);
  for (let b = 0; b < B; b++) {
    for (let d = 0; d < D; d++) {
      dtRow(a, b, d, dt);
      h.fill(0);
      const base = (b * D + d) * L;
      for (let t = 0; t < L; t++) {
        const ut = a.u[base + t];
        let acc = 0;
        for (let n = 0; n < N; n++) {
          const bn = (b * N + n) * L + t;
          h[n] = Math.exp(dt[t] * a.A[d * N + n]) * h[n] + dt[t] * a.Bm[bn] * ut;
          acc += a.Cm[bn] * h[n];
        }
        y[base + t] = acc + a.Dskip[d] * ut;
      }
    }
  }
  return y;
}

export function selectiveScanBackwardRef(a: ScanArgs & { dy: ArrayLike<number> }): ScanGrads {
  checkScanArgs(a);
  const { batch: B, dim: D, length: L, dstate: N } = a;
  const g: ScanGrads = {
    du: new Float64Array(B * D * L),
    ddelta: new Float64Array(B * D * L),
    dA: new Float64Array(D * N),
    dBm: new Float64Array(B * N * L),
    dCm: new Float64Array(B * N * L),
    dDskip: new Float64Array(D),
    ddeltaBias: new Float64Array(D),
  };
  const dt = new Float64Array(L);
  const hs = new Float64Array(L * N); // states of one (b, d) row
  const grad = new Float64Array(N);
  const aNext = new Float64Array(N);
  for (let b = 0; b < B; b++) {
    for (let d = 0; d < D; d++) {
      dtRow(a, b, d, dt);
      const base = (b * D + d) * L;
      for (let t = 0; t < L; t++) {
        for (let n = 0; n < N; n++) {
          const prev = t > 0 ? hs[(t - 1) * N + n] : 0;
          hs[t * N + n] = Math.exp(dt[t] * a.A[d * N + n]) * prev + dt[t] * a.Bm[(b * N + n) * L + t] * a.u[base + t];
        }
      }
      grad.fill(0);
      aNext.fill(0);
      for (let t = L - 1; t >= 0; t--) {
        const ut = a.u[base + t];
        const dyt = a.dy[base + t];
        let ddt = 0;
        let du = a.Dskip[d] * dyt;
        for (let n = 0; n < N; n++) {
          const bn = (b * N + n) * L + t;
          grad[n] = grad[n] * aNext[n] + a.Cm[bn] * dyt;
          const at = Math.exp(dt[t] * a.A[d * N + n]);
          const prev = t > 0 ? hs[(t - 1) * N + n] : 0;
          const p = grad[n] * at * prev;
          g.dCm[bn] += dyt * hs[t * N + n];
          g.dBm[bn] += grad[n] * dt[t] * ut;
          g.dA[d * N + n] += p * dt[t];
          ddt += grad[n] * a.Bm[bn] * ut + p * a.A[d * N + n];
          du += grad[n] * dt[t] * a.Bm[bn];
          aNext[n] = at;
        }
        const raw = a.delta[base + t] + a.deltaBias[d];
        const dd = a.deltaSoftplus ? ddt * sigmoid(raw) : ddt;
        g.du[base + t] = du;
        g.ddelta[base + t] = dd;
        g.ddeltaBias[d] += dd;
        g.dDskip[d] += dyt * ut;
      }
    }
  }
  return g;
}
