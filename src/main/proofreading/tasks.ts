import { AppError } from '../errors';
import type { TaskContext, TaskFn } from '../jobs/types';
import { Project } from '../store/project';
import { copyLayerForEditing } from './copy-layer';
import { indexLabelLayer, type IndexResult } from './index-layer';

function attach(ctx: TaskContext): Project {
  if (!ctx.projectRoot) throw new AppError('BAD_REQUEST', 'proofreading jobs need an open project');
  return Project.attach(ctx.projectRoot);
}

/** Job 'proofreading.index': voxel counts and chunk index of a label or fragment layer. */
export const indexTask: TaskFn<{ layerId: string }, IndexResult> = async (params, ctx) => {
  const project = attach(ctx);
  try {
    return await indexLabelLayer(project, params.layerId, { signal: ctx.signal, progress: (f, m) => ctx.progress(f, m) });
  } finally {
    project.close();
  }
};

/** Job 'proofreading.copyLayer': an editable copy of a read-only or in-place label layer. */
export const copyLayerTask: TaskFn<{ layerId: string; name?: string }, { layerId: string; name: string }> = async (params, ctx) => {
  const project = attach(ctx);
  try {
    const copy = await copyLayerForEditing(project, params.layerId, params.name, { signal: ctx.signal, progress: (f, m) => ctx.progress(f, m) });
    return { layerId: copy.id, name: copy.name };
  } finally {
    project.close();
  }
};
