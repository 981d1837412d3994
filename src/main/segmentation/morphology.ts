import { awaitNative, callNative, segmentationAddon } from './native';
import type { LabelArray, Shape3 } from './types';

export interface DistanceOptions {
  /** Voxel spacing [z, y, x] (default 1, 1, 1). */
  spacing?: readonly [number, number, number];
  /** 2D transform per z-section instead of 3D. */
  inPlane?: boolean;
}

/**
 * Exact Euclidean distance from each non-zero voxel of `foreground` to the nearest zero
 * voxel (0 on background, +Infinity when no background voxel exists in reach), like
 * scipy.ndimage.distance_transform_edt(foreground, sampling=spacing).
 */
export function distanceTransformSync(foreground: Uint8Array, shape: Shape3, options: DistanceOptions = {}): Float32Array {
  return callNative('distanceTransform', () => segmentationAddon().segDistanceTransform(foreground, shape, options));
}

export function distanceTransform(foreground: Uint8Array, shape: Shape3, options: DistanceOptions = {}): Promise<Float32Array> {
  return awaitNative('distanceTransform', () => segmentationAddon().segDistanceTransformAsync(foreground, shape, options));
}

export interface Components {
  /** Component ids 1..count in raster order of each component's first voxel; 0 stays 0. */
  labels: Uint32Array;
  count: number;
}

/**
 * Connected components of equal non-zero labels with face connectivity (6 in 3D, or 4
 * within each z-section with `inPlane`); numbering equals skimage.measure.label(labels,
 * background=0, connectivity=1). Used to relabel ground truth and by the proofreading tools.
 */
export function connectedComponentsSync(labels: LabelArray, shape: Shape3, options: { inPlane?: boolean } = {}): Components {
  return callNative('connectedComponents', () => segmentationAddon().segConnectedComponents(labels, shape, options));
}

export function connectedComponents(labels: LabelArray, shape: Shape3, options: { inPlane?: boolean } = {}): Promise<Components> {
  return awaitNative('connectedComponents', () => segmentationAddon().segConnectedComponentsAsync(labels, shape, options));
}
