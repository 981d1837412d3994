import type { VolumeSource } from '../../src/main/pipeline/volume-source';
import { boxSize, copyRegion, voxelCount, type Box, type Vec3 } from '../../src/main/volumes/box';
import { allocate, dtypeOfArray, type VoxelArray } from '../../src/main/volumes/dtypes';

/** A pipeline VolumeSource over a C-order array in memory; `reads` counts readRegion calls. */
export function memorySource(data: VoxelArray, shape: Vec3, opts: { label?: string; resolution?: Vec3 } = {}): VolumeSource & { reads: number } {
  const label = opts.label ?? 'memory';
  const dtype = dtypeOfArray(data);
  const src = {
    label,
    ref: { path: label },
    shape,
    dtype,
    resolution: opts.resolution ?? ([1, 1, 1] as Vec3),
    reads: 0,
    async readRegion(box: Box) {
      src.reads++;
      const s = boxSize(box);
      const out = allocate(dtype, voxelCount(s));
      copyRegion(data, shape, [0, 0, 0], out, s, box.min, box);
      return out;
    },
    readCoarsest: async () => null,
    close: async () => {},
  };
  return src;
}
