import { AppError } from '../../errors';
import { requireLabelLayerInfo } from '../../proofreading/label-layer';
import { JSON_OPTION, parseIntOption, type CliCommand } from '../command';
import { ensureIndexed, withProofreading } from './proofreading-session';

export const mergeCommand: CliCommand = {
  name: 'merge',
  summary: 'Merge segment B into segment A of a layer (one undoable edit).',
  args: ['DIR', 'LAYER', 'A', 'B'],
  options: {
    ...JSON_OPTION,
    confirm: { type: 'boolean', description: 'apply even when the merge rewrites more voxels than the confirmation threshold' },
  },
  details:
    'A keeps its id, name and status; B disappears. Fragment layers change only the fragment -> segment mapping; plain label\n' +
    'layers rewrite the voxels of B. Undo with "tokenunify undo DIR".',
  async run({ positionals, values }, io) {
    const [dir, layer, a, b] = positionals;
    const target = parseIntOption(a, 'A', 1);
    const source = parseIntOption(b, 'B', 1);
    if (target === undefined || source === undefined) throw new AppError('BAD_REQUEST', 'A and B must be segment ids');
    return withProofreading(dir, async (service, project) => {
      const info = requireLabelLayerInfo(project, layer);
      await ensureIndexed(service, info.id, io);
      const r = await service.merge({ layerId: info.id, target, source, confirm: values.confirm === true });
      if (values.json) io.json(r);
      else io.out(`${r.edit.label} in '${info.name}' (edit ${r.edit.id}${r.changedVoxels ? `, ${r.changedVoxels} voxels rewritten` : ', mapping only'})`);
      return 0;
    });
  },
};
