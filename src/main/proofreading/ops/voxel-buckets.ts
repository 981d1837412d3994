import { AppError } from '../../errors';
import type { Vec3 } from '../../volumes/box';
import type { LabelLayer } from '../label-layer';

/** Voxels grouped by level-0 chunk: local indices per chunk (duplicates are harmless). */
export class VoxelBuckets {
  readonly byChunk = new Map<string, { coord: Vec3; indices: number[] }>();
  count = 0;

  constructor(private readonly layer: LabelLayer) {}

  /** Adds a voxel; voxels outside the volume are ignored (a brush reaching past the edge). */
  add(z: number, y: number, x: number): void {
    const s = this.layer.shape;
    if (z < 0 || y < 0 || x < 0 || z >= s[0] || y >= s[1] || x >= s[2]) return;
    const cs = this.layer.chunkShape;
    const cz = Math.floor(z / cs[0]);
    const cy = Math.floor(y / cs[1]);
    const cx = Math.floor(x / cs[2]);
    const key = `${cz},${cy},${cx}`;
    let b = this.byChunk.get(key);
    if (!b) this.byChunk.set(key, (b = { coord: [cz, cy, cx], indices: [] }));
    b.indices.push(((z - cz * cs[0]) * cs[1] + (y - cy * cs[1])) * cs[2] + (x - cx * cs[2]));
    this.count++;
  }

  coords(): Vec3[] {
    return [...this.byChunk.values()].map((b) => b.coord);
  }
}

const AXES = { z: 0, y: 1, x: 2 } as const;

/**
 * Brush stroke voxels: a disk of `radius` voxels in the plane across `axis` around every point,
 * and around points spaced at most half a radius apart along each segment of the stroke.
 */
export function addBrushStroke(out: VoxelBuckets, axis: 'z' | 'y' | 'x', points: readonly (readonly number[])[], radius: number): void {
  const a = AXES[axis];
  const [u, v] = [0, 1, 2].filter((i) => i !== a);
  const r = Math.max(0, radius);
  const R = Math.floor(r);
  const r2 = r * r + 1e-9;
  const offsets: [number, number][] = [];
  for (let du = -R; du <= R; du++) for (let dv = -R; dv <= R; dv++) if (du * du + dv * dv <= r2) offsets.push([du, dv]);
  const stamp = (p: readonly number[]) => {
    const q = [Math.round(p[0]), Math.round(p[1]), Math.round(p[2])];
    for (const [du, dv] of offsets) {
      q[u] = Math.round(p[u]) + du;
      q[v] = Math.round(p[v]) + dv;
      out.add(q[0], q[1], q[2]);
    }
  };
  const step = Math.max(0.5, r / 2);
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    if (p.length !== 3 || !p.every((c) => Number.isFinite(c))) throw new AppError('BAD_REQUEST', `brush point ${i} must be [z, y, x]`);
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

/** Explicit voxels given as [z, y, x] triples. */
export function addVoxelTriples(out: VoxelBuckets, triples: Uint32Array): void {
  if (triples.length % 3 !== 0) throw new AppError('BAD_REQUEST', `voxels must be [z, y, x] triples (got ${triples.length} numbers)`);
  for (let i = 0; i < triples.length; i += 3) out.add(triples[i], triples[i + 1], triples[i + 2]);
}
