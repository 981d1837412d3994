import type { PartialHandlers } from '../api/router';

export const jobHandlers: PartialHandlers = {
  'jobs.list': (_p, ctx) => ctx.jobs.list(),
  'jobs.cancel': ({ id }, ctx) => ctx.jobs.cancel(id),
  'jobs.selfTest': ({ seconds }, ctx) => ctx.jobs.start(ctx.project, 'demo.sleep', { seconds }, { title: `Self-test (${seconds}s)` }),
};
