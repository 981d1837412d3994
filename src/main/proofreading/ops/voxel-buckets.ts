import { forEachStrokeVoxel } from '../../../shared/brush-geometry';
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

/** Brush stroke voxels (the geometry the renderer previews: src/shared/brush-geometry.ts). */
export function addBrushStroke(out: VoxelBuckets, axis: 'z' | 'y' | 'x', points: readonly (readonly number[])[], radius: number): void {
  points.forEach((p, i) => {
    if (p.length !== 3 || !p.every((c) => Number.isFinite(c))) throw new AppError('BAD_REQUEST', `brush point ${i} must be [z, y, x]`);
  });
  forEachStrokeVoxel(AXES[axis], points, radius, (z, y, x) => out.add(z, y, x));
}

/** Explicit voxels given as [z, y, x] triples. */
export function addVoxelTriples(out: VoxelBuckets, triples: Uint32Array): void {
  if (triples.length % 3 !== 0) throw new AppError('BAD_REQUEST', `voxels must be [z, y, x] triples (got ${triples.length} numbers)`);
  for (let i = 0; i < triples.length; i += 3) out.add(triples[i], triples[i + 1], triples[i + 2]);
}
