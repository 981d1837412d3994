/** MurmurHash3_x86_128 (Austin Appleby, public domain): four 32-bit words h1..h4. */
export function murmurHash3X86_128(key: Uint8Array, seed = 0): [number, number, number, number] {
  const c1 = 0x239b961b;
  const c2 = 0xab0e9789;
  const c3 = 0x38b34ae5;
  const c4 = 0xa1e38b93;
  const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
  const mul = (a: number, b: number) => Math.imul(a, b) >>> 0;
  const fmix = (h: number) => {
    h ^= h >>> 16;
    h = mul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = mul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
  };
  const len = key.length;
  const u32 = (i: number) => (key[i] | (key[i + 1] << 8) | (key[i + 2] << 16) | (key[i + 3] << 24)) >>> 0;
  let h1 = seed >>> 0;
  let h2 = h1;
  let h3 = h1;
  let h4 = h1;
  const blocks = len >>> 4;
  for (let i = 0; i < blocks; i++) {
    let k1 = u32(i * 16);
    let k2 = u32(i * 16 + 4);
    let k3 = u32(i * 16 + 8);
    let k4 = u32(i * 16 + 12);
    k1 = mul(rotl(mul(k1, c1), 15), c2);
    h1 ^= k1;
    h1 = (mul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) >>> 0;
    k2 = mul(rotl(mul(k2, c2), 16), c3);
    h2 ^= k2;
    h2 = (mul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) >>> 0;
    k3 = mul(rotl(mul(k3, c3), 17), c4);
    h3 ^= k3;
    h3 = (mul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) >>> 0;
    k4 = mul(rotl(mul(k4, c4), 18), c1);
    h4 ^= k4;
    h4 = (mul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) >>> 0;
  }
  const t = blocks * 16;
  const rem = len & 15;
  let k1 = 0;
  let k2 = 0;
  let k3 = 0;
  let k4 = 0;
  // Tail bytes, exactly as the reference's fall-through switch.
  if (rem >= 13) {
    for (let i = rem - 1; i >= 12; i--) k4 ^= key[t + i] << ((i - 12) * 8);
    k4 = mul(rotl(mul(k4 >>> 0, c4), 18), c1);
    h4 = (h4 ^ k4) >>> 0;
  }
  if (rem >= 9) {
    for (let i = Math.min(rem, 12) - 1; i >= 8; i--) k3 ^= key[t + i] << ((i - 8) * 8);
    k3 = mul(rotl(mul(k3 >>> 0, c3), 17), c4);
    h3 = (h3 ^ k3) >>> 0;
  }
  if (rem >= 5) {
    for (let i = Math.min(rem, 8) - 1; i >= 4; i--) k2 ^= key[t + i] << ((i - 4) * 8);
    k2 = mul(rotl(mul(k2 >>> 0, c2), 16), c3);
    h2 = (h2 ^ k2) >>> 0;
  }
  if (rem >= 1) {
    for (let i = Math.min(rem, 4) - 1; i >= 0; i--) k1 ^= key[t + i] << (i * 8);
    k1 = mul(rotl(mul(k1 >>> 0, c1), 15), c2);
    h1 = (h1 ^ k1) >>> 0;
  }
  h1 = (h1 ^ len) >>> 0;
  h2 = (h2 ^ len) >>> 0;
  h3 = (h3 ^ len) >>> 0;
  h4 = (h4 ^ len) >>> 0;
  h1 = (h1 + h2 + h3 + h4) >>> 0;
  h2 = (h2 + h1) >>> 0;
  h3 = (h3 + h1) >>> 0;
  h4 = (h4 + h1) >>> 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) >>> 0;
  h2 = (h2 + h1) >>> 0;
  h3 = (h3 + h1) >>> 0;
  h4 = (h4 + h1) >>> 0;
  return [h1, h2, h3, h4];
}

/** The 128-bit hash as its 16 little-endian output bytes. */
export function murmurHash3X86_128Bytes(key: Uint8Array, seed = 0): Uint8Array {
  const h = murmurHash3X86_128(key, seed);
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  h.forEach((v, i) => dv.setUint32(i * 4, v, true));
  return out;
}
