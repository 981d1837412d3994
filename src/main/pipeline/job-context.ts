/** What every pipeline job opens: its project (attached from the worker) and the volume service. */
import { AppError } from '../errors';
import type { TaskContext } from '../jobs/types';
import { Project } from '../store/project';
import { VolumeService } from '../volumes/service';
import { openSource, type SourceRef, type VolumeSource } from './volume-source';

export interface PipelineScope {
  project: Project;
  service: VolumeService;
  /** Opens a layer or file; files are closed when the job ends. */
  open(ref: SourceRef): Promise<VolumeSource>;
}

export async function withProject<T>(ctx: TaskContext, what: string, fn: (scope: PipelineScope) => Promise<T>): Promise<T> {
  if (!ctx.projectRoot) throw new AppError('NO_PROJECT', `${what} needs an open project`);
  const project = Project.attach(ctx.projectRoot);
  const service = new VolumeService(project);
  const opened: VolumeSource[] = [];
  const open = async (ref: SourceRef) => {
    const s = await openSource(ref, { project, service });
    opened.push(s);
    return s;
  };
  try {
    return await fn({ project, service, open });
  } finally {
    await Promise.all(opened.map((s) => s.close().catch(() => undefined)));
    await service.close();
    project.close();
  }
}

/** Like withProject, but a job that only reads files may run without one. */
export async function withOptionalProject<T>(ctx: TaskContext, fn: (scope: PipelineScope | null) => Promise<T>): Promise<T> {
  if (!ctx.projectRoot) return fn(null);
  return withProject(ctx, 'this job', fn);
}
