import { AppError } from '../errors';
import type { Project } from '../store/project';
import { formatBox, voxelCount, type Box, type Vec3 } from './box';
import { dtypeOfArray, type DType, type VoxelArray } from './dtypes';
import { arrayBlockSource, convertLabels, createStoredLayer, isLabelKind, storedLabelDType, type ProgressSink } from './import';
import type { LayerInfo } from './layers';
import type { BlockSource } from './store/build';
import type { LayerKind } from './store/volume-store';

export interface NewLayerSpec {
  name: string;
  kind: LayerKind;
  /** Voxel type of the data given; label layers are stored as uint32 (or uint64 for 64-bit data). */
  dtype: DType;
  /** [z, y, x] */
  shape: Vec3;
  /** nm [z, y, x] */
  resolution: Vec3;
  /** Recorded in the layer's meta (e.g. { generator: 'synthetic', seed: 1 }). */
  meta?: Record<string, unknown>;
  /** Store chunk shape; chosen from shape and resolution when absent (see chooseChunkShape). */
  chunkShape?: Vec3;
}

/**
 * Writes a volume produced region by region (chunk-aligned boxes, each at most ~64 MiB) as a
 * new store layer with its pyramid. `produce` must return C-order [z][y][x] data of
 * `spec.dtype` for exactly the box asked. Memory stays bounded by the region size.
 */
export async function createLayerFromRegions(
  project: Project,
  spec: NewLayerSpec,
  produce: (box: Box) => VoxelArray | Promise<VoxelArray>,
  sink: ProgressSink = {},
): Promise<LayerInfo> {
  const where = `layer '${spec.name}'`;
  const stored = isLabelKind(spec.kind) ? storedLabelDType(spec.dtype, where) : spec.dtype;
  const read: BlockSource = async (box) => {
    const data = await produce(box);
    if (data.length !== voxelCount(box) || dtypeOfArray(data) !== spec.dtype) {
      throw new AppError('BAD_REQUEST', `${where}: region ${formatBox(box)} must be ${voxelCount(box)} ${spec.dtype} voxels, got ${data.length} ${dtypeOfArray(data)}`);
    }
    return isLabelKind(spec.kind) ? convertLabels(data, stored as 'uint32' | 'uint64', where) : data;
  };
  return createStoredLayer(
    project,
    { name: spec.name, kind: spec.kind, dtype: stored, shape: spec.shape, resolution: spec.resolution, chunkShape: spec.chunkShape, meta: spec.meta },
    read,
    sink,
  );
}

/** Writes an in-memory C-order [z][y][x] array as a new store layer (with pyramid). */
export async function createLayerFromArray(project: Project, spec: NewLayerSpec & { data: VoxelArray }, sink: ProgressSink = {}): Promise<LayerInfo> {
  const { data, ...rest } = spec;
  const read = arrayBlockSource(data, spec.shape);
  return createLayerFromRegions(project, rest, (box) => read(box), sink);
}
