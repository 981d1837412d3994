import { AppError } from '../errors';
import { nativeAddon, nativeStatus } from '../native/addon';
import type { AffinityArray, LabelArray, Shape3 } from './types';
import type { FragmentOptions } from './watershed';

export interface NativeMergeOptions {
  merge?: 'mean' | 'quantile';
  quantile?: number;
}

export interface NativeAgglomeration {
  thresholds: number[];
  mappings: Uint32Array[];
  segmentCounts: number[];
  merges: number;
}

export interface NativeSegmentResult extends NativeAgglomeration {
  fragments: Uint32Array;
  fragmentCount: number;
  edgeCount: number;
  segmentations?: Uint32Array[];
}

export interface NativeMetrics {
  voiSplit: number;
  voiMerge: number;
  arand: number;
  arandPrecision: number;
  arandRecall: number;
  cremiArand: number;
  cremiPrecision: number;
  cremiRecall: number;
  counted: number;
  total: number;
  pairs: number;
  gtSegments: number;
  segSegments: number;
}

export interface NativeSplitOptions {
  source: 'image' | 'boundary' | 'affinities';
  data: Uint8Array | Float32Array;
  darkBoundaries?: boolean;
  inPlane?: boolean;
  mask?: Uint8Array;
  labels?: LabelArray;
  segmentId?: number | bigint;
  seeds: Int32Array;
}

export interface NativeSplitResult {
  labels: Uint16Array;
  groupSizes: number[];
  unreached: number;
}

export interface NativeRegionGraph {
  addBlock(fragments: Uint32Array, affinities: AffinityArray, shape: Shape3, halos?: BlockHalos): number;
  addBlockAsync(fragments: Uint32Array, affinities: AffinityArray, shape: Shape3, halos?: BlockHalos): Promise<number>;
  agglomerate(thresholds: readonly number[], fragmentCount: number): NativeAgglomeration;
  agglomerateAsync(thresholds: readonly number[], fragmentCount: number): Promise<NativeAgglomeration>;
  edges(): { u: Uint32Array; v: Uint32Array; affinity: Float64Array; count: Float64Array };
  readonly edgeCount: number;
  readonly maxFragment: number;
}

/** Fragment ids just before a block's low faces: z (Y*X), y (Z*X), x (Z*Y), block-local order. */
export interface BlockHalos {
  z?: Uint32Array;
  y?: Uint32Array;
  x?: Uint32Array;
}

export interface NativeContingency {
  add(gt: LabelArray, seg: LabelArray): number;
  addAsync(gt: LabelArray, seg: LabelArray): Promise<number>;
  merge(other: NativeContingency): void;
  metrics(): NativeMetrics;
  reset(): void;
  readonly total: number;
}

/** The segmentation part of the addon's exports. */
export interface SegmentationAddon {
  segDistanceTransform(fg: Uint8Array, shape: Shape3, o?: { spacing?: readonly number[]; inPlane?: boolean }): Float32Array;
  segDistanceTransformAsync(fg: Uint8Array, shape: Shape3, o?: { spacing?: readonly number[]; inPlane?: boolean }): Promise<Float32Array>;
  segConnectedComponents(labels: LabelArray, shape: Shape3, o?: { inPlane?: boolean }): { labels: Uint32Array; count: number };
  segConnectedComponentsAsync(labels: LabelArray, shape: Shape3, o?: { inPlane?: boolean }): Promise<{ labels: Uint32Array; count: number }>;
  segApplyMapping(fragments: Uint32Array, mapping: Uint32Array): Uint32Array;
  segApplyMappingAsync(fragments: Uint32Array, mapping: Uint32Array): Promise<Uint32Array>;
  segFragments(affs: AffinityArray, shape: Shape3, o?: FragmentOptions): { fragments: Uint32Array; count: number };
  segFragmentsAsync(affs: AffinityArray, shape: Shape3, o?: FragmentOptions): Promise<{ fragments: Uint32Array; count: number }>;
  segSegment(affs: AffinityArray, shape: Shape3, o?: object): NativeSegmentResult;
  segSegmentAsync(affs: AffinityArray, shape: Shape3, o?: object): Promise<NativeSegmentResult>;
  segSeededSplit(shape: Shape3, o: NativeSplitOptions): NativeSplitResult;
  segSeededSplitAsync(shape: Shape3, o: NativeSplitOptions): Promise<NativeSplitResult>;
  segMetrics(gt: LabelArray, seg: LabelArray): NativeMetrics;
  segMetricsAsync(gt: LabelArray, seg: LabelArray): Promise<NativeMetrics>;
  segCremiBorderMask(labels: LabelArray, shape: Shape3, maxDistance: number): Uint8Array;
  segCremiBorderMaskAsync(labels: LabelArray, shape: Shape3, maxDistance: number): Promise<Uint8Array>;
  SegRegionGraph: new (o?: NativeMergeOptions) => NativeRegionGraph;
  SegContingency: new () => NativeContingency;
}

const REQUIRED: (keyof SegmentationAddon)[] = [
  'segDistanceTransform',
  'segConnectedComponents',
  'segApplyMapping',
  'segFragments',
  'segSegment',
  'segSeededSplit',
  'segMetrics',
  'segCremiBorderMask',
  'SegRegionGraph',
  'SegContingency',
];

/**
 * The addon's segmentation kernels. Watershed, agglomeration and the metrics have no
 * TypeScript fallback, so a missing or stale addon is a clear user-facing error.
 */
export function segmentationAddon(): SegmentationAddon {
  const addon = nativeAddon<Record<string, unknown>>();
  if (!addon) {
    throw new AppError(
      'UNSUPPORTED',
      `segmentation needs the native addon (watershed, agglomeration and metrics run in C++): ${nativeStatus().reason}. ` +
        'Build it with "cd native && npx node-gyp rebuild" (a C++17 compiler is required).',
    );
  }
  const missing = REQUIRED.filter((name) => typeof addon[name] !== 'function');
  if (missing.length > 0) {
    throw new AppError(
      'UNSUPPORTED',
      `the native addon at ${nativeStatus().path} was built without the segmentation kernels (missing ${missing.join(', ')}); ` +
        'rebuild it with "cd native && npx node-gyp rebuild".',
    );
  }
  return addon as unknown as SegmentationAddon;
}

/** Turns errors thrown by the kernels (bad arguments, seeds outside a segment, ...) into AppErrors. */
export function nativeError(what: string, err: unknown): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = /bad_alloc|Array buffer allocation failed/i.test(message) ? 'TOO_LARGE' : 'BAD_REQUEST';
  return new AppError(code, message.startsWith(`${what}:`) ? message : `${what}: ${message}`);
}

/** Calls a kernel, converting its errors. */
export function callNative<R>(what: string, fn: () => R): R {
  try {
    return fn();
  } catch (err) {
    throw nativeError(what, err);
  }
}

/** Awaits a kernel's promise, converting its errors. */
export async function awaitNative<R>(what: string, fn: () => Promise<R>): Promise<R> {
  try {
    return await fn();
  } catch (err) {
    throw nativeError(what, err);
  }
}
