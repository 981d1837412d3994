/**
 * Minimal random-access ZIP reader (stored and deflated entries, ZIP64) over a file
 * descriptor, enough for PyTorch's .pth archives of any size.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { inflateSync } from 'fflate';
import { AppError } from '../../errors';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

function readAt(fd: number, pos: number, len: number): Buffer {
  const buf = Buffer.alloc(len);
  let done = 0;
  while (done < len) {
    const n = readSync(fd, buf, done, len - done, pos + done);
    if (n === 0) break;
    done += n;
  }
  return done === len ? buf : buf.subarray(0, done);
}

export class ZipReader {
  readonly entries = new Map<string, ZipEntry>();
  private readonly fd: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    try {
      this.readDirectory();
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }

  private fail(msg: string): never {
    throw new AppError('CORRUPT_FILE', `${this.path}: ${msg}`);
  }

  private readDirectory(): void {
    const size = fstatSync(this.fd).size;
    const tailLen = Math.min(size, 65536 + 22);
    const tail = readAt(this.fd, size - tailLen, tailLen);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === 0x06054b50) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) this.fail('not a zip archive (no end-of-central-directory record)');
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    const loc = eocd - 20;
    if (loc >= 0 && tail.readUInt32LE(loc) === 0x07064b50) {
      const z64 = Number(tail.readBigUInt64LE(loc + 8));
      const rec = readAt(this.fd, z64, 56);
      if (rec.readUInt32LE(0) !== 0x06064b50) this.fail('bad ZIP64 end record');
      count = Number(rec.readBigUInt64LE(32));
      cdSize = Number(rec.readBigUInt64LE(40));
      cdOffset = Number(rec.readBigUInt64LE(48));
    }
    const cd = readAt(this.fd, cdOffset, cdSize);
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (cd.readUInt32LE(p) !== 0x02014b50) this.fail('bad central directory entry');
      const method = cd.readUInt16LE(p + 10);
      let compressedSize = cd.readUInt32LE(p + 20);
      let size = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      let localOffset = cd.readUInt32LE(p + 42);
      const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
      let e = p + 46 + nameLen;
      const end = e + extraLen;
      while (e + 4 <= end) {
        const id = cd.readUInt16LE(e);
        const len = cd.readUInt16LE(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          if (size === 0xffffffff) (size = Number(cd.readBigUInt64LE(q))), (q += 8);
          if (compressedSize === 0xffffffff) (compressedSize = Number(cd.readBigUInt64LE(q))), (q += 8);
          if (localOffset === 0xffffffff) localOffset = Number(cd.readBigUInt64LE(q));
        }
        e += 4 + len;
      }
      this.entries.set(name, { name, method, compressedSize, size, localOffset });
      p = end + commentLen;
    }
  }

  read(name: string): Uint8Array {
    const e = this.entries.get(name);
    if (!e) this.fail(`entry '${name}' missing`);
    const lh = readAt(this.fd, e.localOffset, 30);
    if (lh.readUInt32LE(0) !== 0x04034b50) this.fail(`bad local header for '${name}'`);
    const start = e.localOffset + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28);
    const raw = readAt(this.fd, start, e.compressedSize);
    if (e.method === 0) return raw;
    if (e.method === 8) return inflateSync(raw, { out: new Uint8Array(e.size) });
    this.fail(`entry '${name}' uses unsupported compression method ${e.method}`);
  }

  close(): void {
    closeSync(this.fd);
  }
}
