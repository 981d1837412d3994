import { z } from 'zod';
import { JobInfo } from './jobs';
import { method, NoParams } from './method';
import { VoxelBox, VoxelVec3 } from './volumes';

/**
 * Exports (issue 8): layers in every format with a region and the fragment mapping applied or
 * beside the fragments, the segment table, meshes of chosen segments, and models as ONNX.
 * Each starts a job (progress, cancel); outputs are written under a temporary name and renamed
 * when complete. See docs/exports.md.
 */

const LayerId = z.string().trim().min(1, 'a layer id is required').max(200);
const FilePath = z.string().trim().min(1, 'a path is required').max(4096);
const SegmentIds = z.array(z.number().int().positive()).min(1, 'choose at least one segment').max(10_000);

export const VolumeExportFormat = z.enum(['tiff', 'hdf5', 'zarr', 'n5', 'precomputed']);
export type VolumeExportFormat = z.infer<typeof VolumeExportFormat>;

export const VolumeExportRequest = z
  .object({
    layerId: LayerId,
    path: FilePath,
    format: VolumeExportFormat,
    /** A region of level 0; the whole layer when absent. */
    roi: VoxelBox.optional(),
    /** Fragment layers: segment ids ('applied', default) or fragment ids plus the mapping ('fragments'). */
    mapping: z.enum(['applied', 'fragments']).optional(),
    overwrite: z.boolean().optional(),
    /** zarr: 3 (OME-NGFF 0.5, default) or 2 (NGFF 0.4). */
    zarrVersion: z.union([z.literal(2), z.literal(3)]).optional(),
    /** hdf5: dataset path (default CREMI: volumes/raw, volumes/labels/neuron_ids, volumes/labels/fragments). */
    dataset: z.string().trim().min(1).max(500).optional(),
    /** hdf5: add the dataset to the existing file at `path` (CREMI files hold raw and labels together). */
    append: z.boolean().optional(),
    /** n5, precomputed, zarr: at most this many pyramid levels. */
    levels: z.number().int().min(1).max(16).optional(),
    /** precomputed: neuroglancer_uint64_sharded_v1 shards. */
    sharded: z.boolean().optional(),
    /** precomputed labels: compressed_segmentation (default for uint32/uint64) or raw. */
    encoding: z.enum(['raw', 'compressed_segmentation']).optional(),
    /** n5: gzip (default) or raw blocks. */
    compression: z.enum(['gzip', 'raw']).optional(),
    /** precomputed labels: segments whose meshes go into the volume's mesh/ folder. */
    meshSegments: z.array(z.number().int().positive()).max(10_000).optional(),
    meshLevel: z.number().int().nonnegative().optional(),
  })
  .strict();
export type VolumeExportRequest = z.infer<typeof VolumeExportRequest>;

export const SegmentTableExportRequest = z
  .object({
    layerId: LayerId,
    path: FilePath,
    /** Default: from the file name (.csv or .json). */
    format: z.enum(['csv', 'json']).optional(),
    /** Also list segments merged away (0 voxels). */
    includeEmpty: z.boolean().optional(),
    overwrite: z.boolean().optional(),
  })
  .strict();
export type SegmentTableExportRequest = z.infer<typeof SegmentTableExportRequest>;

export const MeshExportRequest = z
  .object({
    layerId: LayerId,
    /** A folder (one file per segment) or, with `merged`, a file. */
    path: FilePath,
    segments: SegmentIds,
    format: z.enum(['ply', 'obj']).optional(),
    merged: z.boolean().optional(),
    /** Pyramid level to mesh (default: the finest with at most 2^26 voxels). */
    level: z.number().int().nonnegative().optional(),
    overwrite: z.boolean().optional(),
  })
  .strict();
export type MeshExportRequest = z.infer<typeof MeshExportRequest>;

export const ModelExportRequest = z
  .object({
    /** Model id or name in the project's model library. */
    model: z.string().trim().min(1).max(500),
    path: FilePath,
    /** Input crop [z, y, x] (default: the crop the model was trained with). */
    crop: VoxelVec3.optional(),
    output: z.enum(['probs', 'logits']).optional(),
    /** Compare the file with the engine on one crop before reporting success (default true). */
    verify: z.boolean().optional(),
    overwrite: z.boolean().optional(),
  })
  .strict();
export type ModelExportRequest = z.infer<typeof ModelExportRequest>;

export const ExportFormatInfo = z.object({
  format: z.string(),
  description: z.string(),
  /** The output is a folder. */
  folder: z.boolean(),
  /** File name endings, preferred first. */
  extensions: z.array(z.string()),
});
export type ExportFormatInfo = z.infer<typeof ExportFormatInfo>;

export const exportsApi = {
  /** The volume export formats the app writes. */
  'exports.formats': method(NoParams, z.array(ExportFormatInfo)),
  /** Starts a job writing a layer (or a region) in any format; JobInfo.result is the export's summary. */
  'exports.volume': method(VolumeExportRequest, JobInfo),
  /** Starts a job writing a label layer's segment table as CSV or JSON. */
  'exports.segments': method(SegmentTableExportRequest, JobInfo),
  /** Starts a job writing meshes of chosen segments as PLY or OBJ (nm). */
  'exports.meshes': method(MeshExportRequest, JobInfo),
  /** Starts a job writing a project model as a standalone ONNX file with its normalisation folded in. */
  'exports.model': method(ModelExportRequest, JobInfo),
};
