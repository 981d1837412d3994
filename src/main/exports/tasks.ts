import type { MeshExportRequest, ModelExportRequest, SegmentTableExportRequest, VolumeExportRequest } from '../../shared/api/exports';
import { AppError } from '../errors';
import type { TaskContext, TaskFn } from '../jobs/types';
import { Project } from '../store/project';
import type { Box, Vec3 } from '../volumes/box';
import { exportLayer, type ExportResult } from './index';
import { exportMeshes, type MeshExportResult } from './mesh-files';
import { exportModel, type ModelExportResult } from './model-export';
import { exportSegmentTable, type SegmentTableResult } from './segment-table';

/** Job kinds of the exports (registered in jobs/tasks.ts). */
export const EXPORT_TASKS = {
  volume: 'exports.volume',
  segments: 'exports.segments',
  meshes: 'exports.meshes',
  model: 'exports.model',
} as const;

async function withAttached<T>(ctx: TaskContext, fn: (project: Project) => Promise<T>): Promise<T> {
  if (!ctx.projectRoot) throw new AppError('NO_PROJECT', 'exports need an open project');
  const project = Project.attach(ctx.projectRoot);
  try {
    return await fn(project);
  } finally {
    project.close();
  }
}

const progressOf = (ctx: TaskContext) => ({ signal: ctx.signal, progress: (f: number, m: string) => ctx.progress(f, m) });

/** Job 'exports.volume': a layer or region in any format (temporary name, then rename). */
export const volumeExportTask: TaskFn<VolumeExportRequest & { blockBytes?: number }, ExportResult> = (p, ctx) =>
  withAttached(ctx, (project) => {
    const { layerId, path, roi, ...rest } = p;
    return exportLayer(project, layerId, path, { ...rest, roi: roi as { min: Vec3; max: Vec3 } | undefined, ...progressOf(ctx) });
  });

/** Job 'exports.segments': the segment table as CSV or JSON. */
export const segmentTableTask: TaskFn<SegmentTableExportRequest, SegmentTableResult> = (p, ctx) =>
  withAttached(ctx, (project) => exportSegmentTable(project, p.layerId, p.path, { format: p.format, includeEmpty: p.includeEmpty, overwrite: p.overwrite, ...progressOf(ctx) }));

/** Job 'exports.meshes': PLY / OBJ meshes of chosen segments. */
export const meshExportTask: TaskFn<MeshExportRequest, MeshExportResult> = (p, ctx) =>
  withAttached(ctx, (project) =>
    exportMeshes(project, p.layerId, p.path, { segments: p.segments, format: p.format, merged: p.merged, level: p.level, overwrite: p.overwrite, ...progressOf(ctx) }),
  );

/** Job 'exports.model': a model as a standalone ONNX file, checked against the engine. */
export const modelExportTask: TaskFn<ModelExportRequest & { externalDataBytes?: number }, ModelExportResult> = (p, ctx) =>
  withAttached(ctx, (project) =>
    exportModel(project, p.model, p.path, {
      crop: p.crop as Vec3 | undefined,
      output: p.output,
      verify: p.verify,
      overwrite: p.overwrite,
      externalDataBytes: p.externalDataBytes,
      ...progressOf(ctx),
    }),
  );

/** Parameters of job 'volumes.export' (the plain TIFF / Zarr export of `layers.export`). */
export interface PlainExportParams {
  /** Layer id or name ('layer' is accepted as an alias). */
  layerId?: string;
  layer?: string;
  path: string;
  format: string;
  roi?: Box;
  overwrite?: boolean;
  zarrVersion?: 2 | 3;
}

/** Job 'volumes.export': writes a layer or region to a file/folder (temporary name, then rename). */
export const plainExportTask: TaskFn<PlainExportParams, ExportResult> = (p, ctx) =>
  withAttached(ctx, (project) => {
    const layer = p.layerId ?? p.layer;
    if (!layer) throw new AppError('BAD_REQUEST', 'export needs a layer');
    return exportLayer(project, layer, p.path, { format: p.format, roi: p.roi, overwrite: p.overwrite, zarrVersion: p.zarrVersion, ...progressOf(ctx) });
  });
