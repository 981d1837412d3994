/**
 * A C-order [channel][z][y][x] array in a file under the project's tmp/, written and read box
 * by box with positioned I/O: the pipeline's out-of-core buffer between a producer that pushes
 * boxes in its own order (inference tiles, block-wise watershed) and the layer writer, which
 * pulls regions in chunk order.
 */
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { boxSize, intersect, voxelCount, type Box, type Vec3 } from '../volumes/box';

type Elements = Uint8Array | Uint32Array;

export class ScratchVolume<T extends Elements> {
  private fd: number | null;
  private readonly bytes: number;

  constructor(
    readonly path: string,
    /** The volume the file covers, in absolute coordinates; boxes must lie inside it. */
    readonly region: Box,
    readonly channels: number,
    private readonly make: (n: number) => T,
  ) {
    this.bytes = make(0).BYTES_PER_ELEMENT;
    this.fd = openSync(path, 'w+');
  }

  private get shape(): Vec3 {
    return boxSize(this.region);
  }

  private offset(channel: number, z: number, y: number, x: number): number {
    const [Z, Y, X] = this.shape;
    const r = this.region.min;
    return ((((channel * Z + (z - r[0])) * Y + (y - r[1])) * X) + (x - r[2])) * this.bytes;
  }

  /** Writes `data` (C order over `box`, channel-major when channels > 1). */
  write(box: Box, data: T): void {
    const [bz, by, bx] = boxSize(box);
    const n = bz * by * bx;
    const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    for (let c = 0; c < this.channels; c++)
      for (let z = 0; z < bz; z++)
        for (let y = 0; y < by; y++) {
          const src = (c * n + (z * by + y) * bx) * this.bytes;
          writeSync(this.fd!, view, src, bx * this.bytes, this.offset(c, box.min[0] + z, box.min[1] + y, box.min[2]));
        }
  }

  /** Reads `channel` (or all channels when undefined) of `box`. */
  read(box: Box, channel?: number): T {
    const [bz, by, bx] = boxSize(box);
    const n = bz * by * bx;
    const list = channel === undefined ? Array.from({ length: this.channels }, (_, c) => c) : [channel];
    const out = this.make(n * list.length);
    const view = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    list.forEach((c, k) => {
      for (let z = 0; z < bz; z++)
        for (let y = 0; y < by; y++) {
          const dst = (k * n + (z * by + y) * bx) * this.bytes;
          readSync(this.fd!, view, dst, bx * this.bytes, this.offset(c, box.min[0] + z, box.min[1] + y, box.min[2]));
        }
    });
    return out;
  }

  /** Like read(), for any box: voxels outside the scratch's region are 0. */
  readOrZero(box: Box, channel = 0): T {
    const part = intersect(box, this.region);
    const size = boxSize(box);
    const out = this.make(voxelCount(size));
    if (!part) return out;
    const data = this.read(part, channel);
    const ps = boxSize(part);
    for (let z = 0; z < ps[0]; z++)
      for (let y = 0; y < ps[1]; y++) {
        const src = (z * ps[1] + y) * ps[2];
        const dst = ((part.min[0] - box.min[0] + z) * size[1] + (part.min[1] - box.min[1] + y)) * size[2] + (part.min[2] - box.min[2]);
        out.set(data.subarray(src, src + ps[2]), dst);
      }
    return out;
  }

  get voxels(): number {
    return voxelCount(this.shape);
  }

  /** Closes and deletes the file. */
  dispose(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.path, { force: true });
  }
}
