import { AppError } from '../../errors';
import { fixed, intTriple, parseRegion, prune } from '../../pipeline/cli-args';
import type { EvaluateResult } from '../../pipeline/evaluate/task';
import { parseSourceArg, sourceShape } from '../../pipeline/volume-source';
import { Project } from '../../store/project';
import { JSON_OPTION, type CliCommand } from '../command';
import { runJob } from '../jobs';

export const evaluateCommand: CliCommand = {
  name: 'evaluate',
  summary: 'VOI (split/merge) and adapted Rand error of a segmentation against a ground truth.',
  args: ['[DIR]'],
  options: {
    gt: { type: 'string', description: 'ground truth: a layer of DIR or a file/folder' },
    seg: { type: 'string', description: 'segmentation: a layer of DIR or a file/folder' },
    'gt-dataset': { type: 'string', description: 'dataset inside the ground-truth container (HDF5/Zarr/N5)' },
    'seg-dataset': { type: 'string', description: 'dataset inside the segmentation container' },
    region: { type: 'string', description: 'score only z0:z1,y0:y1,x0:x1' },
    'relabel-gt': { type: 'boolean', description: 'relabel the ground truth by 3D connected components first' },
    block: { type: 'string', description: 'block z,y,x streamed at a time', default: '64,1024,1024' },
    ...JSON_OPTION,
  },
  details: [
    'Conventions of skimage.metrics: voxels where the ground truth is 0 are ignored; VOI split = H(seg|gt),',
    'merge = H(gt|seg), in bits; ARAND = 1 - F-score of the Rand precision and recall (CREMI variant in --json).',
    'DIR may be omitted when both volumes are files.',
  ].join('\n'),
  async run({ positionals, values }, io) {
    const project = positionals[0] ? Project.open(positionals[0]) : null;
    try {
      if (!values.gt || !values.seg) throw new AppError('BAD_REQUEST', 'give --gt and --seg');
      const gt = parseSourceArg(project, String(values.gt), values['gt-dataset'] as string | undefined);
      const seg = parseSourceArg(project, String(values.seg), values['seg-dataset'] as string | undefined);
      const params = prune({
        gt,
        seg,
        region: parseRegion(values.region as string | undefined, await sourceShape(project, gt), '--region'),
        relabelGt: values['relabel-gt'] === true ? true : undefined,
        blockShape: intTriple(values.block as string | undefined, '--block'),
      });
      const r = await runJob<EvaluateResult>(project, 'pipeline.evaluate', params, io, 'Evaluation');
      if (values.json) io.json(r);
      else {
        io.out(`VOI ${fixed(r.voi)} (split ${fixed(r.voiSplit)}, merge ${fixed(r.voiMerge)})  ARAND ${fixed(r.arand)}  (${r.counted} of ${r.total} voxels scored${r.relabelledGt ? ', ground truth relabelled by 3D connected components' : ''})`);
        io.out(`ground truth ${r.gtSegments} segments, segmentation ${r.segSegments} segments; ${r.seconds.toFixed(1)} s`);
      }
      return 0;
    } finally {
      project?.close();
    }
  },
};
