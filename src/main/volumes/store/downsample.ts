import type { Vec3 } from '../box';
import { allocate, isBigDType, type DType, type VoxelArray } from '../dtypes';

export type DownsampleMethod = 'mean' | 'mode';

export function downsampledShape(shape: Vec3, step: Vec3): Vec3 {
  return [Math.ceil(shape[0] / step[0]), Math.ceil(shape[1] / step[1]), Math.ceil(shape[2] / step[2])];
}

/**
 * Reduces a C-order block by `step` (each 1 or 2) per axis. Windows cut by the block's far
 * edge use only the voxels that exist.
 * - mean (images): integers round half up, floor((2*sum + n) / (2*n)); floats are the plain mean.
 * - mode (labels): the most frequent id in the window; ties go to the smallest id.
 */
export function downsample(src: VoxelArray, shape: Vec3, step: Vec3, dtype: DType, method: DownsampleMethod): VoxelArray {
  const out = downsampledShape(shape, step);
  const dst = allocate(dtype, out[0] * out[1] * out[2]);
  if (method === 'mode') {
    if (dtype !== 'uint32' && dtype !== 'uint64') {
      modeSmall(src, shape, step, dst, out);
    } else {
      const words = dtype === 'uint64' ? 2 : 1;
      modeWords(new Uint32Array(src.buffer, src.byteOffset, src.length * words), shape, step, new Uint32Array(dst.buffer, dst.byteOffset, dst.length * words), out, words);
    }
  } else if (isBigDType(dtype)) meanBig(src as BigUint64Array | BigInt64Array, shape, step, dst as BigUint64Array | BigInt64Array, out);
  else meanNumber(src as Exclude<VoxelArray, BigUint64Array | BigInt64Array>, shape, step, dst as Exclude<VoxelArray, BigUint64Array | BigInt64Array>, out, dtype.startsWith('float'));
  return dst;
}

/** Source indices of the window of output voxel (oz, oy, ox); returns how many were written. */
function windowIndices(shape: Vec3, step: Vec3, oz: number, oy: number, ox: number, idx: Int32Array): number {
  const z1 = Math.min(shape[0], (oz + 1) * step[0]);
  const y1 = Math.min(shape[1], (oy + 1) * step[1]);
  const x1 = Math.min(shape[2], (ox + 1) * step[2]);
  let n = 0;
  for (let z = oz * step[0]; z < z1; z++)
    for (let y = oy * step[1]; y < y1; y++) for (let x = ox * step[2]; x < x1; x++) idx[n++] = (z * shape[1] + y) * shape[2] + x;
  return n;
}

function meanNumber(
  src: Exclude<VoxelArray, BigUint64Array | BigInt64Array>,
  shape: Vec3,
  step: Vec3,
  dst: Exclude<VoxelArray, BigUint64Array | BigInt64Array>,
  out: Vec3,
  float: boolean,
): void {
  // Row-wise: up to 2 x 2 source rows per output row, summed two columns at a time.
  const [, sy, sx] = shape;
  const rows = new Int32Array(4);
  let o = 0;
  for (let z = 0; z < out[0]; z++) {
    const z0 = z * step[0];
    const nz = Math.min(step[0], shape[0] - z0);
    for (let y = 0; y < out[1]; y++) {
      const y0 = y * step[1];
      const ny = Math.min(step[1], sy - y0);
      let nr = 0;
      for (let dz = 0; dz < nz; dz++) for (let dy = 0; dy < ny; dy++) rows[nr++] = ((z0 + dz) * sy + y0 + dy) * sx;
      for (let x = 0; x < out[2]; x++) {
        const x0 = x * step[2];
        const nx = Math.min(step[2], sx - x0);
        let sum = 0;
        for (let r = 0; r < nr; r++) {
          const i = rows[r] + x0;
          sum += nx === 2 ? src[i] + src[i + 1] : src[i];
        }
        const n = nr * nx;
        dst[o++] = float ? sum / n : Math.floor((2 * sum + n) / (2 * n));
      }
    }
  }
}

function meanBig(src: BigUint64Array | BigInt64Array, shape: Vec3, step: Vec3, dst: BigUint64Array | BigInt64Array, out: Vec3): void {
  const idx = new Int32Array(8);
  let o = 0;
  for (let z = 0; z < out[0]; z++)
    for (let y = 0; y < out[1]; y++)
      for (let x = 0; x < out[2]; x++) {
        const n = windowIndices(shape, step, z, y, x, idx);
        let sum = 0n;
        for (let i = 0; i < n; i++) sum += src[idx[i]];
        const num = 2n * sum + BigInt(n);
        const den = 2n * BigInt(n);
        let q = num / den;
        if (num < 0n && q * den !== num) q -= 1n; // floor, not truncation
        dst[o++] = q;
      }
}

/** Mode over 1 or 2 uint32 words per voxel (2 = 64-bit ids as lo, hi little-endian words). */
function modeWords(src: Uint32Array, shape: Vec3, step: Vec3, dst: Uint32Array, out: Vec3, words: 1 | 2): void {
  const [, sy, sx] = shape;
  const rows = new Int32Array(4);
  const idx = new Int32Array(8);
  const less = words === 1 ? (a: number, b: number) => src[a] < src[b] : (a: number, b: number) => src[a + 1] < src[b + 1] || (src[a + 1] === src[b + 1] && src[a] < src[b]);
  const equal = words === 1 ? (a: number, b: number) => src[a] === src[b] : (a: number, b: number) => src[a] === src[b] && src[a + 1] === src[b + 1];
  let o = 0;
  for (let z = 0; z < out[0]; z++) {
    const z0 = z * step[0];
    const nz = Math.min(step[0], shape[0] - z0);
    for (let y = 0; y < out[1]; y++) {
      const y0 = y * step[1];
      const ny = Math.min(step[1], sy - y0);
      let nr = 0;
      for (let dz = 0; dz < nz; dz++) for (let dy = 0; dy < ny; dy++) rows[nr++] = ((z0 + dz) * sy + y0 + dy) * sx;
      for (let x = 0; x < out[2]; x++) {
        const x0 = x * step[2];
        const nx = Math.min(step[2], sx - x0);
        let n = 0;
        for (let r = 0; r < nr; r++) for (let dx = 0; dx < nx; dx++) idx[n++] = (rows[r] + x0 + dx) * words;
        let best = idx[0];
        let uniform = true;
        for (let i = 1; i < n && uniform; i++) uniform = equal(idx[i], best);
        if (!uniform) {
          let bestCount = 0;
          for (let i = 0; i < n; i++) {
            const a = idx[i];
            let count = 0;
            for (let j = 0; j < n; j++) if (equal(a, idx[j])) count++;
            if (count > bestCount || (count === bestCount && less(a, best))) {
              best = a;
              bestCount = count;
            }
          }
        }
        dst[o * words] = src[best];
        if (words === 2) dst[o * words + 1] = src[best + 1];
        o++;
      }
    }
  }
}

function modeSmall(src: VoxelArray, shape: Vec3, step: Vec3, dst: VoxelArray, out: Vec3): void {
  const s = src as unknown as ArrayLike<number>;
  const d = dst as unknown as { [i: number]: number };
  const idx = new Int32Array(8);
  let o = 0;
  for (let z = 0; z < out[0]; z++)
    for (let y = 0; y < out[1]; y++)
      for (let x = 0; x < out[2]; x++) {
        const n = windowIndices(shape, step, z, y, x, idx);
        let best = s[idx[0]];
        let bestCount = 0;
        for (let i = 0; i < n; i++) {
          const v = s[idx[i]];
          let count = 0;
          for (let j = 0; j < n; j++) if (s[idx[j]] === v) count++;
          if (count > bestCount || (count === bestCount && v < best)) {
            best = v;
            bestCount = count;
          }
        }
        d[o++] = best;
      }
}
