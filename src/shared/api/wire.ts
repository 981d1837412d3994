/**
 * WebSocket message encoding that keeps typed arrays binary. A message without typed
 * arrays is a JSON text frame; one with typed arrays is a binary frame:
 *   u32 LE header length | header JSON (UTF-8) | zero padding to 8 bytes | attachments, each 8-aligned
 * where each typed array in the value is replaced in the header by {"$bin": i, "t": type}
 * and attachment i is listed in header.bins as [offset, byteLength].
 */

const TYPES = {
  Uint8Array,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
  BigUint64Array,
  BigInt64Array,
  Uint8ClampedArray,
} as const;
type TypeName = keyof typeof TYPES;

function typeNameOf(v: ArrayBufferView): TypeName {
  const name = v.constructor.name;
  if (name in TYPES) return name as TypeName;
  if (v instanceof Uint8Array) return 'Uint8Array'; // Node's Buffer and other subclasses
  throw new Error(`cannot send ${name} over the wire`);
}

/** A JSON-safe copy of `value` with typed arrays replaced by attachment markers. */
function extract(value: unknown, bins: ArrayBufferView[]): unknown {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' ? { $bigint: value.toString() } : value;
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    bins.push(value);
    return { $bin: bins.length - 1, t: typeNameOf(value) };
  }
  if (Array.isArray(value)) return value.map((v) => extract(v, bins));
  if (value instanceof Date) return value.toISOString();
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = extract(v, bins);
  return out;
}

const align8 = (n: number) => (n + 7) & ~7;

export function encodeMessage(value: unknown): string | Uint8Array {
  const bins: ArrayBufferView[] = [];
  const json = JSON.stringify(extract(value, bins));
  if (bins.length === 0) return json;
  const table: [number, number][] = [];
  // Offsets are relative to the start of the attachment area.
  let offset = 0;
  for (const b of bins) {
    table.push([offset, b.byteLength]);
    offset = align8(offset + b.byteLength);
  }
  const header = new TextEncoder().encode(JSON.stringify({ v: json, bins: table }));
  const start = align8(4 + header.byteLength);
  const out = new Uint8Array(start + offset);
  new DataView(out.buffer).setUint32(0, header.byteLength, true);
  out.set(header, 4);
  bins.forEach((b, i) => out.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), start + table[i][0]));
  return out;
}

export function decodeMessage(data: string | ArrayBuffer | Uint8Array): unknown {
  if (typeof data === 'string') return JSON.parse(data, reviveBigint);
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (bytes.byteLength < 4) throw new Error('binary message too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true);
  if (4 + headerLength > bytes.byteLength) throw new Error('binary message header overruns the frame');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + headerLength))) as { v: string; bins: [number, number][] };
  const start = align8(4 + headerLength);
  return JSON.parse(header.v, (key, v) => {
    if (v && typeof v === 'object' && typeof v.$bin === 'number' && typeof v.t === 'string') {
      const entry = header.bins[v.$bin];
      const Ctor = TYPES[v.t as TypeName];
      if (!entry || !Ctor) throw new Error(`bad attachment ${v.$bin}`);
      const [off, len] = entry;
      if (start + off + len > bytes.byteLength) throw new Error('attachment overruns the frame');
      // Copy into a fresh, aligned buffer so the typed array owns its memory.
      const copy = bytes.slice(start + off, start + off + len);
      return new Ctor(copy.buffer, 0, len / Ctor.BYTES_PER_ELEMENT);
    }
    return reviveBigint(key, v);
  });
}

function reviveBigint(_key: string, v: unknown): unknown {
  if (v && typeof v === 'object' && typeof (v as { $bigint?: unknown }).$bigint === 'string') {
    return BigInt((v as { $bigint: string }).$bigint);
  }
  return v;
}
