/** Volume extent in voxels, C order: [z, y, x] (x varies fastest). */
export type Shape3 = readonly [number, number, number];

/** Integer label volumes accepted everywhere in this module (0 = background / ignore). */
export type LabelArray = Uint8Array | Uint16Array | Uint32Array | Int32Array | BigUint64Array;

/**
 * Nearest-neighbour affinities, shape (3, Z, Y, X) channel-major, channel order z, y, x;
 * channel c at voxel v is the affinity between v and its neighbour at offset -1 along c.
 * Float32 in [0, 1], or Uint8 where 255 means 1 (a quantised affinity layer).
 */
export type AffinityArray = Float32Array | Uint8Array;

export function voxelCount(shape: Shape3): number {
  return shape[0] * shape[1] * shape[2];
}
