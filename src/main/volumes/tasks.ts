import { AppError } from '../errors';
import type { TaskContext, TaskFn } from '../jobs/types';
import { Project } from '../store/project';
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
