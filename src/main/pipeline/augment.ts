/**
 * EM augmentations for training crops. A plan is drawn once per crop from a seeded generator
 * and applied to the image and, for the geometric part, to its labels and validity mask, so
 * image and labels stay aligned voxel for voxel.
 *
 * Defaults (each independent, probabilities per crop):
 *   flip         p 0.5 per axis (z, y, x)
 *   rotate       p 0.5: in-plane rotation by 90, 180 or 270 degrees (180 only for non-square crops)
 *   transpose    p 0.5: swap y and x (square crops only)
 *   misalign     p 0.1: from a random section on, shift by up to 8 voxels in y and x ('shift'),
 *                or displace that one section only ('slip'), equally likely
 *   contrast     p 0.5: x' = (x - 0.5) * c + 0.5 + b, c in [0.8, 1.2], b in [-0.1, 0.1]
 *   gamma        p 0.3: x' = clip(x, 0, 1)^g, g in [0.7, 1.5]
 *   blur         p 0.2: in-plane Gaussian, sigma in [0.5, 1.5] voxels
 *   noise        p 0.3: additive Gaussian, sigma in [0.01, 0.05] (input in [0, 1])
 *   missing      p 0.1: one random section set to 0 (a lost section)
 * Geometric: flip, rotate, transpose, misalign. Photometric (image only): the rest.
 */
import { Rng } from '../ml/util/rng';
import type { Vec3 } from '../volumes/box';

export interface AugmentConfig {
  flip: { p: number };
  rotate: { p: number };
  transpose: { p: number };
  misalign: { p: number; maxShift: number };
  contrast: { p: number; contrast: [number, number]; brightness: [number, number] };
  gamma: { p: number; range: [number, number] };
  blur: { p: number; sigma: [number, number] };
  noise: { p: number; sigma: [number, number] };
  missing: { p: number };
}

export const DEFAULT_AUGMENT: AugmentConfig = {
  flip: { p: 0.5 },
  rotate: { p: 0.5 },
  transpose: { p: 0.5 },
  misalign: { p: 0.1, maxShift: 8 },
  contrast: { p: 0.5, contrast: [0.8, 1.2], brightness: [-0.1, 0.1] },
  gamma: { p: 0.3, range: [0.7, 1.5] },
  blur: { p: 0.2, sigma: [0.5, 1.5] },
  noise: { p: 0.3, sigma: [0.01, 0.05] },
  missing: { p: 0.1 },
};

export type AugmentOverrides = { [K in keyof AugmentConfig]?: Partial<AugmentConfig[K]> };

/** Defaults with overrides; `false` turns every augmentation off. */
export function resolveAugment(overrides: AugmentOverrides | false | undefined): AugmentConfig {
  const out = structuredClone(DEFAULT_AUGMENT);
  if (overrides === false) {
    for (const k of Object.keys(out) as (keyof AugmentConfig)[]) out[k].p = 0;
    return out;
  }
  for (const [k, v] of Object.entries(overrides ?? {}) as [keyof AugmentConfig, object][]) Object.assign(out[k], v);
  return out;
}

export interface GeometryPlan {
  flip: [boolean, boolean, boolean];
  /** Counter-clockwise quarter turns in the y-x plane (numpy.rot90 on axes (1, 2)). */
  rotate: 0 | 1 | 2 | 3;
  transpose: boolean;
}

export interface MisalignPlan {
  section: number;
  dy: number;
  dx: number;
  mode: 'shift' | 'slip';
}

export interface AugmentPlan {
  geometry: GeometryPlan;
  misalign: MisalignPlan | null;
  contrast: { contrast: number; brightness: number } | null;
  gamma: number | null;
  blur: number | null;
  noise: number | null;
  missing: number | null;
  noiseSeed: number;
}

export const IDENTITY_GEOMETRY: GeometryPlan = { flip: [false, false, false], rotate: 0, transpose: false };

/** Draws one crop's augmentations; `shape` is the crop [z, y, x]. */
export function samplePlan(cfg: AugmentConfig, rng: Rng, shape: Vec3): AugmentPlan {
  const hit = (p: number) => rng.uniform() < p;
  const square = shape[1] === shape[2];
  const flip: [boolean, boolean, boolean] = [hit(cfg.flip.p), hit(cfg.flip.p), hit(cfg.flip.p)];
  let rotate: GeometryPlan['rotate'] = 0;
  if (hit(cfg.rotate.p)) rotate = square ? ((1 + rng.int(3)) as 1 | 2 | 3) : 2;
  const transpose = hit(cfg.transpose.p) && square;
  let misalign: MisalignPlan | null = null;
  if (hit(cfg.misalign.p) && shape[0] > 1) {
    const m = cfg.misalign.maxShift;
    misalign = { section: 1 + rng.int(shape[0] - 1), dy: rng.int(2 * m + 1) - m, dx: rng.int(2 * m + 1) - m, mode: rng.uniform() < 0.5 ? 'shift' : 'slip' };
  }
  const contrast = hit(cfg.contrast.p) ? { contrast: rng.range(...cfg.contrast.contrast), brightness: rng.range(...cfg.contrast.brightness) } : null;
  const gamma = hit(cfg.gamma.p) ? rng.range(...cfg.gamma.range) : null;
  const blur = hit(cfg.blur.p) ? rng.range(...cfg.blur.sigma) : null;
  const noise = hit(cfg.noise.p) ? rng.range(...cfg.noise.sigma) : null;
  const missing = hit(cfg.missing.p) ? rng.int(shape[0]) : null;
  return { geometry: { flip, rotate, transpose }, misalign, contrast, gamma, blur, noise, missing, noiseSeed: rng.nextU32() };
}

// ---- geometry ----

type Voxels = Float32Array | Uint32Array | Uint8Array | Uint16Array | Int32Array;

function like<T extends Voxels>(a: T): T {
  return new (a.constructor as new (n: number) => T)(a.length);
}

export function flipAxis<T extends Voxels>(data: T, shape: Vec3, axis: 0 | 1 | 2): T {
  const [Z, Y, X] = shape;
  const out = like(data);
  for (let z = 0; z < Z; z++)
    for (let y = 0; y < Y; y++) {
      const sz = axis === 0 ? Z - 1 - z : z;
      const sy = axis === 1 ? Y - 1 - y : y;
      const src = (sz * Y + sy) * X;
      const dst = (z * Y + y) * X;
      if (axis === 2) for (let x = 0; x < X; x++) out[dst + x] = data[src + X - 1 - x];
      else out.set(data.subarray(src, src + X), dst);
    }
  return out;
}

/** numpy.rot90(data, k, axes=(1, 2)); the y-x plane of `shape` becomes [X, Y] for odd k. */
export function rot90(data: Voxels, shape: Vec3, k: number): Voxels {
  const q = ((k % 4) + 4) % 4;
  if (q === 0) return data.slice();
  if (q === 2) return flipAxis(flipAxis(data, shape, 1), shape, 2);
  const [Z, Y, X] = shape;
  const out = like(data);
  // k = 1: out[y][x] = in[x][X-1-y] (out is X x Y); k = 3: out[y][x] = in[Y-1-x][y].
  for (let z = 0; z < Z; z++) {
    const base = z * Y * X;
    for (let y = 0; y < X; y++)
      for (let x = 0; x < Y; x++) {
        const src = q === 1 ? x * X + (X - 1 - y) : (Y - 1 - x) * X + y;
        out[base + y * Y + x] = data[base + src];
      }
  }
  return out;
}

export function transposeYX<T extends Voxels>(data: T, shape: Vec3): T {
  const [Z, Y, X] = shape;
  const out = like(data);
  for (let z = 0; z < Z; z++) {
    const base = z * Y * X;
    for (let y = 0; y < X; y++) for (let x = 0; x < Y; x++) out[base + y * Y + x] = data[base + x * X + y];
  }
  return out;
}

/** Flips, then the rotation, then the transpose. Odd rotations and transposes need Y == X. */
export function applyGeometry<T extends Voxels>(data: T, shape: Vec3, g: GeometryPlan): T {
  let out: Voxels = data;
  g.flip.forEach((f, axis) => {
    if (f) out = flipAxis(out, shape, axis as 0 | 1 | 2);
  });
  if (g.rotate) out = rot90(out, shape, g.rotate);
  if (g.transpose) out = transposeYX(out, shape);
  return (out === data ? data.slice() : out) as T;
}

export function invertGeometry<T extends Voxels>(data: T, shape: Vec3, g: GeometryPlan): T {
  let out: Voxels = data;
  if (g.transpose) out = transposeYX(out, shape);
  if (g.rotate) out = rot90(out, shape, 4 - g.rotate);
  g.flip.forEach((f, axis) => {
    if (f) out = flipAxis(out, shape, axis as 0 | 1 | 2);
  });
  return (out === data ? data.slice() : out) as T;
}

/**
 * Moves sections in-plane: every section from `section` on ('shift'), or that section only
 * ('slip'). Voxels shifted in repeat the edge ('edge', images) or take `fill` (labels, masks).
 */
export function applyMisalign<T extends Voxels>(data: T, shape: Vec3, m: MisalignPlan, fill: 'edge' | number): T {
  const [Z, Y, X] = shape;
  const out = data.slice() as T;
  const last = m.mode === 'slip' ? m.section + 1 : Z;
  for (let z = m.section; z < last; z++) {
    const base = z * Y * X;
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++) {
        let sy = y - m.dy;
        let sx = x - m.dx;
        const outside = sy < 0 || sy >= Y || sx < 0 || sx >= X;
        if (outside && fill !== 'edge') {
          out[base + y * X + x] = fill;
          continue;
        }
        sy = Math.min(Y - 1, Math.max(0, sy));
        sx = Math.min(X - 1, Math.max(0, sx));
        out[base + y * X + x] = data[base + sy * X + sx];
      }
  }
  return out;
}

// ---- photometric (image only, values around [0, 1]) ----

function gaussianKernel(sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) s += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= s;
  return k;
}

/** Separable in-plane Gaussian blur per section, mirrored at the borders. */
export function blurInPlane(image: Float32Array, shape: Vec3, sigma: number): Float32Array {
  const [Z, Y, X] = shape;
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) / 2;
  const tmp = new Float32Array(image.length);
  const out = new Float32Array(image.length);
  const mirror = (i: number, n: number) => (n === 1 ? 0 : i < 0 ? Math.min(n - 1, -i) : i >= n ? Math.max(0, 2 * n - 2 - i) : i);
  for (let z = 0; z < Z; z++) {
    const b = z * Y * X;
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++) {
        let s = 0;
        for (let j = -r; j <= r; j++) s += k[j + r] * image[b + y * X + mirror(x + j, X)];
        tmp[b + y * X + x] = s;
      }
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++) {
        let s = 0;
        for (let j = -r; j <= r; j++) s += k[j + r] * tmp[b + mirror(y + j, Y) * X + x];
        out[b + y * X + x] = s;
      }
  }
  return out;
}

/** Applies the photometric part of a plan; returns a new image. */
export function applyPhotometric(image: Float32Array, shape: Vec3, plan: AugmentPlan): Float32Array {
  let out: Float32Array = image.slice();
  if (plan.contrast) {
    const { contrast: c, brightness: b } = plan.contrast;
    for (let i = 0; i < out.length; i++) out[i] = Math.min(1, Math.max(0, (out[i] - 0.5) * c + 0.5 + b));
  }
  if (plan.gamma !== null) {
    const g = plan.gamma;
    for (let i = 0; i < out.length; i++) out[i] = Math.min(1, Math.max(0, out[i])) ** g;
  }
  if (plan.blur !== null) out = blurInPlane(out, shape, plan.blur);
  if (plan.noise !== null) {
    const rng = new Rng(plan.noiseSeed);
    for (let i = 0; i < out.length; i++) out[i] += plan.noise * rng.normal();
  }
  if (plan.missing !== null) {
    const n = shape[1] * shape[2];
    out.fill(0, plan.missing * n, (plan.missing + 1) * n);
  }
  return out;
}
