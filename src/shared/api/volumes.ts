import { z } from 'zod';
import { JobInfo } from './jobs';
import { Bytes, method, NoParams } from './method';

/** [z, y, x] in voxels (shapes, coordinates). */
export const VoxelVec3 = z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative(), z.number().int().nonnegative()]);
/** [z, y, x] in nanometres (voxel sizes). */
export const NmVec3 = z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]);

export const LayerKind = z.enum(['image', 'labels', 'affinities', 'fragments']);
export type LayerKind = z.infer<typeof LayerKind>;

export const VoxelType = z.enum(['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'uint64', 'int64', 'float32', 'float64']);
export type VoxelType = z.infer<typeof VoxelType>;

export const LayerLevel = z.object({
  shape: VoxelVec3,
  /** Storage chunk shape of this level (every viewable layer is chunked). */
  chunkShape: VoxelVec3,
  /** Voxel size of this level in nm. */
  resolution: NmVec3,
  /** Downsampling factors relative to level 0. */
  factors: VoxelVec3,
});
export type LayerLevel = z.infer<typeof LayerLevel>;

export const LayerInfo = z.object({
  id: z.string(),
  name: z.string(),
  kind: LayerKind,
  /** 'store': the project's own OME-Zarr store; 'external': a chunked source opened in place. */
  source: z.enum(['store', 'external']),
  format: z.string(),
  /** Where the data lives (store folder or the external path). */
  uri: z.string(),
  dtype: VoxelType,
  shape: VoxelVec3,
  resolution: NmVec3,
  /** False when neither the file nor the user gave a voxel size (then 1x1x1 nm = voxels). */
  resolutionKnown: z.boolean(),
  levels: z.array(LayerLevel).min(1),
  editable: z.boolean(),
  createdAt: z.string(),
});
export type LayerInfo = z.infer<typeof LayerInfo>;

const LayerId = z.string().trim().min(1, 'a layer id is required').max(200);
const FilePath = z.string().trim().min(1, 'a path is required').max(4096);
const LayerName = z
  .string()
  .trim()
  .min(1, 'a layer name is required')
  .max(120)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, 'use letters, digits, space, dot, dash or underscore');

/** The most chunks one `layers.chunks` call may ask for (keeps one reply to a few MB). */
export const MAX_CHUNKS_PER_CALL = 64;
/** The most voxels one `layers.region` call may return. */
export const MAX_REGION_VOXELS = 1 << 24;

export const ChunksRequest = z
  .object({
    layerId: LayerId,
    level: z.number().int().nonnegative(),
    coords: z.array(VoxelVec3).min(1).max(MAX_CHUNKS_PER_CALL),
    /**
     * 'gzip' lets the host send store chunks as stored (gzip of the raw bytes) for the
     * renderer to inflate: far fewer bytes for labels and no decode on the host. Layers read
     * in place are always sent raw.
     */
    encoding: z.enum(['raw', 'gzip']).optional(),
  })
  .strict();

export const ChunkData = z.object({
  coord: VoxelVec3,
  /** Shape of `data`: the level's chunk shape, or less for edge chunks of some formats. */
  shape: VoxelVec3,
  /**
   * Little-endian voxels in C order ([z][y][x]) whose first voxel is coord * chunkShape,
   * gzip-compressed when `encoding` says so; voxels past the volume's edge are padding.
   * null: the chunk holds only zeros.
   */
  data: Bytes.nullable(),
  encoding: z.enum(['raw', 'gzip']),
});
export type ChunkData = z.infer<typeof ChunkData>;

export const ChunksReply = z.object({
  dtype: VoxelType,
  chunkShape: VoxelVec3,
  chunks: z.array(ChunkData),
});
export type ChunksReply = z.infer<typeof ChunksReply>;

export const VoxelBox = z.object({ min: VoxelVec3, max: VoxelVec3 });
export type VoxelBox = z.infer<typeof VoxelBox>;

export const LayerStats = z.object({
  /** The level the statistics were computed from (the coarsest: cheap and representative). */
  level: z.number().int(),
  min: z.number(),
  max: z.number(),
  mean: z.number(),
  /** 0.5th and 99.5th percentiles: a robust default display window. */
  p005: z.number(),
  p995: z.number(),
  /** Counts in equal bins from `min` to `max` (inclusive). */
  histogram: z.array(z.number()),
});
export type LayerStats = z.infer<typeof LayerStats>;

export const SourceDataset = z.object({
  path: z.string(),
  shape: z.array(z.number()),
  dtype: z.string(),
});

/** What a file or folder holds, before importing it. */
export const SourceInfo = z.object({
  path: z.string(),
  format: z.string(),
  /** Datasets inside a container (HDF5, N5, Zarr group); empty for single-volume sources. */
  datasets: z.array(SourceDataset),
  /** The dataset described below (the chosen or default one); null when a container needs a choice. */
  dataset: z.string().nullable(),
  shape: VoxelVec3.nullable(),
  dtype: z.string().nullable(),
  /** nm from the file's metadata; null when the format does not say (the user must give it). */
  resolution: NmVec3.nullable(),
  /** Chunked formats can be opened in place instead of copied into the project. */
  canOpenInPlace: z.boolean(),
  suggestedName: z.string(),
  suggestedKind: z.enum(['image', 'labels']),
});
export type SourceInfo = z.infer<typeof SourceInfo>;

export const ImportRequest = z
  .object({
    path: FilePath,
    as: z.enum(['image', 'labels']),
    name: LayerName,
    dataset: z.string().trim().min(1).max(1000).optional(),
    /** nm [z, y, x]; required when the source has no voxel size. */
    resolution: NmVec3.optional(),
    /** Open a chunked source (Zarr, N5, precomputed) where it is instead of copying it. */
    inPlace: z.boolean().optional(),
  })
  .strict();
export type ImportRequest = z.infer<typeof ImportRequest>;

export const ExportFormat = z.enum(['tiff', 'zarr']);
export type ExportFormat = z.infer<typeof ExportFormat>;

export const ExportRequest = z
  .object({
    layerId: LayerId,
    path: FilePath,
    format: ExportFormat,
    /** A region of level 0; the whole layer when absent. */
    roi: VoxelBox.optional(),
  })
  .strict();
export type ExportRequest = z.infer<typeof ExportRequest>;

export const volumesApi = {
  /** Every layer of the open project, in creation order. */
  'layers.list': method(NoParams, z.array(LayerInfo)),
  /** Whole storage chunks of one level, decoded: the viewer caches them and slices any view from them. */
  'layers.chunks': method(ChunksRequest, ChunksReply),
  /** A box of voxels at one level, decoded (at most MAX_REGION_VOXELS voxels). */
  'layers.region': method(
    z.object({ layerId: LayerId, level: z.number().int().nonnegative(), box: VoxelBox }).strict(),
    z.object({ dtype: VoxelType, shape: VoxelVec3, data: Bytes }),
  ),
  /** Value range and histogram of an image layer (from its coarsest level). */
  'layers.stats': method(z.object({ layerId: LayerId }).strict(), LayerStats),
  /** Looks into a file or folder before import: format, datasets, shape, dtype, voxel size. */
  'layers.inspect': method(z.object({ path: FilePath, dataset: z.string().trim().min(1).optional() }).strict(), SourceInfo),
  /** Starts an import job; the new layer appears (layers.changed) when it succeeds. */
  'layers.import': method(ImportRequest, JobInfo),
  /** Starts an export job writing a layer (or a region of it) to a file or folder. */
  'layers.export': method(ExportRequest, JobInfo),
  /** Deletes a layer and its stored data; `confirmName` must equal the layer's name. */
  'layers.delete': method(z.object({ layerId: LayerId, confirmName: z.string() }).strict(), z.object({ deleted: z.literal(true) })),
};

export const LayersChanged = z.object({
  reason: z.enum(['imported', 'deleted', 'edited', 'other']),
  layerId: z.string().nullable(),
  /** For 'edited': the level-0 region whose voxels changed (absent: the whole layer). */
  box: VoxelBox.optional(),
});

export const volumesEvents = {
  /** The project's layer list or a layer's data changed: reload the list / drop cached chunks. */
  'layers.changed': LayersChanged,
};
