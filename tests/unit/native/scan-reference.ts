/**
 * Float64 reference of the selective-scan op contract (forward and backward), written
 * straight from the recurrence so the native kernels have an independent check. It keeps
 * every state h_t, so use it on test-sized inputs only.
 */
export interface ScanProblem {
  batch: number;
  dim: number;
  length: number;
  dstate: number;
  deltaSoftplus: boolean;
  u: Float32Array;
  delta: Float32Array;
  A: Float32Array;
  Bm: Float32Array;
  Cm: Float32Array;
  Dskip: Float32Array;
  deltaBias: Float32Array;
}

export interface ScanGradients64 {
  du: Float64Array;
  ddelta: Float64Array;
  dA: Float64Array;
  dBm: Float64Array;
  dCm: Float64Array;
  dDskip: Float64Array;
  ddeltaBias: Float64Array;
}

function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

export function referenceForward(p: ScanProblem): Float64Array {
  const { batch: B, dim: D, length: L, dstate: N } = p;
  const y = new Float64Array(B * D * L);
  const h = new Float64Array(N);
  for (let b = 0; b < B; b++) {
    for (let d = 0; d < D; d++) {
      h.fill(0);
      for (let t = 0; t < L; t++) {
        const i = (b * D + d) * L + t;
        const x = p.delta[i] + p.deltaBias[d];
        const dt = p.deltaSoftplus ? softplus(x) : x;
        let acc = 0;
        for (let n = 0; n < N; n++) {
          const bn = (b * N + n) * L + t;
          h[n] = Math.exp(dt * p.A[d * N + n]) * h[n] + dt * p.Bm[bn] * p.u[i];
          acc += p.Cm[bn] * h[n];
        }
        y[i] = acc + p.Dskip[d] * p.u[i];
      }
    }
  }
  return y;
}

export function referenceBackward(p: ScanProblem, dy: Float32Array | Float64Array): ScanGradients64 {
  const { batch: B, dim: D, length: L, dstate: N } = p;
  const g: ScanGradients64 = {
    du: new Float64Array(B * D * L),
    ddelta: new Float64Array(B * D * L),
    dA: new Float64Array(D * N),
    dBm: new Float64Array(B * N * L),
    dCm: new Float64Array(B * N * L),
    dDskip: new Float64Array(D),
    ddeltaBias: new Float64Array(D),
  };
  const hs = new Float64Array((L + 1) * N); // hs[t+1] = h_t, hs[0] = 0
  const dts = new Float64Array(L);
  const q = new Float64Array(N); // a_{t+1} * dL/dh_{t+1}
  for (let b = 0; b < B; b++) {
    for (let d = 0; d < D; d++) {
      hs.fill(0);
      for (let t = 0; t < L; t++) {
        const i = (b * D + d) * L + t;
        const x = p.delta[i] + p.deltaBias[d];
        const dt = p.deltaSoftplus ? softplus(x) : x;
        dts[t] = dt;
        for (let n = 0; n < N; n++) {
          const bn = (b * N + n) * L + t;
          hs[(t + 1) * N + n] = Math.exp(dt * p.A[d * N + n]) * hs[t * N + n] + dt * p.Bm[bn] * p.u[i];
        }
      }
      q.fill(0);
      for (let t = L - 1; t >= 0; t--) {
        const i = (b * D + d) * L + t;
        const dt = dts[t];
        const u = p.u[i];
        const dyt = dy[i];
        let ddt = 0;
        let gB = 0;
        for (let n = 0; n < N; n++) {
          const bn = (b * N + n) * L + t;
          const A = p.A[d * N + n];
          const a = Math.exp(dt * A);
          const hPrev = hs[t * N + n];
          const gh = dyt * p.Cm[bn] + q[n];
          g.dCm[bn] += dyt * hs[(t + 1) * N + n];
          g.dBm[bn] += gh * dt * u;
          g.dA[d * N + n] += gh * hPrev * a * dt;
          ddt += gh * (hPrev * a * A + p.Bm[bn] * u);
          gB += gh * p.Bm[bn];
          q[n] = a * gh;
        }
        g.du[i] = p.Dskip[d] * dyt + dt * gB;
        const x = p.delta[i] + p.deltaBias[d];
        g.ddelta[i] = p.deltaSoftplus ? ddt * sigmoid(x) : ddt;
        g.dDskip[d] += dyt * u;
        g.ddeltaBias[d] += g.ddelta[i];
      }
    }
  }
  return g;
}

/** Deterministic PRNG (mulberry32) and Gaussian samples for reproducible problems. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussians(n: number, next: () => number, scale = 1, shift = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
    out[i] = shift + scale * r;
  }
  return out;
}

/**
 * A problem with Mamba-like statistics: A = -(1..N) (A_log = log(1..N)), dt around
 * softplus(-3.5) ~ 0.03 with spread, B, C, u unit Gaussians, D = 1 +- noise.
 */
export function makeProblem(
  shape: { batch: number; dim: number; length: number; dstate: number },
  seed = 1,
  deltaSoftplus = true,
): ScanProblem {
  const { batch: B, dim: D, length: L, dstate: N } = shape;
  const next = rng(seed);
  const A = new Float32Array(D * N);
  for (let d = 0; d < D; d++) for (let n = 0; n < N; n++) A[d * N + n] = -(n + 1) * (0.5 + next());
  return {
    ...shape,
    deltaSoftplus,
    u: gaussians(B * D * L, next),
    delta: deltaSoftplus ? gaussians(B * D * L, next, 1.0) : gaussians(B * D * L, next, 0.02, 0.05),
    A,
    Bm: gaussians(B * N * L, next),
    Cm: gaussians(B * N * L, next),
    Dskip: gaussians(D, next, 0.1, 1),
    deltaBias: deltaSoftplus ? gaussians(D, next, 0.5, -3.5) : gaussians(D, next, 0.01),
  };
}
