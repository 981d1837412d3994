import { jobHandlers } from '../jobs/handlers';
import { exportHandlers } from '../exports/handlers';
import { pipelineHandlers } from '../pipeline/handlers';
import { proofreadingHandlers } from '../proofreading/handlers';
import { projectHandlers } from '../store/handlers';
import { studioMlHandlers } from '../studio-ml/handlers';
import { volumeHandlers } from '../volumes/handlers';
import type { Handlers, PartialHandlers } from './router';
import { systemHandlers } from './system-handlers';

const domains: PartialHandlers[] = [systemHandlers, projectHandlers, jobHandlers, volumeHandlers, proofreadingHandlers, pipelineHandlers, exportHandlers, studioMlHandlers];

/** Every API method's handler, collected from the domains. */
export const handlers = Object.assign({}, ...domains) as Handlers;
