import { AppError } from '../../errors';
import { intTriple, parseNumber, parseNumberList, parseRegion, prune } from '../../pipeline/cli-args';
import { findAffinityGroup } from '../../pipeline/affinity-layers';
import type { SegmentResult } from '../../pipeline/segment/task';
import { Project } from '../../store/project';
import { JSON_OPTION, type CliCommand } from '../command';
import { runJob } from '../jobs';

export const segmentCommand: CliCommand = {
  name: 'segment',
  summary: 'Affinities -> fragments (seeded watershed) + agglomeration -> fragment and segmentation layers.',
  args: ['DIR'],
  options: {
    affinities: { type: 'string', description: 'affinity layer group written by `infer` (its --output)' },
    output: { type: 'string', description: 'layers written: <output>-fragments and <output> (or <output>-t<threshold> per threshold)' },
    region: { type: 'string', description: 'segment only z0:z1,y0:y1,x0:x1' },
    thresholds: { type: 'string', description: 'agglomeration thresholds (one pass); the first sets the fragment mapping', default: '0.5' },
    merge: { type: 'string', description: 'edge score: mean or quantile affinity', default: 'mean' },
    quantile: { type: 'string', description: 'quantile for --merge quantile', default: '0.5' },
    '3d': { type: 'boolean', description: 'one 3D watershed instead of one per section' },
    block: { type: 'string', description: 'block z,y,x for volumes that do not fit in memory', default: '64,512,512' },
    'min-size': { type: 'string', description: 'dissolve fragments smaller than this many voxels' },
    'no-index': { type: 'boolean', description: 'skip indexing the fragment layer for proofreading' },
    ...JSON_OPTION,
  },
  async run({ positionals, values }, io) {
    const project = Project.open(positionals[0]);
    try {
      if (!values.affinities || !values.output) throw new AppError('BAD_REQUEST', 'give --affinities and --output');
      const shape = findAffinityGroup(project, String(values.affinities))[0].shape;
      const merge = values.merge as string | undefined;
      if (merge !== undefined && merge !== 'mean' && merge !== 'quantile') throw new AppError('BAD_REQUEST', `--merge must be mean or quantile (got "${merge}")`);
      const params = prune({
        affinities: String(values.affinities),
        output: String(values.output),
        region: parseRegion(values.region as string | undefined, shape, '--region'),
        thresholds: parseNumberList(values.thresholds as string | undefined, '--thresholds'),
        merge,
        quantile: parseNumber(values.quantile as string | undefined, '--quantile', 0, 1),
        threeD: values['3d'] === true ? true : undefined,
        blockShape: intTriple(values.block as string | undefined, '--block'),
        minFragmentSize: parseNumber(values['min-size'] as string | undefined, '--min-size', 0),
        index: values['no-index'] === true ? false : undefined,
      });
      const r = await runJob<SegmentResult>(project, 'pipeline.segment', params, io, 'Segmentation');
      if (values.json) io.json(r);
      else {
        io.out(`${r.fragments.name}: ${r.fragments.count} fragments (mapping at threshold ${r.mappingThreshold}${r.indexed ? ', indexed for proofreading' : ''})`);
        for (const s of r.segmentations) io.out(`${s.name}: ${s.segments} segments at threshold ${s.threshold}`);
        io.out(`${r.blocks} block(s), ${r.edges} region-graph edges, ${r.seconds.toFixed(1)} s (${Math.round(r.voxelsPerSecond).toLocaleString('en')} voxels/s)`);
      }
      return 0;
    } finally {
      project.close();
    }
  },
};
