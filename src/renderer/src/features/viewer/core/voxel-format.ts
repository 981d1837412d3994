import type { VoxelData } from './chunk-cache';

/**
 * How each stored dtype travels to the GPU. Label ids stay exact integers (64-bit ids as
 * (lo, hi) uint32 pairs); image values keep their integer type where WebGL2 has one and become
 * float32 otherwise (float64, 64-bit integers).
 */
export type TextureFormat =
  | 'R8UI'
  | 'R8I'
  | 'R16UI'
  | 'R16I'
  | 'R32UI'
  | 'R32I'
  | 'R32F'
  | 'RG32UI';

export interface VoxelFormat {
  texture: TextureFormat;
  sampler: 'uint' | 'int' | 'float';
  /** uint32 words per voxel for 64-bit ids, else 1. */
  components: 1 | 2;
}

export function voxelFormat(dtype: string, isLabels: boolean): VoxelFormat {
  if (isLabels) {
    switch (dtype) {
      case 'uint8':
      case 'int8':
        return { texture: 'R8UI', sampler: 'uint', components: 1 };
      case 'uint16':
      case 'int16':
        return { texture: 'R16UI', sampler: 'uint', components: 1 };
      case 'uint32':
      case 'int32':
        return { texture: 'R32UI', sampler: 'uint', components: 1 };
      case 'uint64':
      case 'int64':
        return { texture: 'RG32UI', sampler: 'uint', components: 2 };
      default:
        throw new Error(`label layers must hold integers, not ${dtype}`);
    }
  }
  switch (dtype) {
    case 'uint8':
      return { texture: 'R8UI', sampler: 'uint', components: 1 };
    case 'int8':
      return { texture: 'R8I', sampler: 'int', components: 1 };
    case 'uint16':
      return { texture: 'R16UI', sampler: 'uint', components: 1 };
    case 'int16':
      return { texture: 'R16I', sampler: 'int', components: 1 };
    case 'uint32':
      return { texture: 'R32UI', sampler: 'uint', components: 1 };
    case 'int32':
      return { texture: 'R32I', sampler: 'int', components: 1 };
    default:
      return { texture: 'R32F', sampler: 'float', components: 1 };
  }
}

const BYTES: Record<string, number> = { uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, uint64: 8, int64: 8, float64: 8 };

export function bytesPerVoxel(dtype: string): number {
  const b = BYTES[dtype];
  if (!b) throw new Error(`unknown dtype ${dtype}`);
  return b;
}

/** Interprets raw little-endian bytes of `dtype` as the typed array the texture format takes. */
export function voxelView(bytes: Uint8Array, dtype: string, isLabels: boolean): VoxelData {
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const { buffer, byteOffset, byteLength } = aligned;
  if (isLabels) {
    if (dtype.endsWith('8')) return new Uint8Array(buffer, byteOffset, byteLength);
    if (dtype.endsWith('16')) return new Uint16Array(buffer, byteOffset, byteLength / 2);
    return new Uint32Array(buffer, byteOffset, byteLength / 4);
  }
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(buffer, byteOffset, byteLength);
    case 'int8':
      return new Int8Array(buffer, byteOffset, byteLength);
    case 'uint16':
      return new Uint16Array(buffer, byteOffset, byteLength / 2);
    case 'int16':
      return new Int16Array(buffer, byteOffset, byteLength / 2);
    case 'uint32':
      return new Uint32Array(buffer, byteOffset, byteLength / 4);
    case 'int32':
      return new Int32Array(buffer, byteOffset, byteLength / 4);
    case 'float32':
      return new Float32Array(buffer, byteOffset, byteLength / 4);
    case 'float64':
      return Float32Array.from(new Float64Array(buffer, byteOffset, byteLength / 8));
    case 'uint64':
      return Float32Array.from(new BigUint64Array(buffer, byteOffset, byteLength / 8), Number);
    case 'int64':
      return Float32Array.from(new BigInt64Array(buffer, byteOffset, byteLength / 8), Number);
    default:
      throw new Error(`unsupported image dtype ${dtype}`);
  }
}

/**
 * The value at voxel index `i` of a chunk as the status bar shows it: a number for images,
 * a bigint id for labels (64-bit ids from their two words).
 */
export function valueAt(data: VoxelData, i: number, components: 1 | 2, isLabels: boolean): number | bigint {
  if (components === 2) {
    const u = data as Uint32Array;
    return (BigInt(u[2 * i + 1]) << 32n) | BigInt(u[2 * i]);
  }
  return isLabels ? BigInt(data[i]) : data[i];
}
