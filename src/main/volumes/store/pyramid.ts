import { boxSize, chunkBox, copyRegion, voxelCount, type Box, type Vec3 } from '../box';
import { mapLimit } from '../concurrency';
import { allocate, type VoxelArray } from '../dtypes';
import { downsample, downsampledShape } from './downsample';
import type { VolumeStore } from './volume-store';

/** Reads level-0..n regions; the service passes a cached reader, import the store itself. */
export type RegionSource = (level: number, box: Box) => Promise<VoxelArray>;

/** Box of level `level - 1` that chunk `coord` of `level` is computed from. */
export function sourceBoxOfChunk(store: VolumeStore, level: number, coord: Vec3): Box {
  const l = store.level(level);
  const prev = store.level(level - 1);
  const min: Vec3 = [0, 0, 0];
  const max: Vec3 = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    min[a] = coord[a] * l.chunkShape[a] * l.step[a];
    max[a] = Math.min(prev.shape[a], (coord[a] + 1) * l.chunkShape[a] * l.step[a]);
  }
  return { min, max };
}

/** Recomputes chunk `coord` of `level` (>= 1) from the level below and returns it (full chunk shape). */
export async function computePyramidChunk(store: VolumeStore, level: number, coord: Vec3, read: RegionSource): Promise<VoxelArray> {
  const l = store.level(level);
  const src = sourceBoxOfChunk(store, level, coord);
  const srcShape = boxSize(src);
  const data = await read(level - 1, src);
  const reduced = downsample(data, srcShape, l.step, store.dtype, store.downsampleMethod);
  const box = chunkBox(coord, l.chunkShape, l.shape);
  const full = allocate(store.dtype, voxelCount(l.chunkShape));
  copyRegion(reduced, downsampledShape(srcShape, l.step), box.min, full, l.chunkShape, box.min, box);
  return full;
}

/** Parent chunk coordinates (in `level + 1`) of chunks of `level`, deduplicated. */
export function parentChunks(store: VolumeStore, level: number, coords: Vec3[]): Vec3[] {
  const step = store.level(level + 1).step;
  const seen = new Map<string, Vec3>();
  for (const c of coords) {
    const p: Vec3 = [Math.floor(c[0] / step[0]), Math.floor(c[1] / step[1]), Math.floor(c[2] / step[2])];
    seen.set(p.join(','), p);
  }
  return [...seen.values()];
}

/**
 * After chunks of `level` changed, recomputes the chunks of every coarser level that depend on
 * them, level by level. `write` stores a recomputed chunk (the service also refreshes its cache).
 */
export async function updatePyramid(
  store: VolumeStore,
  level: number,
  changed: Vec3[],
  read: RegionSource,
  write: (level: number, coord: Vec3, data: VoxelArray) => Promise<void>,
): Promise<number> {
  let coords = changed;
  let written = 0;
  for (let l = level + 1; l < store.levels.length && coords.length > 0; l++) {
    coords = parentChunks(store, l - 1, coords);
    await mapLimit(coords, 4, async (c) => {
      await write(l, c, await computePyramidChunk(store, l, c, read));
      written++;
    });
  }
  return written;
}

/** Every chunk coordinate of a level, z slowest. */
export function allChunks(store: VolumeStore, level: number): Vec3[] {
  const g = store.chunkGrid(level);
  const out: Vec3[] = [];
  for (let z = 0; z < g[0]; z++) for (let y = 0; y < g[1]; y++) for (let x = 0; x < g[2]; x++) out.push([z, y, x]);
  return out;
}
