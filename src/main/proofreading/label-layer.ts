import { AppError } from '../errors';
import type { Project } from '../store/project';
import { chunkGridShape, voxelCount, type Vec3 } from '../volumes/box';
import { getLayer, type LayerInfo } from '../volumes/layers';
import { VolumeStore } from '../volumes/store/volume-store';

/** Largest id a JS number holds exactly; uint64 layers are edited with ids up to this. */
export const MAX_SAFE_ID = Number.MAX_SAFE_INTEGER;
export const MAX_UINT32 = 0xffffffff;

/** A label or fragment layer as the proofreading tools see it. */
export interface LabelLayer {
  info: LayerInfo;
  store: VolumeStore;
  /** Fragment layers hold supervoxel ids; a mapping in SQLite names their segments. */
  isFragments: boolean;
  shape: Vec3;
  chunkShape: Vec3;
  grid: Vec3;
  chunkVoxels: number;
  /** Largest stored id (fragment id on fragment layers). */
  maxLabel: number;
  /** Largest segment id. */
  maxSegment: number;
}

export function isLabelLayer(info: LayerInfo): boolean {
  return info.kind === 'labels' || info.kind === 'fragments';
}

/** Refuses layers the edit tools cannot write, naming the remedy. */
export function assertEditable(info: LayerInfo): void {
  if (info.source !== 'store') {
    throw new AppError(
      'READ_ONLY',
      `layer '${info.name}' is read in place from ${info.uri} and cannot be edited; create an editable copy first (proofreading.makeEditableCopy)`,
    );
  }
  if (!info.editable) {
    throw new AppError('READ_ONLY', `layer '${info.name}' is read-only; create an editable copy first (proofreading.makeEditableCopy)`);
  }
  if (info.dtype !== 'uint32' && info.dtype !== 'uint64') {
    throw new AppError('UNSUPPORTED', `layer '${info.name}' stores ${info.dtype} labels; create an editable copy (stored as uint32) to edit it`);
  }
}

export function requireLabelLayerInfo(project: Project, layerId: string): LayerInfo {
  const info = getLayer(project, layerId);
  if (!isLabelLayer(info)) {
    throw new AppError('BAD_REQUEST', `layer '${info.name}' is an ${info.kind} layer; proofreading works on label and fragment layers`);
  }
  return info;
}

/** Opens a store label layer for proofreading (reads and, after assertEditable, edits). */
export async function openLabelLayer(project: Project, info: LayerInfo): Promise<LabelLayer> {
  assertEditable(info);
  const store = await VolumeStore.open(project.path(info.uri));
  const chunkShape = store.level(0).chunkShape;
  const isFragments = info.kind === 'fragments';
  const maxLabel = info.dtype === 'uint32' ? MAX_UINT32 : MAX_SAFE_ID;
  return {
    info,
    store,
    isFragments,
    shape: store.shape,
    chunkShape,
    grid: chunkGridShape(store.shape, chunkShape),
    chunkVoxels: voxelCount(chunkShape),
    maxLabel,
    // The mapping API hands ids to the GPU as uint32.
    maxSegment: isFragments ? MAX_UINT32 : maxLabel,
  };
}

export function chunkIndex(layer: Pick<LabelLayer, 'grid'>, coord: Vec3): number {
  return (coord[0] * layer.grid[1] + coord[1]) * layer.grid[2] + coord[2];
}

export function chunkCoord(layer: Pick<LabelLayer, 'grid'>, index: number): Vec3 {
  const gx = layer.grid[2];
  const gy = layer.grid[1];
  return [Math.floor(index / (gx * gy)), Math.floor(index / gx) % gy, index % gx];
}

/** Throws BAD_REQUEST unless `p` is a voxel of the layer. */
export function assertVoxel(layer: LabelLayer, p: readonly number[], what: string): void {
  for (let a = 0; a < 3; a++) {
    if (!Number.isInteger(p[a]) || p[a] < 0 || p[a] >= layer.shape[a]) {
      throw new AppError('BAD_REQUEST', `${what} (${p.join(', ')}) is outside layer '${layer.info.name}' (shape ${layer.shape.join('x')}, [z, y, x])`);
    }
  }
}

export function assertSegmentId(layer: LabelLayer, id: number, what = 'segment id'): void {
  if (!Number.isSafeInteger(id) || id < 0 || id > layer.maxSegment) {
    throw new AppError('BAD_REQUEST', `${what} ${id} is out of range for layer '${layer.info.name}' (1-${layer.maxSegment})`);
  }
}
