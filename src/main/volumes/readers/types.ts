import type { Box, Vec3 } from '../box';
import type { DType, VoxelArray } from '../dtypes';

export type VolumeFormat = 'tiff' | 'image-folder' | 'hdf5' | 'zarr' | 'ome-zarr' | 'n5' | 'precomputed' | 'memory' | 'store';

/** One resolution level of a volume. Level 0 is full resolution. */
export interface LevelInfo {
  shape: Vec3;
  /** Storage chunk shape; null when the source is not chunked (TIFF strips, PNG pages...). */
  chunkShape: Vec3 | null;
  /** Voxel size of this level in nanometres, [z, y, x]. */
  resolution: Vec3;
  /** Downsampling factors relative to level 0. */
  factors: Vec3;
}

/** A decoded chunk: C-order [z][y][x] voxels of `shape`, whose first voxel is coord * chunkShape. */
export interface Chunk {
  data: VoxelArray;
  shape: Vec3;
}

/**
 * Any readable volume: opened files (read for import) and chunked stores (also read in place).
 * Coordinates are voxels of the given level, [z, y, x], with the volume's first voxel at 0.
 */
export interface VolumeReader {
  readonly path: string;
  readonly format: VolumeFormat;
  readonly dtype: DType;
  readonly levels: LevelInfo[];
  /** Voxel size in nm from the file's metadata; null when the format or file does not say. */
  readonly resolution: Vec3 | null;
  /** Format-specific facts worth keeping in the layer's meta (dataset path, encoding, ...). */
  readonly details: Record<string, unknown>;
  readRegion(box: Box, level?: number): Promise<VoxelArray>;
  /** Chunked sources only. */
  readChunk?(level: number, coord: Vec3): Promise<Chunk>;
  close(): Promise<void>;
}

export interface ChunkedVolumeReader extends VolumeReader {
  readChunk(level: number, coord: Vec3): Promise<Chunk>;
}

export function isChunked(r: VolumeReader): r is ChunkedVolumeReader {
  return typeof r.readChunk === 'function' && r.levels.every((l) => l.chunkShape !== null);
}

export interface OpenOptions {
  /** HDF5 dataset path, N5/Zarr array path inside a container. */
  dataset?: string;
}
