/** Label volumes of any stored type as the uint32 ids the segmentation kernels take. */
import { AppError } from '../errors';
import type { VoxelArray } from '../volumes/dtypes';

/**
 * uint8/16/32 pass through (uint32 copy); signed and float ids must be non-negative integers;
 * 64-bit ids are renumbered 1..n in order of appearance (0 stays 0) when any exceeds 2^32 - 1;
 * with a `renumber` map (shared by every block of one volume) 64-bit ids are always renumbered.
 */
export function toUint32Labels(data: VoxelArray, what: string, renumber?: Map<bigint, number>): Uint32Array {
  if (data instanceof Uint32Array) return data;
  if (data instanceof Uint8Array || data instanceof Uint16Array) return Uint32Array.from(data);
  if (data instanceof BigUint64Array || data instanceof BigInt64Array) {
    let big = !!renumber;
    for (let i = 0; i < data.length && !big; i++) if (data[i] > 0xffffffffn || data[i] < 0n) big = true;
    if (!big) return Uint32Array.from(data, (v) => Number(v));
    const ids = renumber ?? new Map<bigint, number>();
    const out = new Uint32Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v === 0n) continue;
      let id = ids.get(v);
      if (id === undefined) ids.set(v, (id = ids.size + 1));
      out[i] = id;
    }
    return out;
  }
  const out = new Uint32Array(data.length);
  const a = data as ArrayLike<number>;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (!(v >= 0 && Number.isInteger(v) && v <= 0xffffffff)) {
      throw new AppError('BAD_REQUEST', `${what} holds ${v}, not a label id (labels must be non-negative integers)`);
    }
    out[i] = v;
  }
  return out;
}
