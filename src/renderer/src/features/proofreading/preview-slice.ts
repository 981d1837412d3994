import type { Vec3 } from '../viewer/core/geometry';

/** A preview the server computed over a box: one value per voxel, C order [z][y][x]; 0 = nothing. */
export interface BoxValues {
  box: { min: Vec3; max: Vec3 };
  values: ArrayLike<number>;
}

export interface SliceBitmap {
  /** Voxel coordinates (along the pane's h and v axes) of the bitmap's top-left pixel. */
  h0: number;
  v0: number;
  width: number;
  height: number;
  data: Uint8ClampedArray;
  /** Non-zero voxels in this slice. */
  count: number;
}

/**
 * The cut of a box preview by a pane's plane (`slice` along axis `n`), as an RGBA bitmap in
 * the pane's axes (h right, v down), coloured by `colorOf(value)`; null when the plane misses
 * the box or cuts no non-zero voxel.
 */
export function previewSlice(p: BoxValues, axes: { h: number; v: number; n: number }, slice: number, colorOf: (value: number) => readonly [number, number, number, number]): SliceBitmap | null {
  const { min, max } = p.box;
  if (slice < min[axes.n] || slice >= max[axes.n]) return null;
  const size = [max[0] - min[0], max[1] - min[1], max[2] - min[2]];
  const strides = [size[1] * size[2], size[2], 1];
  const width = size[axes.h];
  const height = size[axes.v];
  const data = new Uint8ClampedArray(width * height * 4);
  const base = (slice - min[axes.n]) * strides[axes.n];
  let count = 0;
  for (let row = 0; row < height; row++) {
    const rowBase = base + row * strides[axes.v];
    for (let col = 0; col < width; col++) {
      const value = p.values[rowBase + col * strides[axes.h]];
      if (!value) continue;
      data.set(colorOf(value), (row * width + col) * 4);
      count++;
    }
  }
  if (count === 0) return null;
  return { h0: min[axes.h], v0: min[axes.v], width, height, data, count };
}

/** Distinct, saturated colours for split seed groups 1, 2, 3... (group 1 keeps the segment's id). */
export const GROUP_COLORS: readonly [number, number, number][] = [
  [255, 196, 0],
  [0, 200, 255],
  [255, 64, 160],
  [120, 230, 60],
  [170, 110, 255],
  [255, 120, 40],
  [40, 230, 190],
  [240, 240, 240],
];

export function groupColor(group: number): [number, number, number] {
  return GROUP_COLORS[(group - 1) % GROUP_COLORS.length];
}
