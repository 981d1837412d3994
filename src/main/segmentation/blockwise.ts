import { AppError, CancelledError } from '../errors';
import { RegionGraph, type Agglomeration, type AgglomerationOptions, type BlockHalos } from './agglomeration';
import { awaitNative, segmentationAddon } from './native';
import { voxelCount, type AffinityArray, type Shape3 } from './types';
import type { FragmentOptions } from './watershed';

/** A box of a volume: voxel offset [z, y, x] and extent. */
export interface Box {
  offset: readonly [number, number, number];
  shape: Shape3;
}

/**
 * Out-of-core access for block-wise segmentation (e.g. the chunk store). Arrays are C
 * order over the box; affinities are (3, box) channel-major, channels z, y, x.
 */
export interface BlockStore {
  readonly shape: Shape3;
  readAffinities(box: Box): Promise<AffinityArray>;
  /** Optional: 0 = outside (left 0, never flooded). */
  readMask?(box: Box): Promise<Uint8Array>;
  writeFragments(box: Box, fragments: Uint32Array): Promise<void>;
  readFragments(box: Box): Promise<Uint32Array>;
  /** Optional: receives the flat segmentation of each block, per threshold index. */
  writeSegmentation?(thresholdIndex: number, box: Box, segments: Uint32Array): Promise<void>;
}

export interface BlockwiseOptions extends Omit<FragmentOptions, 'blockShape' | 'mask' | 'idOffset'>, AgglomerationOptions {
  blockShape: Shape3;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

export interface BlockwiseResult extends Agglomeration {
  fragmentCount: number;
  edgeCount: number;
  blocks: number;
}

/** The block grid over `shape`, in raster order (z slowest); edge blocks are cropped. */
export function blockGrid(shape: Shape3, blockShape: Shape3): Box[] {
  if (blockShape.some((b) => !(Number.isInteger(b) && b > 0))) {
    throw new AppError('BAD_REQUEST', `block shape must be positive integers, got ${blockShape.join('x')}`);
  }
  const boxes: Box[] = [];
  for (let z = 0; z < shape[0]; z += blockShape[0])
    for (let y = 0; y < shape[1]; y += blockShape[1])
      for (let x = 0; x < shape[2]; x += blockShape[2])
        boxes.push({
          offset: [z, y, x],
          shape: [Math.min(blockShape[0], shape[0] - z), Math.min(blockShape[1], shape[1] - y), Math.min(blockShape[2], shape[2] - x)],
        });
  return boxes;
}

/** The 1-voxel planes just before a box's low faces (fragment ids already written). */
async function readHalos(store: BlockStore, box: Box): Promise<BlockHalos> {
  const [z, y, x] = box.offset;
  const [bz, by, bx] = box.shape;
  const halos: BlockHalos = {};
  if (z > 0) halos.z = await store.readFragments({ offset: [z - 1, y, x], shape: [1, by, bx] });
  if (y > 0) halos.y = await store.readFragments({ offset: [z, y - 1, x], shape: [bz, 1, bx] });
  if (x > 0) halos.x = await store.readFragments({ offset: [z, y, x - 1], shape: [bz, by, 1] });
  return halos;
}

function checkCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError('block-wise segmentation cancelled');
}

/**
 * Segments a volume that does not fit in memory: fragments block by block (ids offset by
 * the fragments of earlier blocks, so they are unique), one region adjacency graph over
 * block interiors and faces, one agglomeration. The result equals segmentAffinities() on
 * the whole volume with the same `blockShape` (fragments never cross the block grid).
 */
export async function segmentBlockwise(store: BlockStore, options: BlockwiseOptions): Promise<BlockwiseResult> {
  const { blockShape, signal, onProgress, merge, quantile, thresholds, ...fragmentOptions } = options;
  const boxes = blockGrid(store.shape, blockShape);
  const addon = segmentationAddon();
  const graph = new RegionGraph({ merge, quantile });
  let fragmentCount = 0;
  for (let b = 0; b < boxes.length; b++) {
    checkCancelled(signal);
    const box = boxes[b];
    const affinities = await store.readAffinities(box);
    const mask = store.readMask ? await store.readMask(box) : undefined;
    const { fragments, count } = await awaitNative('fragments', () =>
      addon.segFragmentsAsync(affinities, box.shape, { ...fragmentOptions, mask, idOffset: fragmentCount }),
    );
    fragmentCount += count;
    if (fragmentCount >= 0xfffffff0) throw new AppError('TOO_LARGE', 'block-wise segmentation: more than 2^32 fragments');
    await store.writeFragments(box, fragments);
    await graph.addBlock(fragments, affinities, box.shape, await readHalos(store, box));
    onProgress?.(((b + 1) / boxes.length) * 0.9, `fragments: block ${b + 1}/${boxes.length}`);
  }
  checkCancelled(signal);
  onProgress?.(0.9, `agglomerating ${graph.edgeCount} edges`);
  const result = await graph.agglomerate(thresholds ?? [0.5], fragmentCount);
  if (store.writeSegmentation) await writeSegmentations(store, boxes, result.mappings, signal);
  onProgress?.(1, 'done');
  return { ...result, fragmentCount, edgeCount: graph.edgeCount, blocks: boxes.length };
}

export interface AgglomerateBlockwiseOptions extends AgglomerationOptions {
  blockShape: Shape3;
  /** Largest fragment id in the store. */
  fragmentCount: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

/**
 * Agglomerates fragments that already exist in the store (e.g. computed elsewhere):
 * region graph block by block, then one agglomeration. Equals the whole-volume result for
 * the same fragments whatever the block shape.
 */
export async function agglomerateBlockwise(
  store: Pick<BlockStore, 'shape' | 'readAffinities' | 'readFragments' | 'writeSegmentation'>,
  options: AgglomerateBlockwiseOptions,
): Promise<BlockwiseResult> {
  const boxes = blockGrid(store.shape, options.blockShape);
  const graph = new RegionGraph({ merge: options.merge, quantile: options.quantile });
  for (let b = 0; b < boxes.length; b++) {
    checkCancelled(options.signal);
    const box = boxes[b];
    const [fragments, affinities] = await Promise.all([store.readFragments(box), store.readAffinities(box)]);
    await graph.addBlock(fragments, affinities, box.shape, await readHalos(store as BlockStore, box));
    options.onProgress?.(((b + 1) / boxes.length) * 0.9, `region graph: block ${b + 1}/${boxes.length}`);
  }
  checkCancelled(options.signal);
  const result = await graph.agglomerate(options.thresholds ?? [0.5], options.fragmentCount);
  if (store.writeSegmentation) await writeSegmentations(store as BlockStore, boxes, result.mappings, options.signal);
  options.onProgress?.(1, 'done');
  return { ...result, fragmentCount: options.fragmentCount, edgeCount: graph.edgeCount, blocks: boxes.length };
}

async function writeSegmentations(store: BlockStore, boxes: Box[], mappings: Uint32Array[], signal?: AbortSignal): Promise<void> {
  const addon = segmentationAddon();
  for (const box of boxes) {
    checkCancelled(signal);
    const fragments = await store.readFragments(box);
    for (let t = 0; t < mappings.length; t++) {
      const segments = await awaitNative('applyMapping', () => addon.segApplyMappingAsync(fragments, mappings[t]));
      await store.writeSegmentation!(t, box, segments);
    }
  }
}

/**
 * A BlockStore over in-memory arrays: for volumes that fit, for tests, and as the
 * reference shape of the interface.
 */
export class InMemoryBlockStore implements BlockStore {
  readonly fragments: Uint32Array;
  readonly segmentations: Uint32Array[] = [];

  constructor(
    readonly shape: Shape3,
    private readonly affinities: AffinityArray,
    private readonly mask?: Uint8Array,
    fragments?: Uint32Array,
  ) {
    const n = voxelCount(shape);
    if (affinities.length !== 3 * n) throw new AppError('BAD_REQUEST', `affinities must hold 3 x ${n} values, got ${affinities.length}`);
    this.fragments = fragments ?? new Uint32Array(n);
  }

  async readAffinities(box: Box): Promise<AffinityArray> {
    const n = voxelCount(this.shape);
    const m = voxelCount(box.shape);
    const out = this.affinities instanceof Uint8Array ? new Uint8Array(3 * m) : new Float32Array(3 * m);
    for (let c = 0; c < 3; c++) copyBox(this.affinities.subarray(c * n, (c + 1) * n), this.shape, box, out.subarray(c * m, (c + 1) * m), false);
    return out;
  }

  async readMask(box: Box): Promise<Uint8Array> {
    const out = new Uint8Array(voxelCount(box.shape));
    if (!this.mask) return out.fill(1);
    copyBox(this.mask, this.shape, box, out, false);
    return out;
  }

  async writeFragments(box: Box, fragments: Uint32Array): Promise<void> {
    copyBox(this.fragments, this.shape, box, fragments, true);
  }

  async readFragments(box: Box): Promise<Uint32Array> {
    const out = new Uint32Array(voxelCount(box.shape));
    copyBox(this.fragments, this.shape, box, out, false);
    return out;
  }

  async writeSegmentation(thresholdIndex: number, box: Box, segments: Uint32Array): Promise<void> {
    this.segmentations[thresholdIndex] ??= new Uint32Array(voxelCount(this.shape));
    copyBox(this.segmentations[thresholdIndex], this.shape, box, segments, true);
  }
}

/** Copies between a volume and a box-shaped buffer (toVolume: buffer -> volume). */
function copyBox<T extends { set(a: ArrayLike<number>, o: number): void; subarray(b: number, e: number): T }>(
  volume: T,
  shape: Shape3,
  box: Box,
  buffer: T,
  toVolume: boolean,
): void {
  const [, Y, X] = shape;
  const [z0, y0, x0] = box.offset;
  const [bz, by, bx] = box.shape;
  for (let z = 0; z < bz; z++)
    for (let y = 0; y < by; y++) {
      const v = ((z0 + z) * Y + y0 + y) * X + x0;
      const b = (z * by + y) * bx;
      if (toVolume) volume.set(buffer.subarray(b, b + bx) as unknown as ArrayLike<number>, v);
      else buffer.set(volume.subarray(v, v + bx) as unknown as ArrayLike<number>, b);
    }
}
