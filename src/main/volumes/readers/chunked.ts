import { boxSize, chunkBox, chunksInBox, copyRegion, intersect, voxelCount, type Box, type Vec3 } from '../box';
import { mapLimit } from '../concurrency';
import { allocate, type DType, type VoxelArray } from '../dtypes';
import type { Chunk, LevelInfo } from './types';

export type ChunkLoader = (level: number, coord: Vec3) => Promise<Chunk>;

/**
 * Reads `box` of `level` by loading every chunk it touches (at most `concurrency` at once)
 * and copying the overlapping voxels. Chunks may be clipped at the volume's edge.
 */
export async function assembleRegion(
  load: ChunkLoader,
  dtype: DType,
  levels: LevelInfo[],
  level: number,
  box: Box,
  concurrency = 8,
): Promise<VoxelArray> {
  const info = levels[level];
  const chunkShape = info.chunkShape!;
  const out = allocate(dtype, voxelCount(box));
  const outShape = boxSize(box);
  await mapLimit(chunksInBox(box, chunkShape), concurrency, async (coord) => {
    const chunk = await load(level, coord);
    const cb = chunkBox(coord, chunkShape, info.shape);
    const region = intersect(cb, box);
    if (region) copyRegion(chunk.data, chunk.shape, cb.min, out, outShape, box.min, region);
  });
  return out;
}

/** A chunk of zeros (the fill value) for chunks a store does not hold. */
export function emptyChunk(dtype: DType, shape: Vec3): Chunk {
  return { data: allocate(dtype, voxelCount(shape)), shape };
}
