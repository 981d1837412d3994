import { requireLabelLayerInfo } from '../../proofreading/label-layer';
import { JSON_OPTION, parseIntOption, type CliCommand } from '../command';
import { ensureIndexed, withProofreading } from './proofreading-session';

export const segmentsCommand: CliCommand = {
  name: 'segments',
  summary: 'List the segments of a label or fragment layer: ids, voxel counts, names, status.',
  args: ['DIR', 'LAYER'],
  options: {
    ...JSON_OPTION,
    sort: { type: 'string', description: "order by 'id' or 'size' (largest first)", default: 'id' },
    query: { type: 'string', description: 'ids starting with these digits, or names containing this text' },
    limit: { type: 'string', description: 'print at most this many segments' },
  },
  details: 'LAYER is a layer name or id. The first use of a layer counts its voxels (a pass over the layer).',
  async run({ positionals, values }, io) {
    const [dir, layer] = positionals;
    const sort = values.sort === 'size' ? 'size' : 'id';
    const limit = parseIntOption(values.limit as string | undefined, '--limit', 1) ?? Number.MAX_SAFE_INTEGER;
    return withProofreading(dir, async (service, project) => {
      const info = requireLabelLayerInfo(project, layer);
      await ensureIndexed(service, info.id, io);
      const { total, segments } = await service.listSegments(info.id, {
        sort,
        descending: sort === 'size',
        query: values.query as string | undefined,
        limit: Math.min(limit, 1_000_000_000),
      });
      if (values.json) {
        io.json({ layer: info.name, layerId: info.id, kind: info.kind, total, segments });
        return 0;
      }
      io.out(`${info.name}: ${total} segment${total === 1 ? '' : 's'}`);
      io.out(`  ${'id'.padStart(10)}  ${'voxels'.padStart(12)}  ${'status'.padEnd(11)}  name`);
      for (const s of segments) {
        io.out(`  ${String(s.id).padStart(10)}  ${String(s.voxelCount).padStart(12)}  ${s.status.padEnd(11)}  ${s.name ?? ''}${s.locked ? '  [locked]' : ''}`);
      }
      if (segments.length < total) io.out(`  ... ${total - segments.length} more (use --limit)`);
      return 0;
    });
  },
};
