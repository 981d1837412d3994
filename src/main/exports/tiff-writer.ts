import { open, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { deflate } from 'node:zlib';
import { CancelledError } from '../errors';
import { boxSize, type Box, type Vec3 } from '../volumes/box';
import { mapLimit } from '../volumes/concurrency';
import { bytesOf, bytesPerVoxel, type DType, type VoxelArray } from '../volumes/dtypes';

const deflateAsync = promisify(deflate);
/** zlib level for exported strips: fast, exports are often tens of GB. */
const DEFLATE_LEVEL = 1;
const TARGET_STRIP_BYTES = 256 * 1024;

export interface TiffVolumeSpec {
  dtype: DType;
  shape: Vec3;
  /** nm; written to the description and as X/YResolution when known. */
  resolution: Vec3 | null;
  /** Chunk shape of the source: reads are aligned to it so each chunk is read once. */
  sourceChunkShape: Vec3;
}

export interface TiffWriteOptions {
  signal?: AbortSignal;
  progress?: (fraction: number, message: string) => void;
  /** Bytes of one source read (z-slab x y-band x full width). Default 64 MiB. */
  blockBytes?: number;
}

const SAMPLE_FORMAT: Record<DType, number> = {
  uint8: 1,
  uint16: 1,
  uint32: 1,
  uint64: 1,
  int8: 2,
  int16: 2,
  int32: 2,
  int64: 2,
  float32: 3,
  float64: 3,
};

// BigTIFF field types
const SHORT = 3;
const LONG = 4;
const RATIONAL = 5;
const ASCII = 2;
const LONG8 = 16;

interface Entry {
  tag: number;
  type: number;
  values: number[] | Uint8Array;
}

function entryBytes(e: Entry): Uint8Array {
  if (e.values instanceof Uint8Array) return e.values;
  const size = e.type === SHORT ? 2 : e.type === LONG ? 4 : 8;
  const count = e.type === RATIONAL ? e.values.length / 2 : e.values.length;
  const out = new Uint8Array(count * size);
  const dv = new DataView(out.buffer);
  e.values.forEach((v, i) => {
    if (e.type === SHORT) dv.setUint16(i * 2, v, true);
    else if (e.type === LONG || e.type === RATIONAL) dv.setUint32(i * 4, v, true);
    else dv.setBigUint64(i * 8, BigInt(v), true);
  });
  return out;
}

function entryCount(e: Entry): number {
  if (e.values instanceof Uint8Array) return e.values.length;
  return e.type === RATIONAL ? e.values.length / 2 : e.values.length;
}

/** One BigTIFF IFD (entries sorted by tag) with its out-of-line values right after it. */
function encodeIfd(entries: Entry[], at: number): Uint8Array {
  entries.sort((a, b) => a.tag - b.tag);
  const head = 8 + entries.length * 20 + 8;
  const payloads = entries.map(entryBytes);
  const extra = payloads.reduce((n, p) => n + (p.length > 8 ? p.length + (p.length % 2) : 0), 0);
  const out = new Uint8Array(head + extra);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(entries.length), true);
  let tail = head;
  entries.forEach((e, i) => {
    const p = 8 + i * 20;
    dv.setUint16(p, e.tag, true);
    dv.setUint16(p + 2, e.type, true);
    dv.setBigUint64(p + 4, BigInt(entryCount(e)), true);
    const bytes = payloads[i];
    if (bytes.length <= 8) out.set(bytes, p + 12);
    else {
      dv.setBigUint64(p + 12, BigInt(at + tail), true);
      out.set(bytes, tail);
      tail += bytes.length + (bytes.length % 2);
    }
  });
  // next-IFD offset (at head - 8) is patched when the next page is written
  return out;
}

function rational(v: number): number[] {
  const den = 1000;
  return [Math.max(1, Math.round(v * den)), den];
}

/**
 * Writes a multi-page BigTIFF (one page per z section, little endian, deflate-compressed strips,
 * no predictor). Reads the source in chunk-aligned z-slabs x y-bands so memory stays bounded
 * and every source chunk is read once; strips of different pages interleave in the file and
 * each slab's IFDs are written once its pages are complete.
 */
export async function writeBigTiff(path: string, spec: TiffVolumeSpec, read: (box: Box) => Promise<VoxelArray>, opts: TiffWriteOptions = {}): Promise<void> {
  const [Z, Y, X] = spec.shape;
  const bpv = bytesPerVoxel(spec.dtype);
  const rowBytes = X * bpv;
  const [cz, cy] = spec.sourceChunkShape;
  let rowsPerStrip = 1;
  while (rowsPerStrip * 2 <= Math.min(Y, cy) && rowsPerStrip * 2 * rowBytes <= TARGET_STRIP_BYTES) rowsPerStrip *= 2;
  const slabDepth = Math.max(1, Math.min(cz, Z));
  const blockBytes = opts.blockBytes ?? 64 * 1024 * 1024;
  // Bands: whole source chunk rows when affordable, always whole strips.
  const unit = Math.max(rowsPerStrip, cy);
  const affordable = Math.max(unit, Math.floor(blockBytes / (slabDepth * rowBytes) / unit) * unit);
  const bandRows = Math.min(Math.ceil(Y / rowsPerStrip) * rowsPerStrip, Math.max(rowsPerStrip, Math.floor(affordable / rowsPerStrip) * rowsPerStrip));
  const stripsPerPage = Math.ceil(Y / rowsPerStrip);

  const fh: FileHandle = await open(path, 'wx');
  try {
    let pos = 16;
    const header = new Uint8Array(16);
    const hv = new DataView(header.buffer);
    header[0] = 0x49;
    header[1] = 0x49;
    hv.setUint16(2, 43, true);
    hv.setUint16(4, 8, true);
    hv.setUint16(6, 0, true);
    await fh.write(header, 0, 16, 0);
    let nextPointerAt = 8; // where the offset of the next IFD goes (header first)
    const description = new TextEncoder().encode(
      `${JSON.stringify({ shape: spec.shape, ...(spec.resolution ? { resolution_nm: spec.resolution } : {}), software: 'TokenUnify Studio' })}\0`,
    );
    const append = async (bytes: Uint8Array): Promise<number> => {
      const at = pos;
      await fh.write(bytes, 0, bytes.length, at);
      pos += bytes.length + (bytes.length % 2); // keep offsets word aligned
      return at;
    };

    for (let z0 = 0; z0 < Z; z0 += slabDepth) {
      const depth = Math.min(slabDepth, Z - z0);
      const offsets: number[][] = Array.from({ length: depth }, () => new Array<number>(stripsPerPage));
      const counts: number[][] = Array.from({ length: depth }, () => new Array<number>(stripsPerPage));
      for (let y0 = 0; y0 < Y; y0 += bandRows) {
        if (opts.signal?.aborted) throw new CancelledError();
        const box: Box = { min: [z0, y0, 0], max: [z0 + depth, Math.min(Y, y0 + bandRows), X] };
        const [, by] = boxSize(box);
        const bytes = bytesOf(await read(box));
        const strips: { z: number; s: number; raw: Uint8Array }[] = [];
        for (let z = 0; z < depth; z++)
          for (let r = 0; r < by; r += rowsPerStrip) {
            const start = (z * by + r) * rowBytes;
            const end = start + Math.min(rowsPerStrip, by - r) * rowBytes;
            strips.push({ z, s: (y0 + r) / rowsPerStrip, raw: bytes.subarray(start, end) });
          }
        const compressed = await mapLimit(strips, 4, (st) => deflateAsync(st.raw, { level: DEFLATE_LEVEL }));
        for (let i = 0; i < strips.length; i++) {
          offsets[strips[i].z][strips[i].s] = await append(compressed[i]);
          counts[strips[i].z][strips[i].s] = compressed[i].length;
        }
        opts.progress?.(Math.min(0.999, (z0 * Y + depth * (y0 + by)) / (Z * Y)), `section ${z0 + 1}-${z0 + depth} of ${Z}`);
      }
      for (let z = 0; z < depth; z++) {
        const entries: Entry[] = [
          { tag: 256, type: LONG, values: [X] },
          { tag: 257, type: LONG, values: [Y] },
          { tag: 258, type: SHORT, values: [bpv * 8] },
          { tag: 259, type: SHORT, values: [8] },
          { tag: 262, type: SHORT, values: [1] },
          { tag: 273, type: LONG8, values: offsets[z] },
          { tag: 277, type: SHORT, values: [1] },
          { tag: 278, type: LONG, values: [rowsPerStrip] },
          { tag: 279, type: LONG8, values: counts[z] },
          { tag: 284, type: SHORT, values: [1] },
          { tag: 339, type: SHORT, values: [SAMPLE_FORMAT[spec.dtype]] },
        ];
        if (z0 + z === 0) entries.push({ tag: 270, type: ASCII, values: description });
        if (spec.resolution) {
          // pixels per centimetre (1 cm = 1e7 nm), so ImageJ/Fiji show the in-plane scale
          entries.push({ tag: 282, type: RATIONAL, values: rational(1e7 / spec.resolution[2]) });
          entries.push({ tag: 283, type: RATIONAL, values: rational(1e7 / spec.resolution[1]) });
          entries.push({ tag: 296, type: SHORT, values: [3] });
        }
        const ifd = encodeIfd(entries, pos);
        const at = await append(ifd);
        const link = new Uint8Array(8);
        new DataView(link.buffer).setBigUint64(0, BigInt(at), true);
        await fh.write(link, 0, 8, nextPointerAt);
        nextPointerAt = at + 8 + entries.length * 20;
      }
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
}
