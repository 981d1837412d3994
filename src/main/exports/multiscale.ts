import { CancelledError } from '../errors';
import { boxSize, chunkBox, chunkGridShape, chunksInBox, copyRegion, voxelCount, type Box, type Vec3 } from '../volumes/box';
import { mapLimit } from '../volumes/concurrency';
import { allocate, bytesPerVoxel, type DType, type VoxelArray } from '../volumes/dtypes';
import { assembleRegion } from '../volumes/readers/chunked';
import { forEachPrefetchedBlock, planBlocks, type BlockSource } from '../volumes/store/build';
import { chooseChunkShape, planLevels } from '../volumes/store/chunking';
import { downsample, type DownsampleMethod } from '../volumes/store/downsample';

/**
 * Writes chunked multiscale exports (N5, neuroglancer precomputed): level 0 from the source in
 * chunk-aligned blocks, then every coarser level from the level below as the output holds it
 * (read back through the sink), with the project store's pyramid rules (mean for images, mode
 * for labels, anisotropic data halved in-plane first). Memory: two source blocks plus the
 * chunks in flight.
 */

export interface ExportLevel {
  shape: Vec3;
  chunkShape: Vec3;
  /** nm [z, y, x] */
  resolution: Vec3;
  /** Relative to level 0. */
  factors: Vec3;
  /** Relative to the previous level. */
  step: Vec3;
}

/** Where the chunks go. Chunk data is C-order [z][y][x] of the chunk's box clipped to the level. */
export interface ChunkSink {
  writeChunk(level: number, coord: Vec3, data: VoxelArray, shape: Vec3): Promise<void>;
  /** A chunk as written (zeros when the sink skipped it), for computing the next level. */
  readChunk(level: number, coord: Vec3, shape: Vec3): Promise<VoxelArray>;
  /** Called once no later level reads this one any more. */
  finishLevel?(level: number): Promise<void>;
}

export interface MultiscaleOptions {
  signal?: AbortSignal;
  progress?: (fraction: number, message: string) => void;
  blockBytes?: number;
  concurrency?: number;
  /** Sees every level-0 chunk before it is written (e.g. to count segment voxels). */
  onLevel0Chunk?: (data: VoxelArray) => void;
}

/** The levels of an export: the store's chunk-shape and pyramid rules, optionally capped. */
export function planExportLevels(shape: Vec3, resolution: Vec3, opts: { chunkShape?: Vec3; maxLevels?: number } = {}): ExportLevel[] {
  const chunkShape = opts.chunkShape ?? chooseChunkShape(shape, resolution);
  return planLevels(shape, resolution, chunkShape)
    .slice(0, Math.max(1, opts.maxLevels ?? Infinity))
    .map((l) => ({ ...l, chunkShape }));
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}

function allChunkCoords(level: ExportLevel): Vec3[] {
  return chunksInBox({ min: [0, 0, 0], max: level.shape }, level.chunkShape);
}

export async function writeMultiscale(levels: ExportLevel[], dtype: DType, method: DownsampleMethod, sink: ChunkSink, read: BlockSource, opts: MultiscaleOptions = {}): Promise<void> {
  const concurrency = opts.concurrency ?? 4;
  const total = levels.reduce((a, l) => a + voxelCount(l.shape), 0);
  let done = 0;
  const report = (msg: string) => opts.progress?.(Math.min(0.999, done / total), msg);

  const l0 = levels[0];
  const blocks = planBlocks(l0.shape, l0.chunkShape, bytesPerVoxel(dtype), opts.blockBytes ?? 64 * 1024 * 1024);
  await forEachPrefetchedBlock(
    blocks,
    read,
    async (block, data, i) => {
      const blockShape = boxSize(block);
      await mapLimit(chunksInBox(block, l0.chunkShape), concurrency, async (coord) => {
        throwIfAborted(opts.signal);
        const cb = chunkBox(coord, l0.chunkShape, l0.shape);
        const shape = boxSize(cb);
        const chunk = allocate(dtype, voxelCount(shape));
        copyRegion(data, blockShape, block.min, chunk, shape, cb.min, cb);
        opts.onLevel0Chunk?.(chunk);
        await sink.writeChunk(0, coord, chunk, shape);
      });
      done += voxelCount(block);
      report(`level 0: block ${i + 1}/${blocks.length}`);
    },
    opts.signal,
  );

  for (let level = 1; level < levels.length; level++) {
    const l = levels[level];
    const prev = levels[level - 1];
    const readPrev = (box: Box) =>
      assembleRegion((lv, c) => {
        const shape = boxSize(chunkBox(c, prev.chunkShape, prev.shape));
        return sink.readChunk(lv, c, shape).then((d) => ({ data: d, shape }));
      }, dtype, levels, level - 1, box);
    const coords = allChunkCoords(l);
    let n = 0;
    await mapLimit(coords, concurrency, async (coord) => {
      throwIfAborted(opts.signal);
      const min = coord.map((c, a) => c * l.chunkShape[a] * l.step[a]) as Vec3;
      const max = coord.map((c, a) => Math.min(prev.shape[a], (c + 1) * l.chunkShape[a] * l.step[a])) as Vec3;
      const src: Box = { min, max };
      const reduced = downsample(await readPrev(src), boxSize(src), l.step, dtype, method);
      await sink.writeChunk(level, coord, reduced, boxSize(chunkBox(coord, l.chunkShape, l.shape)));
      done += voxelCount(chunkBox(coord, l.chunkShape, l.shape));
      if (++n % 16 === 0) report(`level ${level}: chunk ${n}/${coords.length}`);
    });
    await sink.finishLevel?.(level - 1);
  }
  await sink.finishLevel?.(levels.length - 1);
}

/** Chunks of a level's grid, for sinks that lay out files per chunk. */
export function gridOf(level: ExportLevel): Vec3 {
  return chunkGridShape(level.shape, level.chunkShape);
}
