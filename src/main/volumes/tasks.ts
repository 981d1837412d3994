import { AppError } from '../errors';
import type { TaskContext, TaskFn } from '../jobs/types';
import { Project } from '../store/project';
import type { Box } from './box';
import { exportLayer, type ExportResult } from './export/index';
import { importVolume, type ImportParams, type ImportResult } from './import';

function attach(ctx: TaskContext): Project {
  if (!ctx.projectRoot) throw new AppError('BAD_REQUEST', 'volume jobs need an open project');
  return Project.attach(ctx.projectRoot);
}

export type ImportTaskParams = ImportParams;

/** Job 'volumes.import': converts a source into the project store (or registers it in place). */
export const importTask: TaskFn<ImportTaskParams, ImportResult> = async (params, ctx) => {
  const project = attach(ctx);
  try {
    return await importVolume(project, params, { signal: ctx.signal, progress: (f, m) => ctx.progress(f, m) });
  } finally {
    project.close();
  }
};

export interface ExportTaskParams {
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
export const exportTask: TaskFn<ExportTaskParams, ExportResult> = async (params, ctx) => {
  const project = attach(ctx);
  try {
    const layer = params.layerId ?? params.layer;
    if (!layer) throw new AppError('BAD_REQUEST', 'export needs a layer');
    return await exportLayer(project, layer, params.path, {
      format: params.format,
      roi: params.roi,
      overwrite: params.overwrite,
      zarrVersion: params.zarrVersion,
      signal: ctx.signal,
      progress: (f, m) => ctx.progress(f, m),
    });
  } finally {
    project.close();
  }
};
