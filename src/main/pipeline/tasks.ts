/** The pipeline's job kinds (registered in jobs/tasks.ts, loaded lazily in the worker). */
export { pretrainTask } from './pretrain/task';
export { finetuneTask } from './finetune/task';
export { inferTask } from './infer/task';
export { segmentTask } from './segment/task';
export { evaluateTask } from './evaluate/task';
