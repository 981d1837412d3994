import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { Vec3 } from '../volumes/box';
import { allocate, bytesOf, bytesPerVoxel, swapBytesInPlace, viewAs, type DType, type VoxelArray } from '../volumes/dtypes';
import { isAllZero } from '../volumes/store/volume-store';
import type { ChunkSink, ExportLevel } from './multiscale';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);
const GZIP_LEVEL = 1;

/**
 * N5 (https://github.com/saalfeldlab/n5, format 4.0.0): a multiscale group of datasets s0, s1,
 * ... as n5-viewer and Paintera read them: group attributes `multiScale`, `resolution` + `units`
 * and `pixelResolution` (x, y, z), `scales`, `offset` (nm, where a region came from); each
 * dataset's `attributes.json` has dimensions / blockSize listed x first, `dataType`,
 * `compression` (gzip, or raw), `downsamplingFactors` and its own `pixelResolution`.
 * Blocks live at `sN/<x>/<y>/<z>`: a big-endian header (mode 0, 3 dimensions, the block's
 * actual size) then the big-endian samples, gzip-compressed. All-zero blocks are not written
 * (N5 readers fill missing blocks with zeros).
 */
export interface N5Spec {
  dtype: DType;
  levels: ExportLevel[];
  /** Voxel offset of the exported region inside its layer ([z, y, x], level 0). */
  offset: Vec3;
  compression: 'gzip' | 'raw';
  /** Extra group attributes (name, kind, mapping notes). */
  attributes?: Record<string, unknown>;
}

const xyz = (v: readonly number[]) => [v[2], v[1], v[0]];

export class N5Sink implements ChunkSink {
  private readonly madeDirs = new Set<string>();

  private constructor(
    readonly root: string,
    readonly spec: N5Spec,
  ) {}

  /** Creates the group and dataset attributes in `root` (a new folder). */
  static async create(root: string, spec: N5Spec): Promise<N5Sink> {
    await mkdir(root);
    const res0 = spec.levels[0].resolution;
    const json = (path: string, v: unknown) => writeFile(path, JSON.stringify(v, null, 2));
    await json(join(root, 'attributes.json'), {
      n5: '4.0.0',
      multiScale: true,
      resolution: xyz(res0),
      units: ['nm', 'nm', 'nm'],
      pixelResolution: { dimensions: xyz(res0), unit: 'nm' },
      scales: spec.levels.map((l) => xyz(l.factors)),
      axes: ['x', 'y', 'z'],
      offset: xyz(spec.offset.map((o, a) => o * res0[a])),
      ...spec.attributes,
    });
    for (let i = 0; i < spec.levels.length; i++) {
      const l = spec.levels[i];
      await mkdir(join(root, `s${i}`));
      await json(join(root, `s${i}`, 'attributes.json'), {
        dimensions: xyz(l.shape),
        blockSize: xyz(l.chunkShape),
        dataType: spec.dtype,
        compression: spec.compression === 'gzip' ? { type: 'gzip', level: GZIP_LEVEL, useZlib: false } : { type: 'raw' },
        downsamplingFactors: xyz(l.factors),
        pixelResolution: { dimensions: xyz(l.resolution), unit: 'nm' },
      });
    }
    return new N5Sink(root, spec);
  }

  private blockPath(level: number, coord: Vec3): string {
    return join(this.root, `s${level}`, String(coord[2]), String(coord[1]), String(coord[0]));
  }

  async writeChunk(level: number, coord: Vec3, data: VoxelArray, shape: Vec3): Promise<void> {
    if (isAllZero(data)) return;
    const bpv = bytesPerVoxel(this.spec.dtype);
    const header = Buffer.alloc(16);
    header.writeUInt16BE(0, 0);
    header.writeUInt16BE(3, 2);
    xyz(shape).forEach((s, i) => header.writeUInt32BE(s, 4 + 4 * i));
    const samples = Buffer.from(bytesOf(data));
    swapBytesInPlace(samples, bpv);
    const body = this.spec.compression === 'gzip' ? await gzipAsync(samples, { level: GZIP_LEVEL }) : samples;
    const path = this.blockPath(level, coord);
    const dir = join(path, '..');
    if (!this.madeDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.madeDirs.add(dir);
    }
    await writeFile(path, Buffer.concat([header, body]));
  }

  async readChunk(level: number, coord: Vec3, shape: Vec3): Promise<VoxelArray> {
    const n = shape[0] * shape[1] * shape[2];
    let file: Buffer;
    try {
      file = await readFile(this.blockPath(level, coord));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return allocate(this.spec.dtype, n);
      throw err;
    }
    const body = file.subarray(16);
    const samples = new Uint8Array(this.spec.compression === 'gzip' ? await gunzipAsync(body) : body.slice());
    swapBytesInPlace(samples, bytesPerVoxel(this.spec.dtype));
    return viewAs(this.spec.dtype, samples);
  }
}
