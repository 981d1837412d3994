import { createHash } from 'node:crypto';
import { copyFile } from 'node:fs/promises';
import { AppError, CancelledError } from '../errors';
import { boxSize, voxelCount, type Vec3 } from '../volumes/box';
import { allocate, bytesOf, bytesPerVoxel, type DType, type VoxelArray } from '../volumes/dtypes';
import { planBlocks, type BlockSource } from '../volumes/store/build';
import type { FragmentMapping } from './mapping';

type H5Module = typeof import('h5wasm/node');
type H5Group = InstanceType<H5Module['Group']>;

let h5: Promise<H5Module> | null = null;
async function h5wasm(): Promise<H5Module> {
  h5 ??= import('h5wasm/node').then(async (m) => {
    const mod = ((m as unknown as { default?: H5Module }).default ?? m) as H5Module;
    await mod.ready;
    return mod;
  });
  return h5;
}

/** h5wasm's struct-style type codes (little endian). */
const H5_TYPE: Record<DType, string> = {
  uint8: '<B',
  int8: '<b',
  uint16: '<H',
  int16: '<h',
  uint32: '<I',
  int32: '<i',
  uint64: '<Q',
  int64: '<q',
  float32: '<f',
  float64: '<d',
};

/** gzip level inside HDF5 (deflate filter): fast, as for every other export. */
const GZIP_LEVEL = 1;

export interface Hdf5Spec {
  dtype: DType;
  shape: Vec3;
  /** nm [z, y, x]; written as the CREMI `resolution` attribute when known. */
  resolution: Vec3 | null;
  /** Voxel offset of the exported region inside its layer; written as `offset` (nm) when the voxel size is known. */
  offset: Vec3;
  /** Dataset path, e.g. `volumes/raw`. */
  dataset: string;
  chunkShape: Vec3;
  /** Fragments export: written beside the volume as `<group>/fragment_segment_lut` (uint64, [2, n]). */
  mapping?: FragmentMapping;
  /** Write into a copy of this existing HDF5 file (CREMI files hold raw and labels together). */
  appendTo?: string;
}

export interface Hdf5WriteOptions {
  signal?: AbortSignal;
  progress?: (fraction: number, message: string) => void;
  blockBytes?: number;
}

function ensureGroups(root: H5Group, path: string[]): H5Group {
  let g = root;
  for (const name of path) {
    const next = g.get(name);
    if (next === null) g = g.create_group(name);
    else if (next instanceof Object && 'create_group' in next) g = next as H5Group;
    else throw new AppError('CONFLICT', `${name} exists in the HDF5 file and is not a group`);
  }
  return g;
}

const digest = (data: VoxelArray) => createHash('sha1').update(bytesOf(data)).digest('hex');

/**
 * Writes one dataset in CREMI layout (https://cremi.org/data/) with h5wasm: chunked (the
 * layer's chunk shape, clipped to the volume), gzip level 1, little endian, `resolution`
 * (float64 [z, y, x] nm) and `offset` attributes. The dataset is created empty with a fixed
 * maximum shape, resized, and filled block by block (chunk-aligned z-slabs x y-bands), so
 * memory stays at one block whatever the volume's size.
 *
 * HDF5 (through h5wasm's file system layer) does not report failed writes: on a full disk it
 * closes a file with chunks missing and no error. So the file is read back block by block and
 * compared with what was written (SHA-1 per block); a mismatch fails the export.
 */
export async function writeHdf5(path: string, spec: Hdf5Spec, read: BlockSource, opts: Hdf5WriteOptions = {}): Promise<void> {
  const mod = await h5wasm();
  if (spec.appendTo) await copyFile(spec.appendTo, path);
  const file = new mod.File(path, spec.appendTo ? 'a' : 'w');
  const written: { ranges: [number, number][]; sha1: string }[] = [];
  try {
    const parts = spec.dataset.split('/').filter(Boolean);
    const name = parts.pop()!;
    const group = ensureGroups(file, parts);
    if (group.get(name) !== null) throw new AppError('CONFLICT', `${spec.appendTo}: dataset ${spec.dataset} already exists; choose another dataset path or a new file`);
    const [Z, Y, X] = spec.shape;
    const chunks = spec.chunkShape.map((c, a) => Math.max(1, Math.min(c, spec.shape[a])));
    const ds = group.create_dataset({
      name,
      data: allocate(spec.dtype, 0),
      shape: [0, Y, X],
      maxshape: [Z, Y, X],
      chunks,
      compression: 'gzip',
      compression_opts: GZIP_LEVEL,
      dtype: H5_TYPE[spec.dtype],
    });
    ds.resize([Z, Y, X]);
    if (spec.resolution) {
      ds.create_attribute('resolution', new Float64Array(spec.resolution), [3], '<d');
      ds.create_attribute('offset', new Float64Array(spec.offset.map((o, a) => o * spec.resolution![a])), [3], '<d');
    }
    const blocks = planBlocks(spec.shape, chunks as Vec3, bytesPerVoxel(spec.dtype), opts.blockBytes ?? 64 * 1024 * 1024);
    const total = voxelCount(spec.shape);
    let done = 0;
    let next = blocks.length ? read(blocks[0]) : null;
    for (let i = 0; i < blocks.length; i++) {
      if (opts.signal?.aborted) throw new CancelledError();
      const data = await next!;
      next = i + 1 < blocks.length ? read(blocks[i + 1]) : null;
      next?.catch(() => undefined);
      const b = blocks[i];
      const ranges: [number, number][] = [0, 1, 2].map((a) => [b.min[a], b.max[a]]);
      ds.write_slice(ranges, data);
      written.push({ ranges, sha1: digest(data) });
      done += voxelCount(boxSize(b));
      opts.progress?.(0.8 * (done / total), `block ${i + 1}/${blocks.length}`);
    }
    if (spec.mapping) {
      const n = spec.mapping.fragments.length;
      const lut = new BigUint64Array(2 * n);
      for (let i = 0; i < n; i++) {
        lut[i] = BigInt(spec.mapping.fragments[i]);
        lut[n + i] = BigInt(spec.mapping.segments[i]);
      }
      if (group.get('fragment_segment_lut') !== null) throw new AppError('CONFLICT', `${spec.appendTo}: ${parts.join('/')}/fragment_segment_lut already exists`);
      group.create_dataset({ name: 'fragment_segment_lut', data: lut, shape: [2, n], dtype: '<Q' });
    }
    file.flush();
  } finally {
    file.close();
  }
  await verifyHdf5(mod, path, spec.dataset, written, opts);
}

/** Reads every written block back and compares its digest; throws naming the first block that differs. */
async function verifyHdf5(mod: H5Module, path: string, dataset: string, written: { ranges: [number, number][]; sha1: string }[], opts: Hdf5WriteOptions): Promise<void> {
  const lost = (why: string) => new AppError('CORRUPT_FILE', `HDF5 export ${path}: ${why}; the write did not complete (a full disk?)`);
  let file: InstanceType<H5Module['File']>;
  try {
    file = new mod.File(path, 'r');
  } catch (err) {
    throw lost(`the file does not open again (${(err as Error).message})`);
  }
  try {
    const ds = file.get(dataset) as InstanceType<H5Module['Dataset']> | null;
    if (!ds) throw lost(`dataset ${dataset} is missing`);
    for (let i = 0; i < written.length; i++) {
      if (opts.signal?.aborted) throw new CancelledError();
      let back: VoxelArray;
      try {
        back = ds.slice(written[i].ranges) as VoxelArray;
      } catch (err) {
        throw lost(`block ${i + 1} does not read back (${(err as Error).message})`);
      }
      if (digest(back) !== written[i].sha1) throw lost(`block ${i + 1} of ${written.length} reads back different from what was written`);
      opts.progress?.(0.8 + 0.2 * ((i + 1) / written.length), `checked block ${i + 1}/${written.length}`);
    }
  } finally {
    file.close();
  }
}
