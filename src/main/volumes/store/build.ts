import { CancelledError } from '../../errors';
import { boxSize, chunkBox, chunksInBox, copyRegion, voxelCount, type Box, type Vec3 } from '../box';
import { mapLimit } from '../concurrency';
import { allocate, bytesPerVoxel, type VoxelArray } from '../dtypes';
import { allChunks, computePyramidChunk } from './pyramid';
import { VolumeStore, type StoreSpec } from './volume-store';

export interface BuildProgress {
  signal?: AbortSignal;
  /** Fraction of the whole build in [0, 1] and a short message. */
  progress?: (fraction: number, message: string) => void;
  /** Bytes of one source block (z-slab x y-band x full width); bounds memory. Default 64 MiB. */
  blockBytes?: number;
  /** Chunk writes in flight (gzip runs on the libuv pool). */
  concurrency?: number;
}

/** Reads a box of the source volume, already converted to the store's dtype. */
export type BlockSource = (box: Box) => Promise<VoxelArray>;

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}

/**
 * Source blocks for writing level 0: chunk-aligned z-slabs one chunk deep, split into y-bands
 * of whole chunk rows so that one block stays under `blockBytes`, full width in x (TIFF strips
 * and PNG rows are read most cheaply whole).
 */
export function planBlocks(shape: Vec3, chunkShape: Vec3, bytesPerVox: number, blockBytes: number): Box[] {
  const [cz, cy] = chunkShape;
  const slabRowBytes = Math.min(cz, shape[0]) * shape[2] * bytesPerVox;
  const affordableRows = Math.max(cy, Math.floor(blockBytes / Math.max(1, slabRowBytes) / cy) * cy);
  // Bands as tall as affordable: a strip or PNG page cut by a band boundary is decoded twice.
  const bandRows = Math.min(Math.ceil(shape[1] / cy) * cy, affordableRows);
  const blocks: Box[] = [];
  for (let z = 0; z < shape[0]; z += cz)
    for (let y = 0; y < shape[1]; y += bandRows) {
      blocks.push({ min: [z, y, 0], max: [Math.min(shape[0], z + cz), Math.min(shape[1], y + bandRows), shape[2]] });
    }
  return blocks;
}

/**
 * Reads the blocks in order with the next one's read already under way (I/O and decoding overlap
 * the caller's work on the current block), calling `each` per block.
 */
export async function forEachPrefetchedBlock(
  blocks: Box[],
  read: BlockSource,
  each: (block: Box, data: VoxelArray, index: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next: Promise<VoxelArray> | null = blocks.length ? read(blocks[0]) : null;
  for (let i = 0; i < blocks.length; i++) {
    throwIfAborted(signal);
    const data = await next!;
    next = i + 1 < blocks.length ? read(blocks[i + 1]) : null;
    // A rejected prefetch must not surface as unhandled while this block is processed.
    next?.catch(() => undefined);
    await each(blocks[i], data, i);
  }
}

/** Splits a block into the store's chunks (padded to the full chunk shape) and writes them. */
async function writeBlockChunks(store: VolumeStore, block: Box, data: VoxelArray, concurrency: number, signal?: AbortSignal): Promise<void> {
  const l = store.level(0);
  const blockShape = boxSize(block);
  await mapLimit(chunksInBox(block, l.chunkShape), concurrency, async (coord) => {
    throwIfAborted(signal);
    const cb = chunkBox(coord, l.chunkShape, l.shape);
    const chunk = allocate(store.dtype, voxelCount(l.chunkShape));
    copyRegion(data, blockShape, block.min, chunk, l.chunkShape, cb.min, cb);
    await store.writeChunk(0, coord, chunk);
  });
}

/**
 * Writes a whole new store into `dir` from `read`: level 0 block by block (the next block is
 * read while the current one is written), then each pyramid level from the one below.
 * Memory stays around two blocks plus the chunks in flight, whatever the volume's size.
 */
export async function buildStore(dir: string, spec: StoreSpec, read: BlockSource, opts: BuildProgress = {}): Promise<VolumeStore> {
  const store = await VolumeStore.create(dir, spec);
  const concurrency = opts.concurrency ?? 4;
  const l0 = store.level(0);
  const levelVoxels = store.levels.map((l) => voxelCount(l.shape));
  const total = levelVoxels.reduce((a, b) => a + b, 0);
  let done = 0;
  const report = (msg: string) => opts.progress?.(Math.min(0.999, done / total), msg);

  const blocks = planBlocks(l0.shape, l0.chunkShape, bytesPerVoxel(spec.dtype), opts.blockBytes ?? 64 * 1024 * 1024);
  report(`writing level 0 (${blocks.length} blocks)`);
  await forEachPrefetchedBlock(
    blocks,
    read,
    async (block, data, i) => {
      await writeBlockChunks(store, block, data, concurrency, opts.signal);
      done += voxelCount(block);
      report(`level 0: block ${i + 1}/${blocks.length}`);
    },
    opts.signal,
  );

  for (let level = 1; level < store.levels.length; level++) {
    const coords = allChunks(store, level);
    let n = 0;
    await mapLimit(coords, concurrency, async (coord) => {
      throwIfAborted(opts.signal);
      const data = await computePyramidChunk(store, level, coord, (lv, box) => store.readRegion(box, lv));
      await store.writeChunk(level, coord, data);
      done += voxelCount(store.chunkBox(level, coord));
      if (++n % 16 === 0) report(`level ${level}: chunk ${n}/${coords.length}`);
    });
  }
  opts.progress?.(1, 'done');
  return store;
}
