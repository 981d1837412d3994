/**
 * Segment ids are unsigned 64-bit integers. The GPU sees them as two uint32 words (lo, hi);
 * JavaScript code uses bigint. uint32 label data is the special case hi = 0.
 */

export type SegmentId = bigint;

export function toSegmentId(id: number | bigint | string): SegmentId {
  const b = typeof id === 'bigint' ? id : BigInt(id);
  if (b < 0n || b >= 1n << 64n) throw new RangeError(`segment id ${id} is outside 0..2^64-1`);
  return b;
}

export function splitId(id: SegmentId): [lo: number, hi: number] {
  return [Number(id & 0xffffffffn), Number(id >> 32n)];
}

export function joinId(lo: number, hi: number): SegmentId {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** murmur3's 32-bit finaliser: the same integer ops run in the shaders (segment-glsl.ts). */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Hash of a 64-bit id with a seed; identical to `hashId` in GLSL. */
export function hashId(lo: number, hi: number, seed: number): number {
  return mix32((lo ^ mix32((hi ^ seed) >>> 0)) >>> 0);
}

export const COLOR_SEED = 0x9e3779b9;
export const TABLE_SEED = 0x2545f491;

/**
 * The stable colour of a segment: a hue from the id's hash, saturation and value kept high so
 * neighbours stay distinguishable on dark EM. Integer HSV with shifts and multiplies only
 * (GPUs emulated in software, like SwiftShader, divide per lane), computed identically by
 * the label shader, so the rendered bytes equal these.
 */
export function segmentColor(id: SegmentId): [number, number, number] {
  const [lo, hi] = splitId(id);
  return segmentColorWords(lo, hi);
}

/** floor(x / 255) for 0 <= x < 65536, without dividing. */
export function div255(x: number): number {
  return (x + 1 + (x >>> 8)) >>> 8;
}

export function segmentColorWords(lo: number, hi: number): [number, number, number] {
  const h = hashId(lo, hi, COLOR_SEED);
  const hue = ((h & 0x3ff) * 1536) >>> 10; // 0..1535
  const s = 150 + (((h >>> 11) & 127) * 105 >>> 7); // 150..254
  const v = 190 + (((h >>> 19) & 63) * 65 >>> 6); // 190..254
  const region = hue >>> 8;
  const f = hue & 255;
  const p = div255(v * (255 - s));
  const q = div255(v * (255 - div255(s * f)));
  const t = div255(v * (255 - div255(s * (255 - f))));
  switch (region) {
    case 0:
      return [v, t, p];
    case 1:
      return [q, v, p];
    case 2:
      return [p, v, t];
    case 3:
      return [p, q, v];
    case 4:
      return [t, p, v];
    default:
      return [v, p, q];
  }
}

export function colorToCss([r, g, b]: [number, number, number]): string {
  return `rgb(${r}, ${g}, ${b})`;
}

/** Decimal text of an id (what users type and read). */
export function formatId(id: SegmentId): string {
  return id.toString();
}

export function parseId(text: string): SegmentId | null {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return null;
  const b = BigInt(t);
  return b < 1n << 64n ? b : null;
}
