import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants } from 'node:zlib';
import { AppError } from '../errors';
import { bytesOf, type VoxelArray } from '../volumes/dtypes';

const compress = promisify(brotliCompress);
const decompress = promisify(brotliDecompress);
/** Brotli quality 3: on mostly-zero deltas ~15x smaller than gzip level 1, and as fast. */
const QUALITY = 3;

/**
 * How the history stores a rewritten chunk: SHA-256 of its voxels before and after the edit,
 * and brotli(before XOR after). XOR is its own inverse, so the delta turns either state into the
 * other: undo, redo and crash recovery read the chunk, see which of the two states it is in
 * (or that it is in neither, and refuse), and apply the delta when needed. A brush stroke's
 * delta is mostly zeros and compresses to a few hundred bytes (a 64^3 chunk whose ~500 voxels
 * changed: ~150-300 bytes; gzip level 1 would take ~5 KB).
 */
export function voxelHash(data: VoxelArray): Buffer {
  return createHash('sha256').update(bytesOf(data)).digest();
}

function xorInto(target: Uint8Array, other: Uint8Array): void {
  if (target.byteLength !== other.byteLength) throw new AppError('INTERNAL', `chunk delta of ${other.byteLength} bytes does not fit a chunk of ${target.byteLength}`);
  if (target.byteOffset % 4 === 0 && other.byteOffset % 4 === 0 && target.byteLength % 4 === 0) {
    const a = new Uint32Array(target.buffer, target.byteOffset, target.byteLength / 4);
    const b = new Uint32Array(other.buffer, other.byteOffset, other.byteLength / 4);
    for (let i = 0; i < a.length; i++) a[i] ^= b[i];
    return;
  }
  for (let i = 0; i < target.length; i++) target[i] ^= other[i];
}

export async function encodeDelta(before: VoxelArray, after: VoxelArray): Promise<Buffer> {
  const x = bytesOf(before).slice();
  xorInto(x, bytesOf(after));
  return compress(x, { params: { [constants.BROTLI_PARAM_QUALITY]: QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: x.byteLength } });
}

/** The other state: a copy of `data` with the delta applied. */
export async function applyDelta(data: VoxelArray, delta: Buffer): Promise<VoxelArray> {
  const out = data.slice() as VoxelArray;
  xorInto(bytesOf(out), await decompress(delta));
  return out;
}
