import { AppError } from '../../errors';
import { checkCrop, fixed, parseNumber, parseNumberList, parseRegion, prune, trainingFields, TRAINING_OPTIONS } from '../../pipeline/cli-args';
import type { PretrainResult } from '../../pipeline/pretrain/task';
import { parseSourceArg, sourceShape } from '../../pipeline/volume-source';
import { Project } from '../../store/project';
import { JSON_OPTION, type CliCommand } from '../command';
import { runJob } from '../jobs';

export const pretrainCommand: CliCommand = {
  name: 'pretrain',
  summary: 'TokenUnify self-supervised pretraining (mixture token prediction) on unlabeled volumes.',
  args: ['DIR'],
  options: {
    source: { type: 'string', multiple: true, description: 'unlabeled volume: a layer of the project or a file/folder (repeat for several)' },
    region: { type: 'string', description: 'use only z0:z1,y0:y1,x0:x1 of every source' },
    'mask-ratio': { type: 'string', description: 'random token prediction: fraction of tokens replaced by noise, or "uniform" for U(0.2, 0.8)', default: '0.4' },
    schedule: { type: 'string', description: 'staged (random first, then next-all / next-token alternating) or mixed (per-step draw)', default: 'staged' },
    'random-fraction': { type: 'string', description: 'staged: fraction of the steps spent on random token prediction', default: '0.5' },
    'alternate-every': { type: 'string', description: 'staged: next-all and next-token prediction alternate in blocks of this many steps', default: '25' },
    'task-weights': { type: 'string', description: 'mixed: probabilities of random,next-all,next-token', default: '0.5,0.25,0.25' },
    ...TRAINING_OPTIONS,
    ...JSON_OPTION,
  },
  details: [
    'Tokens are 4x16x16 patches in z->y->x raster order. Random token prediction hides a random subset of tokens',
    'under N(0,1) noise and reconstructs the whole clean crop; next-all token prediction keeps the tokens before a',
    'random K and reconstructs everything; next-token prediction trains a head to predict token K.',
    'Ctrl+C saves the run; running the same command again resumes it. The finished model is added to the',
    "project's model library (see `tokenunify finetune --init`).",
  ].join('\n'),
  async run({ positionals, values }, io) {
    const project = Project.open(positionals[0]);
    try {
      const texts = (values.source as string[] | undefined) ?? [];
      if (texts.length === 0) throw new AppError('BAD_REQUEST', 'give at least one --source (a layer or a file)');
      const sources = [];
      for (const t of texts) {
        const ref = parseSourceArg(project, t);
        const region = values.region ? parseRegion(String(values.region), await sourceShape(project, ref), '--region') : undefined;
        sources.push(prune({ source: ref, region }));
      }
      const ratio = values['mask-ratio'] as string | undefined;
      const weights = parseNumberList(values['task-weights'] as string | undefined, '--task-weights');
      if (weights && weights.length !== 3) throw new AppError('BAD_REQUEST', '--task-weights needs three numbers: random,next-all,next-token');
      const mode = values.schedule as string | undefined;
      if (mode !== undefined && mode !== 'staged' && mode !== 'mixed') throw new AppError('BAD_REQUEST', `--schedule must be staged or mixed (got "${mode}")`);
      const schedule = prune({
        mode,
        randomFraction: parseNumber(values['random-fraction'] as string | undefined, '--random-fraction', 0, 1),
        alternateEvery: parseNumber(values['alternate-every'] as string | undefined, '--alternate-every', 1),
        weights: weights ? { random: weights[0], nextAll: weights[1], nextToken: weights[2] } : undefined,
      });
      const params = prune({
        ...trainingFields(values),
        sources,
        maskRatio: ratio === undefined ? undefined : ratio === 'uniform' ? 'uniform' : parseNumber(ratio, '--mask-ratio', 0, 1),
        schedule: Object.keys(schedule).length ? schedule : undefined,
      });
      checkCrop(params);
      const r = await runJob<PretrainResult>(project, 'pipeline.pretrain', params, io, 'Pretraining');
      if (values.json) io.json(r);
      else {
        io.out(`run ${r.run}: ${r.steps} steps (${fixed(r.stepSeconds, 2)} s/step), last loss ${fixed(r.lastLoss)}`);
        io.out(`tasks: random ${r.tasks.random}, next-all ${r.tasks.nextAll}, next-token ${r.tasks.nextToken}`);
        io.out(`model '${r.modelName}' (${r.modelId}) added to the project`);
      }
      return 0;
    } finally {
      project.close();
    }
  },
};
