/** API glue of the pipeline: start its jobs, list runs, curves and models. */
import type { PartialHandlers } from '../api/router';
import type { AppContext } from '../context';
import { listModels } from './models';
import { listRuns, runPoints } from './runs';

/** Announces the layers a job wrote once it succeeds, so open views reload the layer list. */
function announceLayers(ctx: AppContext, jobId: string): void {
  void ctx.jobs.wait(jobId).then((info) => {
    if (info.state === 'succeeded') ctx.events.emit('layers.changed', { reason: 'other', layerId: null });
  });
}

export const pipelineHandlers: PartialHandlers = {
  'pipeline.pretrain': (params, ctx) => ctx.jobs.start(ctx.requireProject(), 'pipeline.pretrain', params, { title: `Pretrain ${params.preset}${params.run ? ` (${params.run})` : ''}` }),
  'pipeline.finetune': (params, ctx) => ctx.jobs.start(ctx.requireProject(), 'pipeline.finetune', params, { title: `Fine-tune${params.run ? ` ${params.run}` : ''}` }),
  'pipeline.infer': (params, ctx) => {
    const job = ctx.jobs.start(ctx.requireProject(), 'pipeline.infer', params, { title: `Predict affinities ${params.output}` });
    announceLayers(ctx, job.id);
    return job;
  },
  'pipeline.segment': (params, ctx) => {
    const job = ctx.jobs.start(ctx.requireProject(), 'pipeline.segment', params, { title: `Segment ${params.affinities} -> ${params.output}` });
    announceLayers(ctx, job.id);
    return job;
  },
  'pipeline.evaluate': (params, ctx) => ctx.jobs.start(ctx.project, 'pipeline.evaluate', params, { title: 'Evaluate segmentation' }),
  'pipeline.runs': (_p, ctx) => listRuns(ctx.requireProject()),
  'pipeline.curve': ({ run }, ctx) => runPoints(ctx.requireProject(), run),
  'pipeline.models': (_p, ctx) => listModels(ctx.requireProject()),
};
