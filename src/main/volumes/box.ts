import { AppError } from '../errors';
import type { VoxelArray } from './dtypes';

/** [z, y, x]: shapes, coordinates, voxel sizes. */
export type Vec3 = [number, number, number];

/** A box of voxels, `min` inclusive, `max` exclusive, in [z, y, x] order. */
export interface Box {
  min: Vec3;
  max: Vec3;
}

export function boxOfShape(shape: Vec3): Box {
  return { min: [0, 0, 0], max: [...shape] as Vec3 };
}

export function boxSize(b: Box): Vec3 {
  return [b.max[0] - b.min[0], b.max[1] - b.min[1], b.max[2] - b.min[2]];
}

export function voxelCount(shapeOrBox: Vec3 | Box): number {
  const s = Array.isArray(shapeOrBox) ? shapeOrBox : boxSize(shapeOrBox);
  return s[0] * s[1] * s[2];
}

export function intersect(a: Box, b: Box): Box | null {
  const min: Vec3 = [0, 0, 0];
  const max: Vec3 = [0, 0, 0];
  for (let i = 0; i < 3; i++) {
    min[i] = Math.max(a.min[i], b.min[i]);
    max[i] = Math.min(a.max[i], b.max[i]);
    if (max[i] <= min[i]) return null;
  }
  return { min, max };
}

export function boxInside(inner: Box, outer: Box): boolean {
  for (let i = 0; i < 3; i++) if (inner.min[i] < outer.min[i] || inner.max[i] > outer.max[i]) return false;
  return true;
}

export function isEmptyBox(b: Box): boolean {
  return b.max[0] <= b.min[0] || b.max[1] <= b.min[1] || b.max[2] <= b.min[2];
}

export function formatShape(s: readonly number[]): string {
  return s.join('x');
}

export function formatBox(b: Box): string {
  return `${b.min[0]}:${b.max[0]},${b.min[1]}:${b.max[1]},${b.min[2]}:${b.max[2]}`;
}

/** Throws a BAD_REQUEST naming `what` when `box` is empty or leaves `shape`. */
export function assertBoxInShape(box: Box, shape: Vec3, what: string): void {
  for (let i = 0; i < 3; i++) {
    const ok = Number.isInteger(box.min[i]) && Number.isInteger(box.max[i]) && box.min[i] >= 0 && box.max[i] <= shape[i] && box.min[i] < box.max[i];
    if (!ok) throw new AppError('BAD_REQUEST', `region ${formatBox(box)} is empty or outside ${what} (shape ${formatShape(shape)})`);
  }
}

/** Parses "z0:z1,y0:y1,x0:x1" (empty bounds mean the whole axis) against a volume shape. */
export function parseRoi(text: string, shape: Vec3): Box {
  const parts = text.split(',');
  if (parts.length !== 3) throw new AppError('BAD_REQUEST', `ROI '${text}' must be z0:z1,y0:y1,x0:x1`);
  const min: Vec3 = [0, 0, 0];
  const max: Vec3 = [0, 0, 0];
  parts.forEach((p, i) => {
    const m = /^\s*(\d*)\s*:\s*(\d*)\s*$/.exec(p);
    if (!m) throw new AppError('BAD_REQUEST', `ROI '${text}': '${p}' is not a range like 0:64`);
    min[i] = m[1] === '' ? 0 : Number(m[1]);
    max[i] = m[2] === '' ? shape[i] : Number(m[2]);
  });
  const box = { min, max };
  assertBoxInShape(box, shape, 'the layer');
  return box;
}

/** Index ranges of the chunks (of `chunkShape`) that `box` touches: [first, last] inclusive per axis. */
export function chunkRange(box: Box, chunkShape: Vec3): { first: Vec3; last: Vec3 } {
  const first: Vec3 = [0, 0, 0];
  const last: Vec3 = [0, 0, 0];
  for (let i = 0; i < 3; i++) {
    first[i] = Math.floor(box.min[i] / chunkShape[i]);
    last[i] = Math.floor((box.max[i] - 1) / chunkShape[i]);
  }
  return { first, last };
}

/** All chunk coordinates touching `box`, in z, y, x order (x fastest). */
export function chunksInBox(box: Box, chunkShape: Vec3): Vec3[] {
  const { first, last } = chunkRange(box, chunkShape);
  const out: Vec3[] = [];
  for (let z = first[0]; z <= last[0]; z++)
    for (let y = first[1]; y <= last[1]; y++) for (let x = first[2]; x <= last[2]; x++) out.push([z, y, x]);
  return out;
}

export function chunkGridShape(shape: Vec3, chunkShape: Vec3): Vec3 {
  return [Math.ceil(shape[0] / chunkShape[0]), Math.ceil(shape[1] / chunkShape[1]), Math.ceil(shape[2] / chunkShape[2])];
}

/** The voxels chunk `coord` covers, clipped to the volume `shape`. */
export function chunkBox(coord: Vec3, chunkShape: Vec3, shape: Vec3): Box {
  const min: Vec3 = [0, 0, 0];
  const max: Vec3 = [0, 0, 0];
  for (let i = 0; i < 3; i++) {
    min[i] = coord[i] * chunkShape[i];
    max[i] = Math.min(shape[i], min[i] + chunkShape[i]);
  }
  return { min, max };
}

/**
 * Copies the voxels of `region` (global coordinates) from `src`, a C-order block of shape
 * `srcShape` whose first voxel sits at `srcOrigin`, into `dst` (shape `dstShape` at `dstOrigin`).
 * Same-typed arrays are copied as bytes with Buffer#copy, which takes offsets instead of views
 * (no object allocated per row); different types convert value by value as TypedArray#set does.
 */
export function copyRegion(
  src: VoxelArray,
  srcShape: Vec3,
  srcOrigin: Vec3,
  dst: VoxelArray,
  dstShape: Vec3,
  dstOrigin: Vec3,
  region: Box,
): void {
  const [rz, ry, rx] = boxSize(region);
  if (src.constructor !== dst.constructor) {
    copyRegionConverting(src, srcShape, srcOrigin, dst, dstShape, dstOrigin, region);
    return;
  }
  const e = src.BYTES_PER_ELEMENT;
  const s = Buffer.from(src.buffer, src.byteOffset, src.byteLength);
  const d = Buffer.from(dst.buffer, dst.byteOffset, dst.byteLength);
  const sRow = srcShape[2] * e;
  const dRow = dstShape[2] * e;
  const sPlane = srcShape[1] * sRow;
  const dPlane = dstShape[1] * dRow;
  const rowBytes = rx * e;
  const sx = (region.min[2] - srcOrigin[2]) * e;
  const dx = (region.min[2] - dstOrigin[2]) * e;
  const contiguous = rowBytes === sRow && rowBytes === dRow;
  for (let z = 0; z < rz; z++) {
    let a = (region.min[0] - srcOrigin[0] + z) * sPlane + (region.min[1] - srcOrigin[1]) * sRow + sx;
    let b = (region.min[0] - dstOrigin[0] + z) * dPlane + (region.min[1] - dstOrigin[1]) * dRow + dx;
    if (contiguous) {
      s.copy(d, b, a, a + ry * rowBytes);
      continue;
    }
    for (let y = 0; y < ry; y++, a += sRow, b += dRow) s.copy(d, b, a, a + rowBytes);
  }
}

function copyRegionConverting(src: VoxelArray, srcShape: Vec3, srcOrigin: Vec3, dst: VoxelArray, dstShape: Vec3, dstOrigin: Vec3, region: Box): void {
  const [rz, ry, rx] = boxSize(region);
  const s = src as unknown as { subarray(a: number, b: number): ArrayLike<never> };
  const d = dst as unknown as { set(a: ArrayLike<never>, o: number): void };
  for (let z = 0; z < rz; z++)
    for (let y = 0; y < ry; y++) {
      const a = ((region.min[0] - srcOrigin[0] + z) * srcShape[1] + region.min[1] - srcOrigin[1] + y) * srcShape[2] + region.min[2] - srcOrigin[2];
      d.set(s.subarray(a, a + rx), ((region.min[0] - dstOrigin[0] + z) * dstShape[1] + region.min[1] - dstOrigin[1] + y) * dstShape[2] + region.min[2] - dstOrigin[2]);
    }
}
