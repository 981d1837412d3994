/**
 * A restricted pickle reader for PyTorch checkpoints. It never executes anything: globals
 * become inert `PyGlobal` markers, and REDUCE/NEWOBJ only build data for a short allow-list
 * (OrderedDict, torch's tensor/parameter rebuild functions); anything else stays an inert
 * `PyCall` record that callers can inspect or ignore.
 */
import { AppError } from '../../errors';

export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An un-executed call (REDUCE / NEWOBJ) of a callable outside the allow-list. */
export class PyCall {
  state: unknown = undefined;
  constructor(
    readonly callable: unknown,
    readonly args: unknown[],
  ) {}
}

export interface StorageRef {
  kind: 'storage';
  /** e.g. FloatStorage, HalfStorage */
  type: string;
  key: string;
  numel: number;
}

export interface TensorRef {
  kind: 'tensor';
  storage: StorageRef;
  offset: number;
  shape: number[];
  stride: number[];
}

const MARK = Symbol('mark');

function asArray(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${what}: expected a tuple`);
  return v;
}

function rebuildTensor(args: unknown[]): TensorRef {
  const [storage, offset, size, stride] = args;
  if (!storage || (storage as StorageRef).kind !== 'storage') throw new Error('tensor rebuild without a storage');
  return {
    kind: 'tensor',
    storage: storage as StorageRef,
    offset: Number(offset),
    shape: asArray(size, 'size').map(Number),
    stride: asArray(stride, 'stride').map(Number),
  };
}

/** The only callables whose effect is reproduced (as pure data construction). */
const ALLOWED: Record<string, (args: unknown[]) => unknown> = {
  'collections.OrderedDict': () => new Map(),
  'torch._utils._rebuild_tensor_v2': rebuildTensor,
  'torch._utils._rebuild_tensor': rebuildTensor,
  'torch._utils._rebuild_parameter': (args) => args[0],
  'torch._utils._rebuild_parameter_with_state': (args) => args[0],
};

export function unpickle(data: Uint8Array, source = 'pickle'): unknown {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let p = 0;
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  const fail = (msg: string): never => {
    throw new AppError('CORRUPT_FILE', `${source}: ${msg} (at byte ${p})`);
  };
  const popMark = (): unknown[] => {
    const items: unknown[] = [];
    for (;;) {
      if (!stack.length) fail('MARK not found');
      const v = stack.pop();
      if (v === MARK) return items.reverse();
      items.push(v);
    }
  };
  const readLine = () => {
    const end = buf.indexOf(0x0a, p);
    if (end < 0) fail('unterminated line');
    const s = buf.toString('latin1', p, end);
    p = end + 1;
    return s;
  };
  const need = (n: number) => {
    if (p + n > buf.length) fail('truncated');
  };
  const u8 = () => (need(1), buf[p++]);
  const u16 = () => (need(2), (p += 2), buf.readUInt16LE(p - 2));
  const u32 = () => (need(4), (p += 4), buf.readUInt32LE(p - 4));
  const i32 = () => (need(4), (p += 4), buf.readInt32LE(p - 4));
  const u64 = () => (need(8), (p += 8), Number(buf.readBigUInt64LE(p - 8)));
  const bytes = (n: number) => (need(n), (p += n), buf.subarray(p - n, p));
  const str = (n: number) => bytes(n).toString('utf8');
  const setItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof Map)) fail('SETITEM(S) on a non-dict');
    for (let i = 0; i < items.length; i += 2) (target as Map<unknown, unknown>).set(items[i], items[i + 1]);
  };
  const call = (fn: unknown, args: unknown[]): unknown => {
    if (fn instanceof PyGlobal) {
      const h = ALLOWED[fn.qualified];
      if (h) return h(args);
    }
    return new PyCall(fn, args);
  };
  const littleLong = (b: Buffer): number => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return Number(v);
  };

  while (p < buf.length) {
    const op = buf[p++];
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: u64(); break; // FRAME
      case 0x7d: stack.push(new Map()); break; // }
      case 0x5d: stack.push([]); break; // ]
      case 0x29: stack.push([]); break; // )
      case 0x28: stack.push(MARK); break; // (
      case 0x71: memo.set(u8(), stack[stack.length - 1]); break; // q BINPUT
      case 0x72: memo.set(u32(), stack[stack.length - 1]); break; // r LONG_BINPUT
      case 0x94: memo.set(memo.size, stack[stack.length - 1]); break; // MEMOIZE
      case 0x68: stack.push(memo.get(u8())); break; // h BINGET
      case 0x6a: stack.push(memo.get(u32())); break; // j LONG_BINGET
      case 0x70: memo.set(Number(readLine()), stack[stack.length - 1]); break; // p PUT
      case 0x67: stack.push(memo.get(Number(readLine()))); break; // g GET
      case 0x4a: stack.push(i32()); break; // J BININT
      case 0x4b: stack.push(u8()); break; // K BININT1
      case 0x4d: stack.push(u16()); break; // M BININT2
      case 0x8a: stack.push(littleLong(bytes(u8()))); break; // LONG1
      case 0x8b: stack.push(littleLong(bytes(u32()))); break; // LONG4
      case 0x49: { // I INT (text)
        const s = readLine();
        stack.push(s === '01' ? true : s === '00' ? false : Number(s));
        break;
      }
      case 0x4c: stack.push(Number(readLine().replace(/L$/, ''))); break; // L LONG (text)
      case 0x46: stack.push(Number(readLine())); break; // F FLOAT (text)
      case 0x47: need(8); p += 8; stack.push(buf.readDoubleBE(p - 8)); break; // G BINFLOAT
      case 0x58: stack.push(str(u32())); break; // X BINUNICODE
      case 0x8c: stack.push(str(u8())); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(str(u64())); break; // BINUNICODE8
      case 0x54: stack.push(bytes(u32()).toString('latin1')); break; // T BINSTRING
      case 0x55: stack.push(bytes(u8()).toString('latin1')); break; // U SHORT_BINSTRING
      case 0x43: stack.push(Uint8Array.from(bytes(u8()))); break; // C SHORT_BINBYTES
      case 0x42: stack.push(Uint8Array.from(bytes(u32()))); break; // B BINBYTES
      case 0x8e: stack.push(Uint8Array.from(bytes(u64()))); break; // BINBYTES8
      case 0x4e: stack.push(null); break; // N NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x74: stack.push(popMark()); break; // t TUPLE
      case 0x85: stack.push([stack.pop()]); break; // TUPLE1
      case 0x86: { const b = stack.pop(); const a = stack.pop(); stack.push([a, b]); break; } // TUPLE2
      case 0x87: { const c = stack.pop(); const b = stack.pop(); const a = stack.pop(); stack.push([a, b, c]); break; } // TUPLE3
      case 0x6c: stack.push(popMark()); break; // l LIST
      case 0x61: { const v = stack.pop(); (stack[stack.length - 1] as unknown[]).push(v); break; } // a APPEND
      case 0x65: { const items = popMark(); const list = stack[stack.length - 1]; if (Array.isArray(list)) list.push(...items); break; } // e APPENDS
      case 0x64: { const items = popMark(); const m = new Map(); setItems(m, items); stack.push(m); break; } // d DICT
      case 0x73: { const v = stack.pop(); const k = stack.pop(); setItems(stack[stack.length - 1], [k, v]); break; } // s SETITEM
      case 0x75: { const items = popMark(); setItems(stack[stack.length - 1], items); break; } // u SETITEMS
      case 0x8f: stack.push(new Set()); break; // EMPTY_SET
      case 0x90: { const items = popMark(); const s = stack[stack.length - 1]; if (s instanceof Set) items.forEach((i) => s.add(i)); break; } // ADDITEMS
      case 0x91: stack.push(new Set(popMark())); break; // FROZENSET
      case 0x63: { const mod = readLine(); const name = readLine(); stack.push(new PyGlobal(mod, name)); break; } // c GLOBAL
      case 0x93: { const name = stack.pop(); const mod = stack.pop(); stack.push(new PyGlobal(String(mod), String(name))); break; } // STACK_GLOBAL
      case 0x52: { const args = stack.pop(); const fn = stack.pop(); stack.push(call(fn, asArray(args, 'REDUCE args'))); break; } // R REDUCE
      case 0x81: { const args = stack.pop(); const cls = stack.pop(); stack.push(call(cls, asArray(args, 'NEWOBJ args'))); break; } // NEWOBJ
      case 0x92: { stack.pop(); const args = stack.pop(); const cls = stack.pop(); stack.push(call(cls, asArray(args, 'NEWOBJ_EX args'))); break; } // NEWOBJ_EX
      case 0x62: { // b BUILD
        const state = stack.pop();
        const obj = stack[stack.length - 1];
        if (obj instanceof PyCall) obj.state = state;
        else if (obj instanceof Map && state instanceof Map) for (const [k, v] of state) obj.set(k, v);
        break;
      }
      case 0x51: { // Q BINPERSID
        const pid = asArray(stack.pop(), 'persistent id');
        if (pid[0] !== 'storage') fail(`unsupported persistent id '${String(pid[0])}'`);
        const type = pid[1] instanceof PyGlobal ? pid[1].name : String(pid[1]);
        stack.push({ kind: 'storage', type, key: String(pid[2]), numel: Number(pid[4]) } satisfies StorageRef);
        break;
      }
      case 0x30: stack.pop(); break; // 0 POP
      case 0x31: popMark(); break; // 1 POP_MARK
      case 0x32: stack.push(stack[stack.length - 1]); break; // 2 DUP
      case 0x2e: // . STOP
        return stack.pop();
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16)}`);
    }
  }
  return fail('no STOP opcode');
}
