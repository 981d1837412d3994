/**
 * TokenUnify's visual tokens: a crop [Z, Y, X] is cut into 4x16x16 patches numbered in
 * z -> y -> x raster order (token t = (tz * ny + ty) * nx + tx). The three pretraining tasks
 * corrupt tokens of the network input and say what to reconstruct:
 *   random token prediction:  a random subset (mask ratio 0.4, or U(0.2, 0.8)) is replaced
 *                             by N(0, 1) noise; target = the whole clean crop;
 *   next-all token prediction: tokens before a random K are kept, K and after are noise;
 *                             target = the whole clean crop;
 *   next-token prediction:    same input; target = token K alone (a head predicts it).
 */
import { AppError } from '../errors';
import { Rng } from '../ml/util/rng';
import type { Vec3 } from '../volumes/box';

export const TOKEN_SHAPE: Vec3 = [4, 16, 16];
export const TOKEN_VOXELS = TOKEN_SHAPE[0] * TOKEN_SHAPE[1] * TOKEN_SHAPE[2];

export function tokenGrid(crop: Vec3): Vec3 {
  const grid = crop.map((c, i) => c / TOKEN_SHAPE[i]) as Vec3;
  if (grid.some((g) => !Number.isInteger(g) || g < 1)) {
    throw new AppError('BAD_REQUEST', `crop ${crop.join('x')} is not a whole number of ${TOKEN_SHAPE.join('x')} tokens`);
  }
  return grid;
}

export function tokenCount(crop: Vec3): number {
  const g = tokenGrid(crop);
  return g[0] * g[1] * g[2];
}

/** Voxel origin [z, y, x] of token `t`. */
export function tokenOrigin(t: number, crop: Vec3): Vec3 {
  const [, ny, nx] = tokenGrid(crop);
  const tx = t % nx;
  const ty = Math.floor(t / nx) % ny;
  const tz = Math.floor(t / (nx * ny));
  return [tz * TOKEN_SHAPE[0], ty * TOKEN_SHAPE[1], tx * TOKEN_SHAPE[2]];
}

/** Calls fn(voxelIndex, indexInsideToken) for every voxel of token `t`, token voxels in z, y, x order. */
function forTokenVoxels(t: number, crop: Vec3, fn: (voxel: number, inToken: number) => void): void {
  const [z0, y0, x0] = tokenOrigin(t, crop);
  const [, Y, X] = crop;
  let k = 0;
  for (let z = 0; z < TOKEN_SHAPE[0]; z++)
    for (let y = 0; y < TOKEN_SHAPE[1]; y++) {
      const row = ((z0 + z) * Y + y0 + y) * X + x0;
      for (let x = 0; x < TOKEN_SHAPE[2]; x++) fn(row + x, k++);
    }
}

/** Replaces the voxels of the tokens where mask[t] = 1 by N(0, 1) noise, in place. */
export function fillTokensWithNoise(image: Float32Array, crop: Vec3, mask: Uint8Array, rng: Rng): void {
  for (let t = 0; t < mask.length; t++) {
    if (!mask[t]) continue;
    forTokenVoxels(t, crop, (v) => {
      image[v] = rng.normal();
    });
  }
}

/** The clean voxels of token `t` as a [4, 16, 16] block. */
export function extractToken(image: Float32Array, crop: Vec3, t: number): Float32Array {
  const out = new Float32Array(TOKEN_VOXELS);
  forTokenVoxels(t, crop, (v, k) => {
    out[k] = image[v];
  });
  return out;
}

export type MaskRatio = number | 'uniform';

/** Random token prediction: exactly floor(L * ratio) distinct tokens, ratio fixed or U(0.2, 0.8). */
export function randomTokenMask(count: number, ratio: MaskRatio, rng: Rng): Uint8Array {
  const r = ratio === 'uniform' ? rng.range(0.2, 0.8) : ratio;
  const k = Math.floor(count * r);
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(count - i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const mask = new Uint8Array(count);
  for (let i = 0; i < k; i++) mask[order[i]] = 1;
  return mask;
}

/** Autoregressive split: K uniform in [1, L - 1]; tokens K..L-1 are hidden. */
export function sampleNextK(count: number, rng: Rng): number {
  if (count < 2) throw new AppError('BAD_REQUEST', 'autoregressive pretraining needs a crop of at least two tokens');
  return 1 + rng.int(count - 1);
}

export function nextAllMask(count: number, k: number): Uint8Array {
  const mask = new Uint8Array(count);
  mask.fill(1, k);
  return mask;
}
