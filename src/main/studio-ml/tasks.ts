/** Job kinds of the fine-tune loop (registered in jobs/tasks.ts, loaded lazily in the worker). */
export { importModelTask } from './import-task';
export { studioFinetuneTask } from './finetune-task';
export { studioSegmentTask } from './segment-task';
