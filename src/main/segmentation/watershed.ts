import { AppError } from '../errors';
import { awaitNative, callNative, segmentationAddon, type NativeSplitOptions } from './native';
import { voxelCount, type AffinityArray, type LabelArray, type Shape3 } from './types';

export interface FragmentOptions {
  /** false (default): a 2D watershed per z-section, for anisotropic EM; true: one 3D watershed. */
  threeD?: boolean;
  /**
   * A voxel is a seed candidate when 1 - (its weakest face affinity), quantised to the
   * flood levels, is below this (default 0.5); the distance transform measures the
   * distance to the other voxels.
   */
  boundaryThreshold?: number;
  /** Seeds are distance maxima within a window of this half-width in voxels (default 4). */
  seedRadius?: number;
  /** Seeds lie at least this far from a boundary voxel (spacing units; default 1). */
  minSeedDistance?: number;
  /** Voxel spacing [z, y, x] for the distance transform and the 3D seed window. */
  spacing?: readonly [number, number, number];
  /** Fragments with fewer voxels are dissolved into their neighbours (default 0: off). */
  minFragmentSize?: number;
  /** Quantisation levels of edge strength (1 - affinity) for the flood (default 255, at most 65535). */
  levels?: number;
  /** Fragments never cross this block grid, so block-wise runs reproduce the result exactly. */
  blockShape?: Shape3;
  /** 0 = outside: stays 0 and blocks the flood. */
  mask?: Uint8Array;
  /** Added to every non-zero fragment id (block-wise id ranges). */
  idOffset?: number;
}

export interface Fragments {
  /** Fragment ids (uint32) 1..count, 0 only where the mask is 0. */
  fragments: Uint32Array;
  count: number;
}

/**
 * Fragments (supervoxels) from affinities: seeds at local maxima of the distance to
 * boundary voxels, grown by an edge-weighted watershed on the affinity graph (minimum
 * spanning forest). Every voxel inside the mask is labelled; ids are uint32, 1..count in
 * raster order of first voxel (per block of `blockShape`, blocks in raster order).
 * Synchronous: for small volumes (blocks the calling thread).
 */
export function computeFragmentsSync(affinities: AffinityArray, shape: Shape3, options: FragmentOptions = {}): Fragments {
  return callNative('fragments', () => segmentationAddon().segFragments(affinities, shape, options));
}

/** computeFragmentsSync on a native worker thread: the JS thread stays free. */
export function computeFragments(affinities: AffinityArray, shape: Shape3, options: FragmentOptions = {}): Promise<Fragments> {
  return awaitNative('fragments', () => segmentationAddon().segFragmentsAsync(affinities, shape, options));
}

/** What the split flood follows (reached in order of increasing boundary strength). */
export type SplitSource =
  /** Raw EM: membranes are dark by default (strength = 255 - intensity). */
  | { kind: 'image'; data: Uint8Array; darkBoundaries?: boolean }
  /** Any scale, higher = stronger boundary (e.g. 1 - mean affinity). */
  | { kind: 'boundary'; data: Float32Array }
  /** (3, Z, Y, X) affinities of the region: edge strength = 1 - affinity (minimum spanning forest). */
  | { kind: 'affinities'; data: AffinityArray };

export interface SplitRequest {
  /** Region (e.g. the segment's bounding box) all arrays refer to. */
  shape: Shape3;
  source: SplitSource;
  /** The segment to split: an explicit mask, or the voxels of `labels` equal to `id`. */
  segment: { mask: Uint8Array } | { labels: LabelArray; id: number | bigint };
  /** Seed groups: group g (0-based) becomes label g + 1. Coordinates [z, y, x] in the region. */
  seeds: ReadonlyArray<ReadonlyArray<readonly [number, number, number]>>;
  /** Flood within each z-section only. */
  inPlane?: boolean;
}

export interface SplitResult {
  /** Per voxel: group label 1..G inside the segment, 0 outside (and where no seed reaches). */
  labels: Uint16Array;
  /** Voxels per group, in group order. */
  groupSizes: number[];
  /** Segment voxels no seed can reach (a part of the segment not connected to any seed). */
  unreached: number;
}

function splitOptions(request: SplitRequest): NativeSplitOptions {
  if (request.seeds.length < 2) throw new AppError('BAD_REQUEST', 'split: place seeds in at least two groups');
  const rows: number[] = [];
  request.seeds.forEach((group, g) => {
    if (group.length === 0) throw new AppError('BAD_REQUEST', `split: seed group ${g + 1} is empty`);
    for (const [z, y, x] of group) rows.push(g + 1, z, y, x);
  });
  const n = voxelCount(request.shape);
  const expected = request.source.kind === 'affinities' ? 3 * n : n;
  if (request.source.data.length !== expected) {
    throw new AppError('BAD_REQUEST', `split: ${request.source.kind} data has ${request.source.data.length} values, the region needs ${expected}`);
  }
  const options: NativeSplitOptions = {
    source: request.source.kind,
    data: request.source.data,
    seeds: Int32Array.from(rows),
    inPlane: request.inPlane ?? false,
  };
  if (request.source.kind === 'image' && request.source.darkBoundaries !== undefined) {
    options.darkBoundaries = request.source.darkBoundaries;
  }
  if ('mask' in request.segment) options.mask = request.segment.mask;
  else {
    options.labels = request.segment.labels;
    options.segmentId = request.segment.id;
  }
  return options;
}

/** Seeded watershed inside one segment (proofreading split preview). */
export function seededSplitSync(request: SplitRequest): SplitResult {
  const options = splitOptions(request);
  return callNative('split', () => segmentationAddon().segSeededSplit(request.shape, options));
}

/** seededSplitSync on a native worker thread. */
export async function seededSplit(request: SplitRequest): Promise<SplitResult> {
  const options = splitOptions(request);
  return awaitNative('split', () => segmentationAddon().segSeededSplitAsync(request.shape, options));
}
