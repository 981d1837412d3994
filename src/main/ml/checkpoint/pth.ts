/**
 * Reads PyTorch `.pth` checkpoints (the zip format of torch >= 1.6) without executing any
 * pickled code: the restricted unpickler rebuilds only dicts and tensor descriptors, whose
 * bytes are then read from the archive's data/ entries.
 */
import { AppError } from '../../errors';
import { PyCall, type TensorRef, unpickle } from './pickle';
import type { TensorEntry } from './safetensors';
import { halfToFloat } from './safetensors';
import { ZipReader } from './zip';

const STORAGE_BYTES: Record<string, number> = {
  FloatStorage: 4,
  DoubleStorage: 8,
  HalfStorage: 2,
  BFloat16Storage: 2,
  LongStorage: 8,
  IntStorage: 4,
  ShortStorage: 2,
  CharStorage: 1,
  ByteStorage: 1,
  BoolStorage: 1,
};

function readElement(buf: Buffer, type: string, i: number): number {
  switch (type) {
    case 'FloatStorage': return buf.readFloatLE(i * 4);
    case 'DoubleStorage': return buf.readDoubleLE(i * 8);
    case 'HalfStorage': return halfToFloat(buf.readUInt16LE(i * 2));
    case 'BFloat16Storage': {
      const b = Buffer.alloc(4);
      b.writeUInt16LE(buf.readUInt16LE(i * 2), 2);
      return b.readFloatLE(0);
    }
    case 'LongStorage': return Number(buf.readBigInt64LE(i * 8));
    case 'IntStorage': return buf.readInt32LE(i * 4);
    case 'ShortStorage': return buf.readInt16LE(i * 2);
    case 'CharStorage': return buf.readInt8(i);
    default: return buf[i];
  }
}

export interface PthContents {
  /** Tensors of the state dict (names as stored, prefixes included). */
  tensors: Map<string, TensorEntry>;
  /** Which top-level key held the state dict ('' when the file is a bare state dict). */
  stateDictKey: string;
  /** Other top-level keys (epoch, optimizer, ...), not interpreted. */
  otherKeys: string[];
  /** Entries that were neither tensors nor skipped silently (e.g. non-float buffers). */
  skipped: string[];
}

function isTensorRef(v: unknown): v is TensorRef {
  return !!v && typeof v === 'object' && (v as TensorRef).kind === 'tensor';
}

export function readPth(path: string): PthContents {
  const zip = (() => {
    try {
      return new ZipReader(path);
    } catch (e) {
      if (e instanceof AppError) {
        throw new AppError('UNSUPPORTED', `${path}: not a zip-format PyTorch checkpoint (saved by torch < 1.6 or not a .pth file): ${e.message}`);
      }
      throw e;
    }
  })();
  try {
    const pkl = [...zip.entries.keys()].find((n) => n.endsWith('data.pkl') && n.split('/').length <= 2);
    if (!pkl) throw new AppError('CORRUPT_FILE', `${path}: no data.pkl in the archive`);
    const prefix = pkl.slice(0, -'data.pkl'.length);
    const root = unpickle(zip.read(pkl), `${path}:${pkl}`);
    if (!(root instanceof Map)) throw new AppError('UNSUPPORTED', `${path}: the checkpoint is not a dict (got ${root instanceof PyCall ? 'an object' : typeof root})`);
    let stateDictKey = '';
    let sd: Map<unknown, unknown> = root;
    for (const key of ['model', 'state_dict', 'model_state_dict', 'net', 'network']) {
      const v = root.get(key);
      if (v instanceof Map) {
        stateDictKey = key;
        sd = v;
        break;
      }
    }
    const tensors = new Map<string, TensorEntry>();
    const skipped: string[] = [];
    const storageCache = new Map<string, Buffer>();
    for (const [k, v] of sd) {
      const name = String(k);
      if (!isTensorRef(v)) {
        skipped.push(name);
        continue;
      }
      const type = v.storage.type;
      const width = STORAGE_BYTES[type];
      if (!width) throw new AppError('UNSUPPORTED', `${path}: tensor '${name}' uses storage ${type}`);
      let buf = storageCache.get(v.storage.key);
      if (!buf) {
        const raw = zip.read(`${prefix}data/${v.storage.key}`);
        buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
        storageCache.set(v.storage.key, buf);
      }
      const n = v.shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(n);
      const contiguous = v.stride.every((s, i) => s === v.shape.slice(i + 1).reduce((a, b) => a * b, 1));
      if (contiguous && type === 'FloatStorage') {
        new Uint8Array(data.buffer).set(buf.subarray(v.offset * 4, (v.offset + n) * 4));
      } else {
        const idx = new Array<number>(v.shape.length).fill(0);
        for (let i = 0; i < n; i++) {
          let off = v.offset;
          for (let a = 0; a < idx.length; a++) off += idx[a] * v.stride[a];
          data[i] = readElement(buf, type, off);
          for (let a = idx.length - 1; a >= 0; a--) {
            if (++idx[a] < v.shape[a]) break;
            idx[a] = 0;
          }
        }
      }
      tensors.set(name, { shape: v.shape, data });
    }
    const otherKeys = stateDictKey ? [...root.keys()].map(String).filter((k) => k !== stateDictKey) : [];
    return { tensors, stateDictKey, otherKeys, skipped };
  } finally {
    zip.close();
  }
}
