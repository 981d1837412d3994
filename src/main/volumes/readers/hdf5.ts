import { existsSync, openSync, readSync, closeSync } from 'node:fs';
import { AppError } from '../../errors';
import { assertBoxInShape, type Box, type Vec3 } from '../box';
import type { DType, VoxelArray } from '../dtypes';
import type { LevelInfo, VolumeReader } from './types';

type H5Module = typeof import('h5wasm/node');
type H5File = InstanceType<H5Module['File']>;
type H5Dataset = InstanceType<H5Module['Dataset']>;

let h5: Promise<H5Module> | null = null;
async function h5wasm(): Promise<H5Module> {
  if (!h5) {
    h5 = import('h5wasm/node').then(async (m) => {
      const mod = ((m as unknown as { default?: H5Module }).default ?? m) as H5Module;
      await mod.ready;
      return mod;
    });
  }
  return h5;
}

/** CREMI's layout (https://cremi.org/data/): where image and labels live by default. */
export const CREMI_DEFAULTS = { image: 'volumes/raw', labels: 'volumes/labels/neuron_ids' } as const;

export interface Hdf5DatasetInfo {
  path: string;
  shape: number[];
  dtype: string;
  /** Null when the dtype cannot be a volume (compound, strings, ...). */
  volumeDType: DType | null;
  chunks: number[] | null;
  resolution: Vec3 | null;
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function isHdf5(path: string): boolean {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const b = Buffer.alloc(8);
    readSync(fd, b, 0, 8, 0);
    return HDF5_SIGNATURE.every((v, i) => b[i] === v);
  } catch {
    return false;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

function volumeDTypeOf(d: H5Dataset): DType | null {
  const m = d.metadata as { type: number; size: number; signed: boolean };
  if (m.type === 0) {
    const bits = m.size * 8;
    if (![8, 16, 32, 64].includes(bits)) return null;
    return `${m.signed ? 'int' : 'uint'}${bits}` as DType;
  }
  if (m.type === 1) return m.size === 4 ? 'float32' : m.size === 8 ? 'float64' : null;
  return null;
}

/** Voxel size from a `resolution` attribute (CREMI: z, y, x nm) or `element_size_um` (z, y, x µm). */
function resolutionOf(d: H5Dataset): Vec3 | null {
  const attrs = d.attrs as Record<string, { value: unknown }>;
  const read = (name: string, scale: number): Vec3 | null => {
    const a = attrs[name];
    if (!a) return null;
    const v = Array.from(a.value as ArrayLike<number>, Number);
    return v.length === 3 && v.every((x) => x > 0) ? (v.map((x) => x * scale) as Vec3) : null;
  };
  return read('resolution', 1) ?? read('element_size_um', 1000);
}

function openFile(mod: H5Module, path: string): H5File {
  if (!existsSync(path)) throw new AppError('NOT_FOUND', `cannot open ${path}: no such file`);
  if (!isHdf5(path)) throw new AppError('CORRUPT_FILE', `${path} is not an HDF5 file (bad signature)`);
  try {
    return new mod.File(path, 'r');
  } catch (err) {
    throw new AppError('CORRUPT_FILE', `${path}: HDF5 file cannot be opened (${(err as Error).message})`);
  }
}

function walk(mod: H5Module, f: H5File, group: string, out: Hdf5DatasetInfo[]): void {
  const g = f.get(group || '/') as { keys(): string[] } | null;
  if (!g || typeof g.keys !== 'function') return;
  for (const k of g.keys()) {
    const p = group ? `${group}/${k}` : k;
    const node = f.get(p);
    if (node instanceof mod.Dataset) {
      out.push({
        path: p,
        shape: (node.shape ?? []) as number[],
        dtype: String(node.dtype),
        volumeDType: volumeDTypeOf(node),
        chunks: ((node.metadata as { chunks?: number[] | null }).chunks ?? null) as number[] | null,
        resolution: resolutionOf(node),
      });
    } else if (node instanceof mod.Group) walk(mod, f, p, out);
  }
}

/** Every dataset in an HDF5 file, for the dataset picker. */
export async function listHdf5Datasets(path: string): Promise<Hdf5DatasetInfo[]> {
  const mod = await h5wasm();
  const f = openFile(mod, path);
  try {
    const out: Hdf5DatasetInfo[] = [];
    walk(mod, f, '', out);
    return out;
  } catch (err) {
    throw asCorrupt(err, path);
  } finally {
    f.close();
  }
}

class Hdf5Reader implements VolumeReader {
  readonly format = 'hdf5' as const;

  constructor(
    readonly path: string,
    private readonly file: H5File,
    private readonly dataset: H5Dataset,
    readonly dtype: DType,
    readonly levels: LevelInfo[],
    readonly resolution: Vec3 | null,
    readonly details: Record<string, unknown>,
    private readonly ndim: number,
  ) {}

  async readRegion(box: Box, level = 0): Promise<VoxelArray> {
    assertBoxInShape(box, this.levels[level].shape, `${this.path} (${this.details.dataset})`);
    const ranges: [number, number][] = [
      [box.min[0], box.max[0]],
      [box.min[1], box.max[1]],
      [box.min[2], box.max[2]],
    ];
    // 2D datasets are [y, x]; leading singleton axes are read at index 0.
    const sel = this.ndim === 2 ? ranges.slice(1) : [...Array.from({ length: this.ndim - 3 }, () => [0, 1] as [number, number]), ...ranges];
    try {
      return this.dataset.slice(sel) as unknown as VoxelArray;
    } catch (err) {
      throw new AppError('CORRUPT_FILE', `${this.path} (${this.details.dataset}): reading failed (${(err as Error).message}); the file may be truncated or use a filter h5wasm lacks`);
    }
  }

  async close(): Promise<void> {
    this.file.close();
  }
}

/**
 * Opens one dataset of an HDF5 file. Without `dataset`, takes CREMI's default for `kind`, or
 * the only volume-like dataset; otherwise names the choices.
 */
export async function openHdf5(path: string, dataset?: string, kind: 'image' | 'labels' = 'image'): Promise<VolumeReader> {
  const mod = await h5wasm();
  const f = openFile(mod, path);
  try {
    const all: Hdf5DatasetInfo[] = [];
    walk(mod, f, '', all);
    const candidates = all.filter((d) => d.volumeDType && d.shape.length >= 2);
    let name = dataset?.replace(/^\/+/, '');
    if (!name) {
      const cremi = candidates.find((d) => d.path === CREMI_DEFAULTS[kind]);
      if (cremi) name = cremi.path;
      else if (candidates.length === 1) name = candidates[0].path;
      else throw new AppError('BAD_REQUEST', `${path} holds several datasets; choose one with --dataset (${candidates.map((d) => d.path).join(', ') || 'none are volumes'})`);
    }
    const node = f.get(name);
    if (!(node instanceof mod.Dataset)) {
      throw new AppError('NOT_FOUND', `${path} has no dataset '${name}'${all.length ? `; datasets: ${all.map((d) => d.path).join(', ')}` : ''}`);
    }
    const dtype = volumeDTypeOf(node);
    if (!dtype) throw new AppError('UNSUPPORTED', `${path} (${name}) holds ${node.dtype} data; supported are 8-64 bit integers and 32/64-bit floats`);
    const shape = node.shape as number[];
    const ndim = shape.length;
    if (ndim < 2 || shape.slice(0, Math.max(0, ndim - 3)).some((s) => s !== 1)) {
      throw new AppError('UNSUPPORTED', `${path} (${name}) has shape ${shape.join('x')}; a volume must be 2D or 3D (single channel)`);
    }
    const zyx: Vec3 = ndim === 2 ? [1, shape[0], shape[1]] : (shape.slice(-3) as Vec3);
    const resolution = resolutionOf(node);
    const levels: LevelInfo[] = [{ shape: zyx, chunkShape: null, resolution: resolution ?? [1, 1, 1], factors: [1, 1, 1] }];
    return new Hdf5Reader(path, f, node, dtype, levels, resolution, { dataset: name }, ndim);
  } catch (err) {
    f.close();
    throw asCorrupt(err, path);
  }
}

/** h5wasm reports damage as plain errors ("name not defined", ...): name the file instead. */
function asCorrupt(err: unknown, path: string): AppError {
  if (err instanceof AppError) return err;
  return new AppError('CORRUPT_FILE', `${path}: cannot read its HDF5 structure (${(err as Error)?.message ?? err}); the file may be truncated or damaged`);
}
