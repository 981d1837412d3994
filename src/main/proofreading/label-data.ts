import { createHash } from 'node:crypto';
import { AppError } from '../errors';
import type { DType, VoxelArray } from '../volumes/dtypes';

/**
 * Label voxels as the tools compute with them: uint32 layers as Uint32Array, uint64 layers
 * as Float64Array (exact for ids up to 2^53, which every edit checks).
 */
export type LabelData = Uint32Array | Float64Array;

/** A fresh working copy of stored label voxels. */
export function copyLabelData(a: VoxelArray): LabelData {
  if (a instanceof Uint32Array) return a.slice();
  if (a instanceof BigUint64Array) {
    const words = new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
    const out = new Float64Array(a.length);
    for (let i = 0; i < out.length; i++) out[i] = words[2 * i] + words[2 * i + 1] * 4294967296;
    return out;
  }
  throw new AppError('UNSUPPORTED', `label voxels must be uint32 or uint64, not ${(a as object).constructor.name}`);
}

/** Read-only view: uint32 data as is (no copy), uint64 converted. Never modify the result. */
export function viewLabelData(a: VoxelArray): LabelData {
  return a instanceof Uint32Array ? a : copyLabelData(a);
}

/** Stored voxels of `dtype` from a working array. */
export function storedFromLabelData(d: LabelData, dtype: DType): VoxelArray {
  if (dtype === 'uint32') {
    if (d instanceof Uint32Array) return d;
    return Uint32Array.from(d);
  }
  const out = new BigUint64Array(d.length);
  const words = new Uint32Array(out.buffer);
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    words[2 * i] = v % 4294967296;
    words[2 * i + 1] = Math.floor(v / 4294967296);
  }
  return out;
}

export function newLabelData(dtype: DType, length: number): LabelData {
  return dtype === 'uint32' ? new Uint32Array(length) : new Float64Array(length);
}

/** Content hash of a chunk file's bytes (null: no file, an all-zero chunk). */
export function chunkHash(bytes: Uint8Array | null): string | null {
  return bytes ? createHash('sha256').update(bytes).digest('hex') : null;
}
