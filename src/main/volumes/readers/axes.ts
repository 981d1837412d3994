import { AppError } from '../../errors';
import type { Vec3 } from '../box';
import { unitToNm } from './tiff-metadata';

/**
 * How a stored N-d array maps onto our [z, y, x]: which stored axis is z, y and x (in that
 * order; other axes must have length 1 and are dropped).
 */
export interface AxisMap {
  /** Stored-axis index of z, y, x. */
  spatial: [number, number, number];
  ndim: number;
}

/** From axis names (OME axes, Zarr v3 dimension_names, xarray _ARRAY_DIMENSIONS) or, without names, the last three axes. */
export function axisMapOf(shape: number[], names: (string | null | undefined)[] | undefined, what: string): AxisMap {
  const ndim = shape.length;
  if (ndim < 2) throw new AppError('UNSUPPORTED', `${what} has ${ndim} dimension(s); a volume needs 2 or 3 spatial axes`);
  let spatial: number[];
  const lower = names?.map((n) => (n ?? '').toLowerCase());
  if (lower && lower.length === ndim && ['z', 'y', 'x'].every((a) => lower.includes(a))) {
    spatial = ['z', 'y', 'x'].map((a) => lower.indexOf(a));
    if (!(spatial[0] < spatial[1] && spatial[1] < spatial[2])) {
      throw new AppError('UNSUPPORTED', `${what} stores its axes as ${names!.join(',')}; only z,y,x order (with any leading axes) can be read in place`);
    }
  } else if (lower && lower.length === ndim && ['y', 'x'].every((a) => lower.includes(a)) && !lower.includes('z')) {
    spatial = [-1, lower.indexOf('y'), lower.indexOf('x')];
  } else {
    spatial = ndim === 2 ? [-1, 0, 1] : [ndim - 3, ndim - 2, ndim - 1];
  }
  for (let i = 0; i < ndim; i++) {
    if (!spatial.includes(i) && shape[i] !== 1) {
      const name = names?.[i] ? `'${names[i]}'` : `${i}`;
      throw new AppError('UNSUPPORTED', `${what} has a non-spatial axis ${name} of length ${shape[i]}; only single-channel volumes are supported`);
    }
  }
  return { spatial: spatial as [number, number, number], ndim };
}

export function spatialOf(values: number[], map: AxisMap, fill = 1): Vec3 {
  return map.spatial.map((i) => (i < 0 ? fill : values[i])) as Vec3;
}

/** Stored-array coordinates of a [z, y, x] chunk coordinate (non-spatial axes at 0). */
export function storedCoord(coord: Vec3, map: AxisMap): number[] {
  const out = new Array<number>(map.ndim).fill(0);
  map.spatial.forEach((axis, k) => {
    if (axis >= 0) out[axis] = coord[k];
  });
  return out;
}

/** Voxel size in nm from OME axes units and a scale vector, or null when a unit is unknown. */
export function omeResolution(axes: { name: string; unit?: string }[] | undefined, scale: number[], map: AxisMap): Vec3 | null {
  const res: number[] = [];
  for (const i of map.spatial) {
    if (i < 0) {
      res.push(1);
      continue;
    }
    const unit = axes?.[i]?.unit;
    const nm = unit ? unitToNm(unit) : null;
    if (nm === null || !(scale[i] > 0)) return null;
    res.push(scale[i] * nm);
  }
  return res as Vec3;
}
