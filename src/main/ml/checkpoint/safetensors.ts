/**
 * safetensors: 8-byte little-endian header length, a JSON header (name -> dtype, shape,
 * data_offsets; optional "__metadata__" of string values), then the raw tensor bytes.
 * Written and read with positioned file I/O so multi-GB checkpoints never sit in one buffer.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { AppError } from '../../errors';

export interface TensorEntry {
  shape: number[];
  data: Float32Array;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export function writeSafetensors(path: string, tensors: Map<string, TensorEntry>, metadata: Record<string, string> = {}): void {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`safetensors: '${name}' has ${t.data.length} values for shape [${t.shape}]`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);
  const fd = openSync(path, 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    writeSync(fd, len);
    writeSync(fd, json);
    for (const t of tensors.values()) {
      const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      for (let o = 0; o < bytes.length; o += 1 << 28) writeSync(fd, bytes.subarray(o, Math.min(bytes.length, o + (1 << 28))));
    }
  } finally {
    closeSync(fd);
  }
}

export interface SafetensorsFile {
  metadata: Record<string, string>;
  tensors: Map<string, TensorEntry>;
}

function readAt(fd: number, pos: number, len: number): Buffer {
  const buf = Buffer.alloc(len);
  let done = 0;
  while (done < len) {
    const n = readSync(fd, buf, done, len - done, pos + done);
    if (n === 0) throw new Error('unexpected end of file');
    done += n;
  }
  return buf;
}

function toFloat32(dtype: string, raw: Buffer, n: number, path: string, name: string): Float32Array {
  if (dtype === 'F32') {
    const out = new Float32Array(n);
    new Uint8Array(out.buffer).set(raw);
    return out;
  }
  if (dtype === 'F64') {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = raw.readDoubleLE(i * 8);
    return out;
  }
  if (dtype === 'F16' || dtype === 'BF16') {
    const out = new Float32Array(n);
    const tmp = new DataView(new ArrayBuffer(4));
    for (let i = 0; i < n; i++) {
      const h = raw.readUInt16LE(i * 2);
      if (dtype === 'BF16') {
        tmp.setUint32(0, h << 16);
        out[i] = tmp.getFloat32(0);
      } else out[i] = halfToFloat(h);
    }
    return out;
  }
  throw new AppError('UNSUPPORTED', `${path}: tensor '${name}' has dtype ${dtype}; only F32/F64/F16/BF16 are supported`);
}

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

export function readSafetensors(path: string, filter?: (name: string) => boolean): SafetensorsFile {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < 8) throw new AppError('CORRUPT_FILE', `${path}: too short to be a safetensors file`);
    const hlen = Number(readAt(fd, 0, 8).readBigUInt64LE());
    if (hlen > size - 8 || hlen > 100 * 1024 * 1024) throw new AppError('CORRUPT_FILE', `${path}: bad safetensors header length ${hlen}`);
    let header: Record<string, HeaderEntry | Record<string, string>>;
    try {
      header = JSON.parse(readAt(fd, 8, hlen).toString('utf8'));
    } catch {
      throw new AppError('CORRUPT_FILE', `${path}: safetensors header is not valid JSON`);
    }
    const base = 8 + hlen;
    const tensors = new Map<string, TensorEntry>();
    for (const [name, e] of Object.entries(header)) {
      if (name === '__metadata__' || (filter && !filter(name))) continue;
      const h = e as HeaderEntry;
      const [a, b] = h.data_offsets;
      const n = h.shape.reduce((p, q) => p * q, 1);
      if (base + b > size || b < a) throw new AppError('CORRUPT_FILE', `${path}: tensor '${name}' lies outside the file`);
      tensors.set(name, { shape: h.shape, data: toFloat32(h.dtype, readAt(fd, base + a, b - a), n, path, name) });
    }
    return { metadata: (header.__metadata__ as Record<string, string>) ?? {}, tensors };
  } finally {
    closeSync(fd);
  }
}
