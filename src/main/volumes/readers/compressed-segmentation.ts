import { AppError } from '../../errors';
import type { Vec3 } from '../box';

/**
 * Decoder for neuroglancer's compressed_segmentation encoding (single channel), following
 * neuroglancer/src/sliceview/compressed_segmentation/README.md:
 * - word 0: offset (in 32-bit words) of channel 0's data;
 * - per block (x fastest over the block grid): header word 0 = lookup-table offset (low 24 bits)
 *   | bits per index (high 8 bits), header word 1 = offset of the packed indices;
 * - indices packed little-endian into 32-bit words, one per voxel of the FULL block, x fastest;
 * - lookup table entries are 1 (uint32) or 2 (uint64: low, high) words.
 * `shape` is the chunk's actual [z, y, x] size; the result is C-order [z][y][x] words.
 */
export function decodeCompressedSegmentation(input: Uint8Array, shape: Vec3, blockSize: Vec3, words: 1 | 2, where: string): Uint32Array {
  if (input.byteLength % 4 !== 0) throw new AppError('CORRUPT_FILE', `${where}: compressed segmentation data is not a whole number of 32-bit words`);
  const w = input.byteOffset % 4 === 0 ? new Uint32Array(input.buffer, input.byteOffset, input.byteLength / 4) : new Uint32Array(input.slice().buffer);
  const [sz, sy, sx] = shape;
  const [bz, by, bx] = blockSize;
  const out = new Uint32Array(sz * sy * sx * words);
  const base = w[0];
  const gz = Math.ceil(sz / bz);
  const gy = Math.ceil(sy / by);
  const gx = Math.ceil(sx / bx);
  const check = (i: number) => {
    if (i >= w.length) throw new AppError('CORRUPT_FILE', `${where}: compressed segmentation offsets point past the data`);
  };
  for (let kz = 0; kz < gz; kz++)
    for (let ky = 0; ky < gy; ky++)
      for (let kx = 0; kx < gx; kx++) {
        const h = base + 2 * (kx + gx * (ky + gy * kz));
        check(h + 1);
        const table = base + (w[h] & 0xffffff);
        const bits = w[h] >>> 24;
        const values = base + w[h + 1];
        if (![0, 1, 2, 4, 8, 16, 32].includes(bits)) throw new AppError('CORRUPT_FILE', `${where}: invalid compressed segmentation bit width ${bits}`);
        const mask = bits === 32 ? 0xffffffff : (1 << bits) - 1;
        const z1 = Math.min(bz, sz - kz * bz);
        const y1 = Math.min(by, sy - ky * by);
        const x1 = Math.min(bx, sx - kx * bx);
        for (let z = 0; z < z1; z++)
          for (let y = 0; y < y1; y++)
            for (let x = 0; x < x1; x++) {
              let index = 0;
              if (bits > 0) {
                const bit = ((z * by + y) * bx + x) * bits;
                const word = values + (bit >>> 5);
                check(word);
                index = (w[word] >>> (bit & 31)) & mask;
              }
              const entry = table + index * words;
              check(entry + words - 1);
              const o = (((kz * bz + z) * sy + (ky * by + y)) * sx + (kx * bx + x)) * words;
              out[o] = w[entry];
              if (words === 2) out[o + 1] = w[entry + 1];
            }
      }
  return out;
}
