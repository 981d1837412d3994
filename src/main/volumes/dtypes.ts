import { AppError } from '../errors';

/** Voxel data types a layer can hold. Names follow numpy / Zarr v3. */
export type DType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'uint64' | 'int64' | 'float32' | 'float64';

export const DTYPES: readonly DType[] = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'uint64', 'int64', 'float32', 'float64'];

export type VoxelArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

type VoxelArrayConstructor = {
  new (length: number): VoxelArray;
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): VoxelArray;
  readonly BYTES_PER_ELEMENT: number;
};

const CONSTRUCTORS: Record<DType, VoxelArrayConstructor> = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  uint64: BigUint64Array,
  int64: BigInt64Array,
  float32: Float32Array,
  float64: Float64Array,
};

export function isDType(s: string): s is DType {
  return (DTYPES as readonly string[]).includes(s);
}

export function bytesPerVoxel(dtype: DType): number {
  return CONSTRUCTORS[dtype].BYTES_PER_ELEMENT;
}

export function isIntegerDType(dtype: DType): boolean {
  return !dtype.startsWith('float');
}

export function isBigDType(dtype: DType): dtype is 'uint64' | 'int64' {
  return dtype === 'uint64' || dtype === 'int64';
}

export function allocate(dtype: DType, length: number): VoxelArray {
  return new CONSTRUCTORS[dtype](length);
}

/** A typed view of `bytes` (which must be aligned to the element size). */
export function viewAs(dtype: DType, bytes: Uint8Array): VoxelArray {
  const C = CONSTRUCTORS[dtype];
  if (bytes.byteOffset % C.BYTES_PER_ELEMENT !== 0) bytes = bytes.slice();
  return new C(bytes.buffer, bytes.byteOffset, bytes.byteLength / C.BYTES_PER_ELEMENT);
}

/** Same as viewAs but always copies into a fresh, exactly sized buffer. */
export function copyAs(dtype: DType, bytes: Uint8Array): VoxelArray {
  return viewAs(dtype, bytes.slice());
}

export function bytesOf(a: VoxelArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export function dtypeOfArray(a: VoxelArray): DType {
  for (const d of DTYPES) if (a instanceof CONSTRUCTORS[d]) return d;
  throw new AppError('UNSUPPORTED', `unsupported array type ${(a as object).constructor.name}`);
}

/** Swaps the byte order of every element in place (for big-endian sources). */
export function swapBytesInPlace(bytes: Uint8Array, elementSize: number): void {
  if (elementSize === 1) return;
  for (let i = 0; i + elementSize <= bytes.length; i += elementSize) {
    for (let a = i, b = i + elementSize - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/**
 * The dtype of a numpy-style type string ('<u2', '|u1', '>f4', 'uint16'), with its byte order.
 * Returns null for types a volume cannot hold (complex, strings, ...).
 */
export function parseNumpyDType(s: string): { dtype: DType; littleEndian: boolean } | null {
  if (isDType(s)) return { dtype: s, littleEndian: true };
  const m = /^([<>|=]?)([uif])(\d)$/.exec(s);
  if (!m) return null;
  const kind = m[2];
  const size = Number(m[3]);
  const name = kind === 'f' ? `float${size * 8}` : `${kind === 'u' ? 'uint' : 'int'}${size * 8}`;
  if (!isDType(name)) return null;
  return { dtype: name, littleEndian: m[1] !== '>' };
}

/** Smallest and largest value representable in `dtype` (as numbers; 64-bit as approximate). */
export function dtypeRange(dtype: DType): [number, number] {
  switch (dtype) {
    case 'uint8':
      return [0, 255];
    case 'int8':
      return [-128, 127];
    case 'uint16':
      return [0, 65535];
    case 'int16':
      return [-32768, 32767];
    case 'uint32':
      return [0, 4294967295];
    case 'int32':
      return [-2147483648, 2147483647];
    case 'uint64':
      return [0, 2 ** 64 - 1];
    case 'int64':
      return [-(2 ** 63), 2 ** 63 - 1];
    default:
      return [-Infinity, Infinity];
  }
}
