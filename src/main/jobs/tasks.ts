import type { TaskFn } from './types';

/**
 * Every kind of long-running work, loaded lazily inside the worker thread.
 * Each domain adds its task kinds here (one line each).
 */
export const TASKS: Record<string, () => Promise<TaskFn<any, any>>> = {
  'demo.sleep': async () => (await import('./builtin-tasks')).sleepTask,
  'demo.populate': async () => (await import('../synthetic/demo-task')).populateDemoTask,
  'volumes.import': async () => (await import('../volumes/tasks')).importTask,
  'volumes.export': async () => (await import('../exports/tasks')).plainExportTask,
  'proofreading.index': async () => (await import('../proofreading/tasks')).indexTask,
  'proofreading.copyLayer': async () => (await import('../proofreading/tasks')).copyLayerTask,
  'pipeline.pretrain': async () => (await import('../pipeline/tasks')).pretrainTask,
  'pipeline.finetune': async () => (await import('../pipeline/tasks')).finetuneTask,
  'pipeline.infer': async () => (await import('../pipeline/tasks')).inferTask,
  'pipeline.segment': async () => (await import('../pipeline/tasks')).segmentTask,
  'pipeline.evaluate': async () => (await import('../pipeline/tasks')).evaluateTask,
  'exports.volume': async () => (await import('../exports/tasks')).volumeExportTask,
  'exports.segments': async () => (await import('../exports/tasks')).segmentTableTask,
  'exports.meshes': async () => (await import('../exports/tasks')).meshExportTask,
  'exports.model': async () => (await import('../exports/tasks')).modelExportTask,
  'studio.importModel': async () => (await import('../studio-ml/tasks')).importModelTask,
  'studio.finetune': async () => (await import('../studio-ml/tasks')).studioFinetuneTask,
  'studio.segment': async () => (await import('../studio-ml/tasks')).studioSegmentTask,
};

export function isTaskKind(kind: string): boolean {
  return Object.prototype.hasOwnProperty.call(TASKS, kind);
}
