import type { TaskContext } from '../jobs/types';

/** A task context whose progress covers [from, from + span] of the job's bar (tasks run in sequence). */
export function progressPart(ctx: TaskContext, from: number, span: number): TaskContext {
  return {
    signal: ctx.signal,
    projectRoot: ctx.projectRoot,
    progress: (f, m) => ctx.progress(from + span * f, m),
    emit: (k, d) => ctx.emit(k, d),
    throwIfCancelled: () => ctx.throwIfCancelled(),
  };
}
