import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { unzip } from 'node:zlib';
import { AppError } from '../../errors';
import { assertBoxInShape, type Box, type Vec3 } from '../box';
import { bytesPerVoxel, isDType, swapBytesInPlace, viewAs, type DType, type VoxelArray } from '../dtypes';
import { assembleRegion, emptyChunk } from './chunked';
import { unitToNm } from './tiff-metadata';
import type { Chunk, ChunkedVolumeReader, LevelInfo } from './types';

const unzipAsync = promisify(unzip);

/**
 * N5 (https://github.com/saalfeldlab/n5 spec): attributes.json per dataset, dimensions and
 * block sizes listed x first, blocks at "<x>/<y>/<z>" with a big-endian header (mode, ndim,
 * actual block size) and big-endian samples, compressed raw, gzip/zlib, blosc or zstd.
 * N5's x-fastest order is exactly C-order [z, y, x], so blocks only need their bytes swapped.
 */
interface N5Dataset {
  dir: string;
  shape: Vec3; // z, y, x
  blockSize: Vec3;
  dtype: DType;
  compression: { type: string; [k: string]: unknown };
}

const N5_TYPES = new Set(['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'uint64', 'int64', 'float32', 'float64']);
const SUPPORTED_COMPRESSION = new Set(['raw', 'gzip', 'zlib', 'blosc', 'zstd']);

function readAttributes(dir: string): Record<string, any> | null {
  const p = join(dir, 'attributes.json');
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as Record<string, any>;
  } catch {
    throw new AppError('CORRUPT_FILE', `${p} is not valid JSON`);
  }
}

/** Datasets and groups directly inside an N5 group (for pickers and error messages). */
export function listN5Children(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir)
    .filter((n) => existsSync(join(dir, n, 'attributes.json')))
    .sort();
}

export function isN5(dir: string): boolean {
  const a = readAttributes(dir);
  return !!a && ('n5' in a || 'dimensions' in a || dir.endsWith('.n5'));
}

function datasetAt(dir: string, where: string): N5Dataset | null {
  const a = readAttributes(dir);
  if (!a || !Array.isArray(a.dimensions)) return null;
  const dims = (a.dimensions as number[]).map(Number);
  if (dims.length < 2 || dims.length > 3) throw new AppError('UNSUPPORTED', `${where} has ${dims.length} dimensions; N5 volumes must be 2D or 3D`);
  const dtype = String(a.dataType);
  if (!N5_TYPES.has(dtype) || !isDType(dtype)) throw new AppError('UNSUPPORTED', `${where} holds ${dtype} data; supported are 8-64 bit integers and 32/64-bit floats`);
  const compression = (a.compression ?? { type: a.compressionType ?? 'raw' }) as N5Dataset['compression'];
  if (!SUPPORTED_COMPRESSION.has(compression.type)) throw new AppError('UNSUPPORTED', `${where} uses ${compression.type} compression; supported are raw, gzip, blosc and zstd`);
  const rev = (v: number[]): Vec3 => (v.length === 2 ? [1, v[1], v[0]] : [v[2], v[1], v[0]]);
  return { dir, shape: rev(dims), blockSize: rev((a.blockSize as number[]).map(Number)), dtype, compression };
}

/** nm per voxel from N5 conventions: "resolution" + "units", or "pixelResolution" {dimensions, unit}. */
function n5Resolution(attrs: Record<string, any> | null): Vec3 | null {
  if (!attrs) return null;
  let values: number[] | undefined;
  let unit: string | undefined;
  if (attrs.pixelResolution && Array.isArray(attrs.pixelResolution.dimensions)) {
    values = attrs.pixelResolution.dimensions;
    unit = attrs.pixelResolution.unit;
  } else if (Array.isArray(attrs.resolution)) {
    values = attrs.resolution;
    unit = Array.isArray(attrs.units) ? attrs.units[0] : (attrs.unit ?? 'nm');
  }
  if (!values || values.length !== 3) return null;
  const nm = unitToNm(unit ?? 'nm');
  if (nm === null) return null;
  const r = [values[2], values[1], values[0]].map((v) => Number(v) * nm);
  return r.every((v) => v > 0) ? (r as Vec3) : null;
}

type Decompress = (bytes: Uint8Array) => Promise<Uint8Array>;

async function decompressorFor(c: N5Dataset['compression']): Promise<Decompress> {
  switch (c.type) {
    case 'raw':
      return async (b) => b;
    case 'gzip':
    case 'zlib':
      return async (b) => new Uint8Array(await unzipAsync(b)); // gzip or zlib stream, detected by header
    case 'blosc': {
      const codec = (await import('numcodecs/blosc')).default.fromConfig({ id: 'blosc' });
      return async (b) => codec.decode(b);
    }
    case 'zstd': {
      const codec = (await import('numcodecs/zstd')).default.fromConfig({ id: 'zstd' });
      return async (b) => codec.decode(b);
    }
    default:
      throw new AppError('UNSUPPORTED', `N5 compression ${c.type} is not supported`);
  }
}

export class N5Reader implements ChunkedVolumeReader {
  readonly format = 'n5' as const;

  constructor(
    readonly path: string,
    readonly dtype: DType,
    readonly levels: LevelInfo[],
    readonly resolution: Vec3 | null,
    readonly details: Record<string, unknown>,
    private readonly datasets: N5Dataset[],
    private readonly decompress: Decompress[],
  ) {}

  async readChunk(level: number, coord: Vec3): Promise<Chunk> {
    const ds = this.datasets[level];
    if (!ds) throw new AppError('BAD_REQUEST', `${this.path} has no level ${level}`);
    const file = join(ds.dir, String(coord[2]), String(coord[1]), ...(ds.shape[0] === 1 && this.datasetIs2d(level) ? [] : [String(coord[0])]));
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyChunk(this.dtype, ds.blockSize);
      throw err;
    }
    return this.decodeBlock(bytes, level, file);
  }

  private datasetIs2d(level: number): boolean {
    return (this.details.ndim as number[])[level] === 2;
  }

  private async decodeBlock(bytes: Buffer, level: number, file: string): Promise<Chunk> {
    const bad = (what: string) => new AppError('CORRUPT_FILE', `${file}: ${what}`);
    if (bytes.length < 4) throw bad('block header is truncated');
    const mode = bytes.readUInt16BE(0);
    const ndim = bytes.readUInt16BE(2);
    if (mode > 1) throw new AppError('UNSUPPORTED', `${file}: N5 object blocks (mode ${mode}) are not supported`);
    let p = 4;
    const size: number[] = [];
    for (let i = 0; i < ndim; i++, p += 4) size.push(bytes.readUInt32BE(p));
    let n = size.reduce((a, b) => a * b, 1);
    if (mode === 1) {
      n = bytes.readUInt32BE(p);
      p += 4;
    }
    let raw: Uint8Array;
    try {
      raw = await this.decompress[level](bytes.subarray(p));
    } catch (err) {
      throw bad(`block does not decompress (${(err as Error).message})`);
    }
    const bpv = bytesPerVoxel(this.dtype);
    if (raw.length < n * bpv) throw bad(`block holds ${raw.length} bytes, expected ${n * bpv}`);
    const data = raw.slice(0, n * bpv);
    swapBytesInPlace(data, bpv);
    const shape: Vec3 = size.length === 2 ? [1, size[1], size[0]] : [size[2], size[1], size[0]];
    return { data: viewAs(this.dtype, data), shape };
  }

  async readRegion(box: Box, level = 0): Promise<VoxelArray> {
    assertBoxInShape(box, this.levels[level].shape, this.path);
    return assembleRegion((lv, c) => this.readChunk(lv, c), this.dtype, this.levels, level, box);
  }

  async close(): Promise<void> {}
}

/** Opens an N5 dataset, or a multiscale group of s0, s1, ... datasets. */
export async function openN5(root: string, dataset?: string): Promise<N5Reader> {
  const sub = (dataset ?? '').replace(/^\/+|\/+$/g, '');
  const dir = sub ? join(root, sub) : root;
  const where = sub ? `${root} (${sub})` : root;
  if (!existsSync(dir)) throw new AppError('NOT_FOUND', `${where} does not exist`);
  const single = datasetAt(dir, where);
  const groupAttrs = readAttributes(dir);
  let datasets: N5Dataset[];
  let factorList: Vec3[];
  if (single) {
    datasets = [single];
    factorList = [[1, 1, 1]];
  } else {
    const scales = readdirSync(dir)
      .filter((n) => /^s\d+$/.test(n) && statSync(join(dir, n)).isDirectory())
      .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
    datasets = scales.map((s) => datasetAt(join(dir, s), `${where}/${s}`)).filter((d): d is N5Dataset => d !== null);
    if (datasets.length === 0) {
      const children = listN5Children(dir);
      throw new AppError('BAD_REQUEST', `${where} is an N5 group, not a dataset or s0/s1/... multiscale group${children.length ? `; pick one of: ${children.join(', ')}` : ''}`);
    }
    factorList = scales.slice(0, datasets.length).map((s, i) => {
      const f = readAttributes(join(dir, s))?.downsamplingFactors as number[] | undefined;
      if (Array.isArray(f) && f.length === 3) return [f[2], f[1], f[0]] as Vec3;
      const s0 = datasets[0].shape;
      return datasets[i].shape.map((v, k) => Math.max(1, Math.round(s0[k] / v))) as Vec3;
    });
  }
  const dtype = datasets[0].dtype;
  for (const d of datasets) if (d.dtype !== dtype) throw new AppError('CORRUPT_FILE', `${where}: scale ${d.dir} is ${d.dtype} but s0 is ${dtype}`);
  const resolution = n5Resolution(readAttributes(datasets[0].dir)) ?? n5Resolution(groupAttrs);
  const base = resolution ?? [1, 1, 1];
  const levels: LevelInfo[] = datasets.map((d, i) => ({
    shape: d.shape,
    chunkShape: d.blockSize,
    factors: factorList[i],
    resolution: base.map((r, k) => r * factorList[i][k]) as Vec3,
  }));
  const decompress = await Promise.all(datasets.map((d) => decompressorFor(d.compression)));
  const ndim = datasets.map((d) => (readAttributes(d.dir)!.dimensions as number[]).length);
  return new N5Reader(where, dtype, levels, resolution, { dataset: sub || null, compression: datasets[0].compression.type, ndim }, datasets, decompress);
}
