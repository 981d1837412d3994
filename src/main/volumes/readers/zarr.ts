import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import FileSystemStore from '@zarrita/storage/fs';
import * as zarr from 'zarrita';
import { AppError } from '../../errors';
import { assertBoxInShape, voxelCount, type Box, type Vec3 } from '../box';
import { allocate, isDType, type DType, type VoxelArray } from '../dtypes';
import { axisMapOf, omeResolution, spatialOf, storedCoord, type AxisMap } from './axes';
import { assembleRegion } from './chunked';
import type { Chunk, ChunkedVolumeReader, LevelInfo, VolumeFormat } from './types';

type AnyArray = zarr.Array<zarr.DataType, FileSystemStore>;

interface ZarrLevel {
  array: AnyArray;
  map: AxisMap;
}

/**
 * Zarr v2 / v3 arrays and OME-Zarr multiscale groups, read in place through zarrita
 * (all codecs zarrita knows, sharding included). Chunks come back as C-order [z, y, x].
 */
export class ZarrReader implements ChunkedVolumeReader {
  constructor(
    readonly path: string,
    readonly format: VolumeFormat,
    readonly dtype: DType,
    readonly levels: LevelInfo[],
    readonly resolution: Vec3 | null,
    readonly details: Record<string, unknown>,
    private readonly arrays: ZarrLevel[],
  ) {}

  async readChunk(level: number, coord: Vec3): Promise<Chunk> {
    const l = this.arrays[level];
    if (!l) throw new AppError('BAD_REQUEST', `${this.path} has no level ${level}`);
    let chunk: zarr.Chunk<zarr.DataType>;
    try {
      chunk = await l.array.getChunk(storedCoord(coord, l.map));
    } catch (err) {
      throw new AppError('CORRUPT_FILE', `${this.path}: chunk ${coord.join(',')} of level ${level} cannot be read (${(err as Error).message})`);
    }
    return toZyx(chunk as { data: VoxelArray; shape: number[]; stride: number[] }, l.map, this.dtype);
  }

  async readRegion(box: Box, level = 0): Promise<VoxelArray> {
    assertBoxInShape(box, this.levels[level].shape, this.path);
    return assembleRegion((lv, c) => this.readChunk(lv, c), this.dtype, this.levels, level, box);
  }

  async close(): Promise<void> {}
}

/** Copies a zarrita chunk (any stride order, extra singleton axes) into C-order [z, y, x]. */
function toZyx(chunk: { data: VoxelArray; shape: number[]; stride: number[] }, map: AxisMap, dtype: DType): Chunk {
  const shape = spatialOf(chunk.shape, map);
  const st = map.spatial.map((i) => (i < 0 ? 0 : chunk.stride[i]));
  const cStride = [shape[1] * shape[2], shape[2], 1];
  if (st[0] === cStride[0] || shape[0] === 1) {
    if ((st[1] === cStride[1] || shape[1] === 1) && (st[2] === 1 || shape[2] === 1)) return { data: chunk.data, shape };
  }
  const out = allocate(dtype, voxelCount(shape)) as unknown as { [i: number]: unknown };
  const src = chunk.data as unknown as { [i: number]: unknown };
  let o = 0;
  for (let z = 0; z < shape[0]; z++)
    for (let y = 0; y < shape[1]; y++) for (let x = 0; x < shape[2]; x++) out[o++] = src[z * st[0] + y * st[1] + x * st[2]];
  return { data: out as unknown as VoxelArray, shape };
}

function readJsonIfExists(path: string): Record<string, any> | null {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;
  } catch {
    throw new AppError('CORRUPT_FILE', `${path} is not valid JSON`);
  }
}

/** Zarr arrays directly inside a group folder (for error messages and pickers). */
export function listZarrChildren(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir)
    .filter((n) => ['zarr.json', '.zarray', '.zgroup'].some((f) => existsSync(join(dir, n, f))))
    .sort();
}

export function isZarr(dir: string): boolean {
  return ['zarr.json', '.zarray', '.zgroup', '.zattrs'].some((f) => existsSync(join(dir, f)));
}

async function openArray(store: FileSystemStore, path: string, where: string): Promise<AnyArray> {
  try {
    const loc = zarr.root(store).resolve(path);
    return (await zarr.open(loc, { kind: 'array' })) as AnyArray;
  } catch (err) {
    throw new AppError('NOT_FOUND', `${where}: no Zarr array at '${path}' (${(err as Error).message})`);
  }
}

function checkDType(a: AnyArray, where: string): DType {
  const d = String(a.dtype);
  if (!isDType(d)) throw new AppError('UNSUPPORTED', `${where} holds ${d} data; supported are 8-64 bit integers and 32/64-bit floats`);
  return d;
}

/** Opens `root` (a Zarr folder) or the array/group at `dataset` inside it. */
export async function openZarr(root: string, dataset?: string): Promise<ZarrReader> {
  const store = new FileSystemStore(root);
  const sub = (dataset ?? '').replace(/^\/+|\/+$/g, '');
  const dir = sub ? join(root, sub) : root;
  const where = sub ? `${root} (${sub})` : root;
  if (!existsSync(dir)) throw new AppError('NOT_FOUND', `${where} does not exist`);
  const v3 = readJsonIfExists(join(dir, 'zarr.json'));
  const attrs: Record<string, any> = v3 ? (v3.attributes ?? {}) : (readJsonIfExists(join(dir, '.zattrs')) ?? {});
  const isArray = v3 ? v3.node_type === 'array' : existsSync(join(dir, '.zarray'));
  const multiscales = (attrs.ome?.multiscales ?? attrs.multiscales) as any[] | undefined;
  const version = v3 ? 3 : 2;

  if (isArray) {
    const array = await openArray(store, `/${sub}`, where);
    const names = (array.dimensionNames ?? (attrs._ARRAY_DIMENSIONS as string[] | undefined)) as string[] | undefined;
    const map = axisMapOf(array.shape, names, where);
    const dtype = checkDType(array, where);
    const res = attrs.resolution;
    const resolution = Array.isArray(res) && res.length === 3 && res.every((r: unknown) => Number(r) > 0) ? (res.map(Number) as Vec3) : null;
    const level: LevelInfo = { shape: spatialOf(array.shape, map), chunkShape: spatialOf(array.chunks, map), resolution: resolution ?? [1, 1, 1], factors: [1, 1, 1] };
    return new ZarrReader(where, 'zarr', dtype, [level], resolution, { zarrVersion: version, dataset: sub || null }, [{ array, map }]);
  }

  if (!multiscales?.length) {
    const children = listZarrChildren(dir);
    throw new AppError('BAD_REQUEST', `${where} is a Zarr group without OME multiscales; pick an array inside it${children.length ? ` (arrays/groups: ${children.join(', ')})` : ''}`);
  }
  const ms = multiscales[0];
  const axes = ms.axes as { name: string; unit?: string; type?: string }[] | undefined;
  const levels: LevelInfo[] = [];
  const arrays: ZarrLevel[] = [];
  let dtype: DType | null = null;
  let resolution: Vec3 | null = null;
  for (const ds of ms.datasets as { path: string; coordinateTransformations?: { type: string; scale?: number[] }[] }[]) {
    const arrayPath = `/${[sub, ds.path].filter(Boolean).join('/')}`;
    const array = await openArray(store, arrayPath, where);
    const names = axes?.map((a) => (typeof a === 'string' ? a : a.name));
    const map = axisMapOf(array.shape, names ?? array.dimensionNames, `${where}/${ds.path}`);
    const d = checkDType(array, `${where}/${ds.path}`);
    if (dtype && d !== dtype) throw new AppError('CORRUPT_FILE', `${where}: level ${ds.path} is ${d} but level 0 is ${dtype}`);
    dtype = d;
    const scale = [...(ms.coordinateTransformations?.find((t: any) => t.type === 'scale')?.scale ?? array.shape.map(() => 1))];
    const own = ds.coordinateTransformations?.find((t) => t.type === 'scale')?.scale ?? array.shape.map(() => 1);
    const combined = own.map((s, i) => s * (scale[i] ?? 1));
    const res = omeResolution(axes, combined, map);
    if (levels.length === 0) resolution = res;
    const shape = spatialOf(array.shape, map);
    const l0 = levels[0];
    const factors: Vec3 = l0 ? (l0.shape.map((s, i) => Math.max(1, Math.round(s / shape[i]))) as Vec3) : [1, 1, 1];
    if (res && resolution && l0) for (let i = 0; i < 3; i++) factors[i] = Math.max(1, Math.round(res[i] / resolution[i]));
    levels.push({ shape, chunkShape: spatialOf(array.chunks, map), resolution: res ?? (l0 ? (l0.resolution.map((r, i) => r * factors[i]) as Vec3) : [1, 1, 1]), factors });
    arrays.push({ array, map });
  }
  return new ZarrReader(where, 'ome-zarr', dtype!, levels, resolution, { zarrVersion: version, dataset: sub || null, multiscaleName: ms.name ?? null }, arrays);
}
