import { awaitNative, callNative, segmentationAddon, type BlockHalos, type NativeRegionGraph } from './native';
import type { AffinityArray, Shape3 } from './types';
import type { FragmentOptions } from './watershed';

export interface AgglomerationOptions {
  /**
   * Edge score = 1 - aggregate affinity of all voxel pairs between two regions:
   * 'mean' (default) or 'quantile' (256-bin histogram, lower quantile).
   */
  merge?: 'mean' | 'quantile';
  /** For merge 'quantile': q in [0, 1] (default 0.5, the median). */
  quantile?: number;
  /**
   * Regions are merged while the lowest edge score is below a threshold; one partition is
   * recorded per threshold, all in one pass (default [0.5]). Higher = coarser.
   */
  thresholds?: readonly number[];
}

export interface Agglomeration {
  /** Thresholds, ascending (mappings and counts follow this order). */
  thresholds: number[];
  /**
   * Per threshold: mapping[fragmentId] = segment id (the smallest fragment id of the
   * segment, so ids stay stable across thresholds); mapping[0] = 0.
   */
  mappings: Uint32Array[];
  segmentCounts: number[];
  /** Merges performed up to the highest threshold. */
  merges: number;
}

export interface SegmentOptions extends FragmentOptions, AgglomerationOptions {
  /** Also return the flat segmentation (uint32) per threshold. */
  flat?: boolean;
}

export interface Segmentation extends Agglomeration {
  fragments: Uint32Array;
  fragmentCount: number;
  /** Region adjacency graph size. */
  edgeCount: number;
  /** With `flat`: segment id per voxel, one volume per threshold. */
  segmentations?: Uint32Array[];
}

function nativeOptions(options: SegmentOptions): object {
  return { ...options, thresholds: options.thresholds ? [...options.thresholds] : undefined };
}

/** Fragments + region adjacency graph + agglomeration of an in-memory volume (blocks the thread). */
export function segmentAffinitiesSync(affinities: AffinityArray, shape: Shape3, options: SegmentOptions = {}): Segmentation {
  return callNative('segment', () => segmentationAddon().segSegment(affinities, shape, nativeOptions(options)));
}

/** segmentAffinitiesSync on a native worker thread. */
export function segmentAffinities(affinities: AffinityArray, shape: Shape3, options: SegmentOptions = {}): Promise<Segmentation> {
  return awaitNative('segment', () => segmentationAddon().segSegmentAsync(affinities, shape, nativeOptions(options)));
}

/** out[i] = mapping[fragments[i]] (ids beyond the mapping become 0). */
export function applyMappingSync(fragments: Uint32Array, mapping: Uint32Array): Uint32Array {
  return callNative('applyMapping', () => segmentationAddon().segApplyMapping(fragments, mapping));
}

export function applyMapping(fragments: Uint32Array, mapping: Uint32Array): Promise<Uint32Array> {
  return awaitNative('applyMapping', () => segmentationAddon().segApplyMappingAsync(fragments, mapping));
}

export type { BlockHalos };

/**
 * A region adjacency graph assembled block by block (in native memory). Edge statistics
 * are exact integers, so any block split gives the same graph and the same agglomeration
 * as one whole-volume call.
 */
export class RegionGraph {
  private readonly graph: NativeRegionGraph;

  constructor(options: Pick<AgglomerationOptions, 'merge' | 'quantile'> = {}) {
    const { SegRegionGraph } = segmentationAddon();
    this.graph = callNative('region graph', () => new SegRegionGraph(options));
  }

  /**
   * Adds a block's voxel pairs, and those across its low faces when `halos` hold the
   * fragment ids of the voxels just before the block along z / y / x.
   */
  addBlockSync(fragments: Uint32Array, affinities: AffinityArray, shape: Shape3, halos: BlockHalos = {}): void {
    callNative('addBlock', () => this.graph.addBlock(fragments, affinities, shape, halos));
  }

  async addBlock(fragments: Uint32Array, affinities: AffinityArray, shape: Shape3, halos: BlockHalos = {}): Promise<void> {
    await awaitNative('addBlock', () => this.graph.addBlockAsync(fragments, affinities, shape, halos));
  }

  agglomerateSync(thresholds: readonly number[], fragmentCount: number): Agglomeration {
    return callNative('agglomerate', () => this.graph.agglomerate([...thresholds], fragmentCount));
  }

  agglomerate(thresholds: readonly number[], fragmentCount: number): Promise<Agglomeration> {
    return awaitNative('agglomerate', () => this.graph.agglomerateAsync([...thresholds], fragmentCount));
  }

  /** Edges (u < v, ascending) with their aggregate affinity and voxel-pair count. */
  edges(): { u: Uint32Array; v: Uint32Array; affinity: Float64Array; count: Float64Array } {
    return this.graph.edges();
  }

  get edgeCount(): number {
    return this.graph.edgeCount;
  }

  get maxFragment(): number {
    return this.graph.maxFragment;
  }
}
