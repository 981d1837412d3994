/**
 * Raw voxels -> network input. As TokenUnify scales every volume to [0, 1] (min-max), the
 * pipeline uses x' = (x - offset) / scale with: uint8 -> offset 0, scale 255 (the full range,
 * identical for every 8-bit volume); other types -> the volume's min and max, measured on its
 * coarsest pyramid level or, without a pyramid, on up to 8 evenly spaced sections (central
 * 1024x1024). The choice is stored in every checkpoint and reused for inference.
 */
import type { Normalization } from '../ml/checkpoint/index';
import type { Box, Vec3 } from '../volumes/box';
import type { VoxelArray } from '../volumes/dtypes';
import type { VolumeSource } from './volume-source';

export type { Normalization };

function minMax(data: VoxelArray): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  const a = data as ArrayLike<number | bigint>;
  for (let i = 0; i < a.length; i++) {
    const v = Number(a[i]);
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

function sampleBoxes(shape: Vec3): Box[] {
  const sections = Math.min(8, shape[0]);
  const h = Math.min(1024, shape[1]);
  const w = Math.min(1024, shape[2]);
  const y0 = Math.floor((shape[1] - h) / 2);
  const x0 = Math.floor((shape[2] - w) / 2);
  const boxes: Box[] = [];
  for (let i = 0; i < sections; i++) {
    const z = Math.floor(((i + 0.5) * shape[0]) / sections);
    boxes.push({ min: [z, y0, x0], max: [z + 1, y0 + h, x0 + w] });
  }
  return boxes;
}

export async function normalizationFor(source: VolumeSource): Promise<Normalization> {
  if (source.dtype === 'uint8') return { kind: 'scale', offset: 0, scale: 255 };
  let lo = Infinity;
  let hi = -Infinity;
  const coarse = await source.readCoarsest();
  const parts = coarse ? [coarse] : await Promise.all(sampleBoxes(source.shape).map((b) => source.readRegion(b)));
  for (const p of parts) {
    const [a, b] = minMax(p);
    lo = Math.min(lo, a);
    hi = Math.max(hi, b);
  }
  if (!Number.isFinite(lo)) return { kind: 'minmax', offset: 0, scale: 1 };
  return { kind: 'minmax', offset: lo, scale: hi > lo ? hi - lo : 1 };
}

/** (x - offset) / scale as float32. */
export function normalize(data: VoxelArray, n: Normalization, out = new Float32Array(data.length)): Float32Array {
  const a = data as ArrayLike<number | bigint>;
  const inv = 1 / n.scale;
  if (typeof a[0] === 'bigint') for (let i = 0; i < a.length; i++) out[i] = (Number(a[i]) - n.offset) * inv;
  else {
    const b = a as ArrayLike<number>;
    for (let i = 0; i < b.length; i++) out[i] = (b[i] - n.offset) * inv;
  }
  return out;
}

export function sameNormalization(a: Normalization, b: Normalization): boolean {
  return a.kind === b.kind && a.offset === b.offset && a.scale === b.scale;
}

