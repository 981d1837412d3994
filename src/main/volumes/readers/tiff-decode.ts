import { promisify } from 'node:util';
import { inflate } from 'node:zlib';
import { getDecoder } from 'geotiff';
import { AppError } from '../../errors';
import { swapBytesInPlace } from '../dtypes';

const inflateAsync = promisify(inflate);

export const COMPRESSION_NAMES: Record<number, string> = {
  1: 'none',
  5: 'LZW',
  6: 'old-style JPEG',
  7: 'JPEG',
  8: 'deflate',
  32946: 'deflate',
  32773: 'PackBits',
  34887: 'LERC',
  50000: 'zstd',
  50001: 'WebP',
};

const SUPPORTED = new Set([1, 5, 8, 32946, 32773, 50000]);

export function compressionSupported(c: number): boolean {
  return SUPPORTED.has(c);
}

export function compressionName(c: number): string {
  return COMPRESSION_NAMES[c] ?? `code ${c}`;
}

type BlockDecoder = { decodeBlock(buf: ArrayBuffer): ArrayBuffer | Promise<ArrayBuffer> };
const geotiffDecoders = new Map<number, Promise<BlockDecoder>>();

/**
 * Decompresses one strip or tile. Deflate runs on node:zlib's thread pool (native, off the
 * calling thread); LZW, PackBits and zstd use geotiff's decoders. Predictors are NOT applied
 * here: geotiff's predictor code handles neither 64-bit samples nor big-endian files.
 */
export async function decompressBlock(compression: number, data: Uint8Array, expectedBytes = 0): Promise<Uint8Array> {
  switch (compression) {
    case 1:
      return data;
    case 8:
    case 32946: {
      const out = await inflateAsync(data, { chunkSize: Math.max(64 * 1024, expectedBytes + 1) });
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    }
    case 5:
    case 32773:
    case 50000: {
      let dec = geotiffDecoders.get(compression);
      if (!dec) {
        // decodeBlock of these decoders ignores the parameters.
        dec = getDecoder(compression, { tileWidth: 1, tileHeight: 1, predictor: 1, bitsPerSample: 8, planarConfiguration: 1 }) as Promise<unknown> as Promise<BlockDecoder>;
        geotiffDecoders.set(compression, dec);
      }
      const copy = data.slice().buffer as ArrayBuffer;
      const out = await (await dec).decodeBlock(copy);
      return new Uint8Array(out);
    }
    default:
      throw new AppError('UNSUPPORTED', `TIFF compression ${compressionName(compression)} is not supported`);
  }
}

/**
 * Turns a decompressed block into little-endian samples: undoes the horizontal (2) or
 * floating-point (3) predictor row by row and fixes the byte order, as libtiff does.
 * `rowLength` is samples per row (tile width or image width).
 */
export function finishBlock(bytes: Uint8Array, bytesPerSample: number, rowLength: number, predictor: number, littleEndian: boolean): Uint8Array {
  const rowBytes = rowLength * bytesPerSample;
  const rows = Math.floor(bytes.length / rowBytes);
  if (predictor === 3) {
    // The floating-point predictor yields native (little-endian) order whatever the file's order.
    for (let r = 0; r < rows; r++) undoFloatPredictor(bytes.subarray(r * rowBytes, (r + 1) * rowBytes), bytesPerSample, rowLength);
    return bytes;
  }
  if (!littleEndian) swapBytesInPlace(bytes, bytesPerSample);
  if (predictor === 2) {
    if (bytes.byteOffset % bytesPerSample !== 0) bytes = bytes.slice();
    for (let r = 0; r < rows; r++) undoHorizontalPredictor(bytes, r * rowBytes, rowLength, bytesPerSample);
  } else if (predictor !== 1) {
    throw new AppError('UNSUPPORTED', `TIFF predictor ${predictor} is not supported`);
  }
  return bytes;
}

function undoHorizontalPredictor(bytes: Uint8Array, byteOffset: number, n: number, size: number): void {
  const at = bytes.byteOffset + byteOffset;
  switch (size) {
    case 1: {
      const a = new Uint8Array(bytes.buffer, at, n);
      for (let i = 1; i < n; i++) a[i] += a[i - 1];
      break;
    }
    case 2: {
      const a = new Uint16Array(bytes.buffer, at, n);
      for (let i = 1; i < n; i++) a[i] += a[i - 1];
      break;
    }
    case 4: {
      const a = new Uint32Array(bytes.buffer, at, n);
      for (let i = 1; i < n; i++) a[i] += a[i - 1];
      break;
    }
    case 8: {
      const a = new BigUint64Array(bytes.buffer, at, n);
      for (let i = 1; i < n; i++) a[i] += a[i - 1];
      break;
    }
    default:
      throw new AppError('UNSUPPORTED', `TIFF predictor 2 with ${size * 8}-bit samples is not supported`);
  }
}

/** Adobe TIFF Technote 3: bytes differenced, then split into planes by significance (MSB first). */
function undoFloatPredictor(row: Uint8Array, size: number, n: number): void {
  for (let i = 1; i < row.length; i++) row[i] = (row[i] + row[i - 1]) & 0xff;
  const planes = row.slice();
  for (let i = 0; i < n; i++) for (let b = 0; b < size; b++) row[i * size + b] = planes[(size - 1 - b) * n + i];
}
