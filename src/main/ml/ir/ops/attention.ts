/**
 * com.microsoft LinearAttention, update_rule 'gated' (as verified against ORT 1.30 at opset 26):
 *   per kv head h: S_t = exp(g_t) (.) S_{t-1} + k_t (x) v_t   (g per key row, or per head)
 *                  o_t = scale * q_t^T S_t
 * q [B, T, Hq*dk], k [B, T, Hk*dk], v [B, T, Hkv*dv], decay [B, T, Hkv*dk] or [B, T, Hkv].
 * Supported sharing: Hq and Hk divide Hkv; kv head h reads query head floor(h / (Hkv/Hq)) and
 * key head floor(h / (Hkv/Hk)). Output [B, T, Hkv*dv]. No gradient (the scan has its own).
 */
import { attrNum, defineOp } from '../registry';

function dims(qShape: readonly number[], kShape: readonly number[], vShape: readonly number[], dShape: readonly number[], hq: number, hkv: number) {
  const [B, T, qw] = qShape;
  const dk = qw / hq;
  const hk = kShape[2] / dk;
  const dv = vShape[2] / hkv;
  const perKey = dShape[2] === hkv * dk;
  const ok =
    Number.isInteger(dk) && Number.isInteger(hk) && Number.isInteger(dv) && hkv % hq === 0 && hkv % hk === 0 &&
    [kShape, vShape, dShape].every((s) => s.length === 3 && s[0] === B && s[1] === T) &&
    (perKey || dShape[2] === hkv);
  return { B, T, dk, hk, dv, perKey, ok };
}

defineOp({
  name: 'LinearAttention',
  infer: ([q, k, v, decay], attrs) => {
    const hq = attrNum(attrs, 'q_num_heads');
    const hkv = attrNum(attrs, 'kv_num_heads');
    const d = dims(q.shape, k.shape, v.shape, decay.shape, hq, hkv);
    if (!d.ok) throw new Error(`LinearAttention: inconsistent shapes q ${q}, k ${k}, v ${v}, decay ${decay} for ${hq} query / ${hkv} kv heads`);
    return [{ shape: [d.B, d.T, hkv * d.dv], dtype: q.dtype }];
  },
  evaluate: ([q, k, v, decay], attrs) => {
    const hq = attrNum(attrs, 'q_num_heads');
    const hkv = attrNum(attrs, 'kv_num_heads');
    const scale = attrNum(attrs, 'scale', 1);
    const { B, T, dk, hk, dv, perKey } = dims(q.shape, k.shape, v.shape, decay.shape, hq, hkv);
    const out = new Float64Array(B * T * hkv * dv);
    const S = new Float64Array(dk * dv);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < hkv; h++) {
        const qh = Math.floor(h / (hkv / hq));
        const kh = Math.floor(h / (hkv / hk));
        S.fill(0);
        for (let t = 0; t < T; t++) {
          const bt = b * T + t;
          for (let i = 0; i < dk; i++) {
            const gi = perKey ? decay.data[(bt * hkv + h) * dk + i] : decay.data[bt * hkv + h];
            const e = Math.exp(gi);
            const ki = k.data[(bt * hk + kh) * dk + i];
            for (let j = 0; j < dv; j++) S[i * dv + j] = e * S[i * dv + j] + ki * v.data[(bt * hkv + h) * dv + j];
          }
          for (let j = 0; j < dv; j++) {
            let acc = 0;
            for (let i = 0; i < dk; i++) acc += q.data[(bt * hq + qh) * dk + i] * S[i * dv + j];
            out[(bt * hkv + h) * dv + j] = scale * acc;
          }
        }
      }
    }
    return [{ shape: [B, T, hkv * dv], data: out }];
  },
  lower: (node, ctx) => {
    const [q, k, v, decay] = node.inputs.map((x) => ctx.name(x));
    ctx.emit('LinearAttention', [q, k, v, '', decay], [ctx.name(node.outputs[0]), ctx.tmp('la_state')], {
      q_num_heads: attrNum(node.attrs, 'q_num_heads'),
      kv_num_heads: attrNum(node.attrs, 'kv_num_heads'),
      update_rule: 'gated',
      scale: { float: attrNum(node.attrs, 'scale', 1) },
    }, 'com.microsoft');
  },
});
