/**
 * The selective scan in stock ONNX + com.microsoft LinearAttention ('gated', per-key decay).
 *
 * Forward: one LinearAttention with kv heads = D channels, d_k = N states, d_v = 1, and the
 * query (Cm) and key (Bm) shared by all heads: S_t = exp(dt_t A) S_{t-1} + Bm_t (x) (dt_t u_t),
 * o_t = Cm_t . S_t. Only the decay dt_t*A[d,n] is materialised at [B, L, D*N].
 *
 * Backward: the states h and the adjoint states g (reverse-time recurrence
 * g_t = exp(dt_{t+1} A) g_{t+1} + Cm_t dy_t) are both materialised at [B, D, L, N] by two
 * LinearAttentions with batch = B*D rows, N heads and d_k = d_v = 1 (g runs on the flipped
 * sequence with the decay shifted by one step); every gradient is then elementwise + reductions:
 *   du = dt sum_n g Bm + Dskip dy,  d(dt) = u sum_n g Bm + sum_n A g (h - dt u Bm),
 *   dA = sum_{b,t} dt g (h - dt u Bm),  dBm = sum_d g dt u,  dCm = sum_d h dy.
 */
import * as F from '../ir/functional';
import type { Value } from '../ir/graph';

function dtOf(delta: Value, deltaBias: Value, softplus: boolean): { raw: Value; dt: Value } {
  const raw = F.add(delta, F.unsqueeze(deltaBias, 1));
  return { raw, dt: softplus ? F.softplus(raw) : raw };
}

export function expandSelectiveScan(inputs: Value[], softplus: boolean): Value {
  const [u, delta, A, Bm, Cm, Dskip, deltaBias] = inputs;
  const [B, D, L] = u.shape;
  const N = A.shape[1];
  const { dt } = dtOf(delta, deltaBias, softplus);
  const tokenMajor = (x: Value) => F.transpose(x, [0, 2, 1]);
  const dtT = tokenMajor(dt);
  const v = F.mul(dtT, tokenMajor(u));
  const decay = F.reshape(F.mul(F.unsqueeze(dtT, 3), A), [B, L, D * N]);
  const o = F.linearAttention(tokenMajor(Cm), tokenMajor(Bm), v, decay, { qHeads: 1, kvHeads: D });
  return F.add(tokenMajor(o), F.mul(F.unsqueeze(Dskip, 1), u));
}

export function expandSelectiveScanGrad(inputs: Value[], softplus: boolean): Value[] {
  const [u, delta, A, Bm, Cm, Dskip, deltaBias, dy] = inputs;
  const g = u.graph;
  const [B, D, L] = u.shape;
  const N = A.shape[1];
  const rows = B * D;
  const { raw, dt } = dtOf(delta, deltaBias, softplus);
  const dtu = F.mul(dt, u);
  const decay = F.mul(F.unsqueeze(dt, 3), F.unsqueeze(A, 1)); // [B, D, L, N]
  const BmT = F.unsqueeze(F.transpose(Bm, [0, 2, 1]), 1); // [B, 1, L, N]
  const CmT = F.unsqueeze(F.transpose(Cm, [0, 2, 1]), 1);
  const ones = F.ones(g, [rows, L, 1]);
  const perRow = (x: Value, w: number) => F.reshape(x, [rows, L, w]);
  const la = (k: Value, v: Value, dec: Value) =>
    F.reshape(F.linearAttention(ones, k, v, dec, { qHeads: 1, kvHeads: N }), [B, D, L, N]);

  const h = la(perRow(dtu, 1), perRow(F.expand(BmT, [B, D, L, N]), N), perRow(decay, N));
  // Reversed time: step tau uses the decay of original step L - tau (none at tau = 0).
  const decayRev = F.pad(F.slice(F.flip(decay, 2), 2, 0, L - 1), [0, 0, 1, 0, 0, 0, 0, 0]);
  const gRev = la(
    F.flip(perRow(dy, 1), 1),
    perRow(F.expand(F.flip(CmT, 2), [B, D, L, N]), N),
    perRow(decayRev, N),
  );
  const adj = F.flip(gRev, 2);

  const dtu4 = F.unsqueeze(dtu, 3);
  const hPrevDecayed = F.sub(h, F.mul(dtu4, BmT)); // exp(dt A) h_{t-1}
  const P = F.mul(adj, hPrevDecayed);
  const gB = F.reduceSum(F.mul(adj, BmT), [3]);
  const du = F.add(F.mul(dt, gB), F.mul(F.unsqueeze(Dskip, 1), dy));
  const ddt = F.add(F.mul(u, gB), F.reduceSum(F.mul(P, F.unsqueeze(A, 1)), [3]));
  const ddelta = softplus ? F.mul(ddt, F.sigmoid(raw)) : ddt;
  const dA = F.reduceSum(F.mul(P, F.unsqueeze(dt, 3)), [0, 2]);
  const dBm = F.transpose(F.reduceSum(F.mul(adj, dtu4), [1]), [0, 2, 1]);
  const dCm = F.transpose(F.reduceSum(F.mul(h, F.unsqueeze(dy, 3)), [1]), [0, 2, 1]);
  const dDskip = F.reduceSum(F.mul(dy, u), [0, 2]);
  const ddeltaBias = F.reduceSum(ddelta, [0, 2]);
  return [du, ddelta, dA, dBm, dCm, dDskip, ddeltaBias];
}
