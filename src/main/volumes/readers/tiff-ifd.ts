import { open, type FileHandle } from 'node:fs/promises';
import { AppError } from '../../errors';

/**
 * A lean TIFF / BigTIFF directory walker. geotiff parses each IFD through 64 KiB block reads
 * and recurses once per page, which is slow for stacks of tens of thousands of pages; this one
 * reads each directory with two small positional reads and loads strip/tile offset arrays only
 * when a page is first decoded. Pixel decoding lives in tiff-decode.ts.
 */

export const TAG = {
  NewSubfileType: 254,
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  Photometric: 262,
  ImageDescription: 270,
  StripOffsets: 273,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  XResolution: 282,
  YResolution: 283,
  PlanarConfiguration: 284,
  ResolutionUnit: 296,
  Predictor: 317,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  SampleFormat: 339,
} as const;

/** Byte size of each TIFF field type. */
const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8 };

export interface IfdEntry {
  tag: number;
  type: number;
  count: number;
  /** Where the values are: inside the entry (already read) or at a file offset. */
  inline: Uint8Array | null;
  offset: number;
}

export interface TiffHeader {
  littleEndian: boolean;
  bigTiff: boolean;
  firstIfd: number;
}

/**
 * Positional reads of one file: through a handle held open (a stack file), or opening the file
 * for each read (folders of thousands of section files must not hold a descriptor each).
 */
export interface FileAccess {
  size(): Promise<number>;
  read(position: number, length: number): Promise<Uint8Array>;
}

export function heldFile(path: string, fh: FileHandle): FileAccess {
  return { size: async () => (await fh.stat()).size, read: (p, n) => readAt(fh, p, n, path) };
}

export function fileOpenedPerRead(path: string): FileAccess {
  const withHandle = async <T>(fn: (fh: FileHandle) => Promise<T>): Promise<T> => {
    const fh = await open(path, 'r');
    try {
      return await fn(fh);
    } finally {
      await fh.close();
    }
  };
  return { size: () => withHandle(async (fh) => (await fh.stat()).size), read: (p, n) => withHandle((fh) => readAt(fh, p, n, path)) };
}

export class TiffFile {
  private constructor(
    readonly path: string,
    private readonly file: FileAccess,
    readonly size: number,
    readonly header: TiffHeader,
  ) {}

  static async open(path: string, file: FileAccess): Promise<TiffFile> {
    const size = await file.size();
    if (size < 8) throw corrupt(path, 'the file is too short to be a TIFF');
    const head = await file.read(0, Math.min(16, size));
    const bo = String.fromCharCode(head[0], head[1]);
    if (bo !== 'II' && bo !== 'MM') throw corrupt(path, 'it is not a TIFF file (bad byte-order mark)');
    const le = bo === 'II';
    const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const magic = dv.getUint16(2, le);
    let header: TiffHeader;
    if (magic === 42) header = { littleEndian: le, bigTiff: false, firstIfd: dv.getUint32(4, le) };
    else if (magic === 43) {
      if (size < 16) throw corrupt(path, 'the BigTIFF header is truncated');
      header = { littleEndian: le, bigTiff: true, firstIfd: Number(dv.getBigUint64(8, le)) };
    } else throw corrupt(path, `it is not a TIFF file (version ${magic})`);
    return new TiffFile(path, file, size, header);
  }

  /** Offsets of every IFD in the chain, checked for loops and for lying inside the file. */
  async ifdOffsets(maxPages = 10_000_000): Promise<{ offset: number; entries: Map<number, IfdEntry> }[]> {
    const out: { offset: number; entries: Map<number, IfdEntry> }[] = [];
    const seen = new Set<number>();
    let offset = this.header.firstIfd;
    while (offset !== 0) {
      if (seen.has(offset)) throw corrupt(this.path, `its directory chain loops at byte ${offset}`);
      if (offset >= this.size) throw corrupt(this.path, `directory ${out.length} points past the end of the file (truncated?)`);
      if (out.length >= maxPages) throw new AppError('TOO_LARGE', `${this.path} has more than ${maxPages} pages`);
      seen.add(offset);
      const { entries, next } = await this.readIfd(offset, out.length);
      out.push({ offset, entries });
      offset = next;
    }
    if (out.length === 0) throw corrupt(this.path, 'it has no image directories');
    return out;
  }

  private async readIfd(offset: number, index: number): Promise<{ entries: Map<number, IfdEntry>; next: number }> {
    const big = this.header.bigTiff;
    const le = this.header.littleEndian;
    const countSize = big ? 8 : 2;
    const entrySize = big ? 20 : 12;
    if (offset + countSize > this.size) throw corrupt(this.path, `directory ${index} is truncated`);
    const countBytes = await this.file.read(offset, countSize);
    const cdv = new DataView(countBytes.buffer, countBytes.byteOffset, countSize);
    const n = big ? Number(cdv.getBigUint64(0, le)) : cdv.getUint16(0, le);
    const bodyLen = n * entrySize + (big ? 8 : 4);
    if (offset + countSize + bodyLen > this.size) throw corrupt(this.path, `directory ${index} is truncated`);
    const body = await this.file.read(offset + countSize, bodyLen);
    const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
    const entries = new Map<number, IfdEntry>();
    for (let i = 0; i < n; i++) {
      const p = i * entrySize;
      const tag = dv.getUint16(p, le);
      const type = dv.getUint16(p + 2, le);
      const count = big ? Number(dv.getBigUint64(p + 4, le)) : dv.getUint32(p + 4, le);
      const size = TYPE_SIZE[type];
      if (!size) continue; // unknown field types are skipped, as the spec asks
      const valueAt = p + (big ? 12 : 8);
      const slot = big ? 8 : 4;
      if (size * count <= slot) entries.set(tag, { tag, type, count, inline: body.slice(valueAt, valueAt + size * count), offset: 0 });
      else {
        const off = big ? Number(dv.getBigUint64(valueAt, le)) : dv.getUint32(valueAt, le);
        entries.set(tag, { tag, type, count, inline: null, offset: off });
      }
    }
    const next = big ? Number(dv.getBigUint64(n * entrySize, le)) : dv.getUint32(n * entrySize, le);
    return { entries, next };
  }

  /** All values of an entry as numbers (rationals as value pairs). */
  async values(e: IfdEntry): Promise<number[]> {
    const size = TYPE_SIZE[e.type];
    let bytes = e.inline;
    if (!bytes) {
      if (e.offset + size * e.count > this.size) throw corrupt(this.path, `tag ${e.tag} points past the end of the file (truncated?)`);
      bytes = await this.file.read(e.offset, size * e.count);
    }
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const le = this.header.littleEndian;
    const out: number[] = [];
    for (let i = 0; i < e.count; i++) {
      const p = i * size;
      switch (e.type) {
        case 1:
        case 2:
        case 7:
          out.push(dv.getUint8(p));
          break;
        case 6:
          out.push(dv.getInt8(p));
          break;
        case 3:
          out.push(dv.getUint16(p, le));
          break;
        case 8:
          out.push(dv.getInt16(p, le));
          break;
        case 4:
        case 13:
          out.push(dv.getUint32(p, le));
          break;
        case 9:
          out.push(dv.getInt32(p, le));
          break;
        case 5:
          out.push(dv.getUint32(p, le), dv.getUint32(p + 4, le));
          break;
        case 10:
          out.push(dv.getInt32(p, le), dv.getInt32(p + 4, le));
          break;
        case 11:
          out.push(dv.getFloat32(p, le));
          break;
        case 12:
          out.push(dv.getFloat64(p, le));
          break;
        case 16:
        case 18:
          out.push(Number(dv.getBigUint64(p, le)));
          break;
        case 17:
          out.push(Number(dv.getBigInt64(p, le)));
          break;
      }
    }
    return out;
  }

  async ascii(e: IfdEntry | undefined): Promise<string | null> {
    if (!e) return null;
    const v = await this.values(e);
    const end = v.indexOf(0);
    return Buffer.from(end >= 0 ? v.slice(0, end) : v).toString('utf8');
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    return this.file.read(offset, length);
  }
}

async function readAt(fh: FileHandle, position: number, length: number, path: string): Promise<Uint8Array> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) throw corrupt(path, `unexpected end of file at byte ${position + done} (truncated?)`);
    done += bytesRead;
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, length);
}

export function corrupt(path: string, what: string): AppError {
  return new AppError('CORRUPT_FILE', `${path}: ${what}`);
}
