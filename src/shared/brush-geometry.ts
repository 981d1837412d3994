/**
 * Brush geometry, one definition for both sides: the back end writes these voxels
 * (`addBrushStroke` in src/main/proofreading/ops/voxel-buckets.ts) and the renderer draws the same
 * ones before the server has written them. A disk of `radius` voxels in the plane across the
 * normal axis around every point, and around points spaced at most half a radius apart along
 * each segment of the stroke.
 */

type Point = readonly number[];

export const MIN_BRUSH_RADIUS = 0;
export const MAX_BRUSH_RADIUS = 64;

/** In-plane offsets (du, dv) of a disk of `radius` voxels. */
export function diskOffsets(radius: number): [number, number][] {
  const r = Math.max(0, radius);
  const R = Math.floor(r);
  const r2 = r * r + 1e-9;
  const out: [number, number][] = [];
  for (let du = -R; du <= R; du++) for (let dv = -R; dv <= R; dv++) if (du * du + dv * dv <= r2) out.push([du, dv]);
  return out;
}

/**
 * Calls `visit(z, y, x)` for every voxel the stroke covers (duplicates included, clipping left
 * to the caller). `normal` is the axis across the painted plane (0 = z, 1 = y, 2 = x).
 */
export function forEachStrokeVoxel(normal: number, points: readonly Point[], radius: number, visit: (z: number, y: number, x: number) => void): void {
  const [u, v] = [0, 1, 2].filter((i) => i !== normal);
  const offsets = diskOffsets(radius);
  const q = [0, 0, 0];
  const stamp = (p: readonly number[]) => {
    q[normal] = Math.round(p[normal]);
    const cu = Math.round(p[u]);
    const cv = Math.round(p[v]);
    for (const [du, dv] of offsets) {
      q[u] = cu + du;
      q[v] = cv + dv;
      visit(q[0], q[1], q[2]);
    }
  };
  forEachStampCentre(points, radius, stamp);
}

/** The disk centres of a stroke: the first point, then points at most max(0.5, r/2) apart along each segment. */
export function forEachStampCentre(points: readonly Point[], radius: number, stamp: (p: readonly number[]) => void): void {
  const step = Math.max(0.5, Math.max(0, radius) / 2);
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    if (i === 0) {
      stamp(p);
      continue;
    }
    const prev = points[i - 1];
    const dist = Math.hypot(p[0] - prev[0], p[1] - prev[1], p[2] - prev[2]);
    const n = Math.max(1, Math.ceil(dist / step));
    for (let k = 1; k <= n; k++) {
      const t = k / n;
      stamp([prev[0] + t * (p[0] - prev[0]), prev[1] + t * (p[1] - prev[1]), prev[2] + t * (p[2] - prev[2])]);
    }
  }
}

/** The distinct voxels of a stroke inside a volume of `shape`, as sorted packed indices (z * Y * X + y * X + x). */
export function strokeVoxelIndices(normal: number, points: readonly Point[], radius: number, shape: readonly [number, number, number]): number[] {
  const seen = new Set<number>();
  forEachStrokeVoxel(normal, points, radius, (z, y, x) => {
    if (z < 0 || y < 0 || x < 0 || z >= shape[0] || y >= shape[1] || x >= shape[2]) return;
    seen.add((z * shape[1] + y) * shape[2] + x);
  });
  return [...seen].sort((a, b) => a - b);
}

/** Brush radius after a `[` / `]` key or a Shift+wheel notch: steps of 1 up to 8, then ~15 %. */
export function stepRadius(radius: number, direction: 1 | -1): number {
  const r = Math.round(radius);
  const step = r < 8 ? 1 : Math.max(1, Math.round(r * 0.15));
  return Math.min(MAX_BRUSH_RADIUS, Math.max(MIN_BRUSH_RADIUS, r + direction * step));
}
