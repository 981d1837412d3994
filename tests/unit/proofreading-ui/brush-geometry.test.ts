import { describe, expect, it } from 'vitest';
import type { LabelLayer } from '../../../src/main/proofreading/label-layer';
import { addBrushStroke, VoxelBuckets } from '../../../src/main/proofreading/ops/voxel-buckets';
import { diskOffsets, stepRadius, strokeVoxelIndices } from '../../../src/shared/brush-geometry';
import type { Vec3 } from '../../../src/renderer/src/features/viewer/core/geometry';

/** The voxels the back end paints for a stroke, as sorted global indices. */
function backendStroke(shape: Vec3, chunkShape: Vec3, axis: 'z' | 'y' | 'x', points: Vec3[], radius: number): number[] {
  const layer = { shape, chunkShape } as unknown as LabelLayer;
  const buckets = new VoxelBuckets(layer);
  addBrushStroke(buckets, axis, points, radius);
  const out = new Set<number>();
  for (const b of buckets.byChunk.values()) {
    for (const i of b.indices) {
      const lx = i % chunkShape[2];
      const ly = Math.floor(i / chunkShape[2]) % chunkShape[1];
      const lz = Math.floor(i / (chunkShape[1] * chunkShape[2]));
      const z = b.coord[0] * chunkShape[0] + lz;
      const y = b.coord[1] * chunkShape[1] + ly;
      const x = b.coord[2] * chunkShape[2] + lx;
      out.add((z * shape[1] + y) * shape[2] + x);
    }
  }
  return [...out].sort((a, b) => a - b);
}

describe('brush geometry (renderer preview = back-end stroke)', () => {
  const shape: Vec3 = [20, 70, 90];
  const chunk: Vec3 = [8, 32, 32];
  const cases: { axis: 'z' | 'y' | 'x'; normal: number; points: Vec3[]; radius: number }[] = [
    { axis: 'z', normal: 0, points: [[5, 10, 10]], radius: 0 },
    { axis: 'z', normal: 0, points: [[5, 10, 10]], radius: 3 },
    { axis: 'z', normal: 0, points: [[5, 10, 10], [5, 40, 60], [5, 41, 2]], radius: 4.5 },
    { axis: 'y', normal: 1, points: [[1, 33, 85], [18, 33, 87]], radius: 2 },
    { axis: 'x', normal: 2, points: [[0, 0, 50], [19, 69, 50], [10, 35, 50]], radius: 6 },
    { axis: 'z', normal: 0, points: [[3, 68, 88], [3, 69, 89]], radius: 7 },
  ];
  for (const c of cases) {
    it(`matches the back end: axis ${c.axis}, radius ${c.radius}, ${c.points.length} points`, () => {
      const mine = strokeVoxelIndices(c.normal, c.points, c.radius, shape);
      const theirs = backendStroke(shape, chunk, c.axis, c.points, c.radius);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine).toEqual(theirs);
    });
  }

  it('draws disks of the expected area and steps the radius', () => {
    expect(diskOffsets(0).length).toBe(1);
    expect(diskOffsets(1).length).toBe(5);
    expect(Math.abs(diskOffsets(10).length - Math.PI * 100) / (Math.PI * 100)).toBeLessThan(0.05);
    expect(stepRadius(3, 1)).toBe(4);
    expect(stepRadius(0, -1)).toBe(0);
    expect(stepRadius(20, 1)).toBe(23);
    expect(stepRadius(64, 1)).toBe(64);
  });
});
