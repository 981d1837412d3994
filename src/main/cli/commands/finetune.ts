import { checkCrop, fixed, parseNumber, parseNumberList, parseRegion, prune, trainingFields, TRAINING_OPTIONS } from '../../pipeline/cli-args';
import type { FinetuneResult } from '../../pipeline/finetune/task';
import { parseSourceArg, sourceShape } from '../../pipeline/volume-source';
import { Project } from '../../store/project';
import { AppError } from '../../errors';
import { formatBox } from '../../volumes/box';
import { JSON_OPTION, type CliCommand } from '../command';
import { runJob } from '../jobs';

export const finetuneCommand: CliCommand = {
  name: 'finetune',
  summary: 'Fine-tune a SegMamba on labels (nearest-neighbour affinities), optionally from a pretrained model.',
  args: ['DIR'],
  options: {
    image: { type: 'string', description: 'image layer (or file)' },
    labels: { type: 'string', description: 'label layer (or file) matching the image' },
    'train-region': { type: 'string', description: 'crops come from z0:z1,y0:y1,x0:x1 (default: all but the validation region)' },
    'val-region': { type: 'string', description: 'validation region (default: the last 20% of the rows)' },
    init: { type: 'string', description: 'pretrained model (id or name in the project, or a checkpoint file); mismatched heads are dropped' },
    loss: { type: 'string', description: 'mse (weighted, on sigmoid outputs) or bce', default: 'mse' },
    'validate-every': { type: 'string', description: 'validate (segment + VOI/ARAND) every N steps', default: '100' },
    thresholds: { type: 'string', description: 'agglomeration thresholds tried at validation (default 0.2 to 0.9 in steps of 0.05)' },
    'no-relabel': { type: 'boolean', description: 'score validation against the labels as they are (default: their 3D connected components)' },
    ...TRAINING_OPTIONS,
    ...JSON_OPTION,
  },
  details: [
    'Targets: affinities to the neighbour at -1 along z, y, x (1 when both voxels carry the same non-zero label),',
    'after border widening; loss weights balance the classes (positive fraction clipped to [0.05, 0.99]).',
    'The best checkpoint (lowest validation VOI) becomes a model in the project. Ctrl+C saves the run;',
    'running the same command again resumes it.',
  ].join('\n'),
  async run({ positionals, values }, io) {
    const project = Project.open(positionals[0]);
    try {
      if (!values.image || !values.labels) throw new AppError('BAD_REQUEST', 'give --image and --labels');
      const image = parseSourceArg(project, String(values.image));
      const labels = parseSourceArg(project, String(values.labels));
      const shape = await sourceShape(project, image);
      const loss = values.loss as string | undefined;
      if (loss !== undefined && loss !== 'mse' && loss !== 'bce') throw new AppError('BAD_REQUEST', `--loss must be mse or bce (got "${loss}")`);
      const params = prune({
        ...trainingFields(values),
        image,
        labels,
        trainRegion: parseRegion(values['train-region'] as string | undefined, shape, '--train-region'),
        valRegion: parseRegion(values['val-region'] as string | undefined, shape, '--val-region'),
        init: values.init as string | undefined,
        loss,
        validateEvery: parseNumber(values['validate-every'] as string | undefined, '--validate-every', 1),
        thresholds: parseNumberList(values.thresholds as string | undefined, '--thresholds'),
        relabelValidation: values['no-relabel'] === true ? false : undefined,
      });
      checkCrop(params);
      const r = await runJob<FinetuneResult>(project, 'pipeline.finetune', params, io, 'Fine-tuning');
      if (values.json) io.json(r);
      else {
        io.out(`run ${r.run}: ${r.steps} steps (${fixed(r.stepSeconds, 2)} s/step), last loss ${fixed(r.lastLoss)}${r.resumedFrom ? `, resumed from step ${r.resumedFrom}` : ''}`);
        io.out(`training ${formatBox(r.trainRegion)}, validation ${formatBox(r.valRegion)}`);
        if (r.loadReport) io.out(`init: ${r.loadReport.loaded} tensors loaded, dropped: ${r.loadReport.mismatched.map((m) => m.name).concat(r.loadReport.unexpected).join(', ') || 'none'}`);
        if (r.best) io.out(`best validation (step ${r.best.step}): VOI ${fixed(r.best.voi)} (split ${fixed(r.best.voiSplit)}, merge ${fixed(r.best.voiMerge)}), ARAND ${fixed(r.best.arand)} at threshold ${r.best.threshold}`);
        io.out(`model '${r.modelName}' (${r.modelId}) added to the project`);
      }
      return 0;
    } finally {
      project.close();
    }
  },
};
