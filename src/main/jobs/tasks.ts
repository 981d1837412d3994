import type { TaskFn } from './types';

/**
 * Every kind of long-running work, loaded lazily inside the worker thread.
 * Each domain adds its task kinds here (one line each).
 */
export const TASKS: Record<string, () => Promise<TaskFn<any, any>>> = {
  'demo.sleep': async () => (await import('./builtin-tasks')).sleepTask,
  'demo.populate': async () => (await import('../synthetic/demo-task')).populateDemoTask,
  'volumes.import': async () => (await import('../volumes/tasks')).importTask,
  'volumes.export': async () => (await import('../volumes/tasks')).exportTask,
  'proofreading.index': async () => (await import('../proofreading/tasks')).indexTask,
  'proofreading.copyLayer': async () => (await import('../proofreading/tasks')).copyLayerTask,
};

export function isTaskKind(kind: string): boolean {
  return Object.prototype.hasOwnProperty.call(TASKS, kind);
}
