import type { Vec3 } from '../box';

/** Voxels per chunk we aim for: 2^18 (256 KiB of uint8, 1 MiB of uint32). */
export const TARGET_CHUNK_VOXELS = 1 << 18;
const MAX_CHUNK_EDGE = 512;
export const MAX_LEVELS = 16;

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * Chunk shape for slicing: powers of two whose physical extents are as equal as possible
 * (isotropic data: 64x64x64; 50x4x4 nm serial-section EM: 16x128x128, i.e. 800x512x512 nm),
 * about TARGET_CHUNK_VOXELS voxels, never much larger than the volume along an axis.
 * Equal physical extents make XY, XZ and YZ slices cost about the same to assemble.
 */
export function chooseChunkShape(shape: Vec3, resolution: Vec3): Vec3 {
  const c: Vec3 = [1, 1, 1];
  const limit = shape.map((s) => Math.min(MAX_CHUNK_EDGE, nextPow2(s))) as Vec3;
  while (c[0] * c[1] * c[2] < TARGET_CHUNK_VOXELS) {
    const growable = [0, 1, 2].filter((a) => c[a] < limit[a]);
    if (growable.length === 0) break;
    const extent = (a: number) => c[a] * resolution[a];
    const smallest = Math.min(...growable.map(extent));
    // Grow every axis tied for the smallest extent together, so y and x stay equal.
    for (const a of growable) if (extent(a) <= smallest * 1.0001) c[a] *= 2;
  }
  return c;
}

/**
 * Downsampling factors for the next level: 2 along the axes whose voxels are less than twice
 * the finest voxel size (so anisotropic data is first halved in-plane only), 1 elsewhere.
 */
export function nextFactors(shape: Vec3, resolution: Vec3): Vec3 {
  const finest = Math.min(...resolution);
  return [0, 1, 2].map((a) => (resolution[a] < 2 * finest && shape[a] > 1 ? 2 : 1)) as Vec3;
}

export interface PlannedLevel {
  shape: Vec3;
  resolution: Vec3;
  /** Relative to level 0. */
  factors: Vec3;
  /** Relative to the previous level (1 for level 0). */
  step: Vec3;
}

/**
 * The pyramid: halve (per nextFactors) until the coarsest level fits in one chunk along every
 * axis that would be halved next. All levels share one chunk shape, so each coarse chunk
 * is computed from exactly step[0] x step[1] x step[2] finer chunks.
 */
export function planLevels(shape: Vec3, resolution: Vec3, chunkShape: Vec3): PlannedLevel[] {
  const levels: PlannedLevel[] = [{ shape, resolution, factors: [1, 1, 1], step: [1, 1, 1] }];
  while (levels.length < MAX_LEVELS) {
    const prev = levels[levels.length - 1];
    const step = nextFactors(prev.shape, prev.resolution);
    const halved = [0, 1, 2].filter((a) => step[a] === 2);
    if (halved.length === 0 || halved.every((a) => prev.shape[a] <= chunkShape[a])) break;
    levels.push({
      shape: prev.shape.map((s, a) => Math.ceil(s / step[a])) as Vec3,
      resolution: prev.resolution.map((r, a) => r * step[a]) as Vec3,
      factors: prev.factors.map((f, a) => f * step[a]) as Vec3,
      step,
    });
  }
  return levels;
}
