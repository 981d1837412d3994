import { ProofreadingService } from '../../proofreading/service';
import { Project } from '../../store/project';
import { JSON_OPTION, type CliCommand } from '../command';
import type { CliIO } from '../io';

/**
 * Opens a project for a scripted proofreading command (taking its lock, finishing any edit a
 * crash interrupted), runs `fn`, and closes it again.
 */
export async function withProofreading<T>(dir: string, fn: (service: ProofreadingService, project: Project) => Promise<T>): Promise<T> {
  const project = Project.open(dir);
  let service: ProofreadingService | null = null;
  try {
    service = await ProofreadingService.open(project);
    return await fn(service, project);
  } finally {
    await service?.close();
    project.close();
  }
}

/** Indexes a layer first when it has no voxel counts yet, reporting progress on stderr. */
export async function ensureIndexed(service: ProofreadingService, layer: string, io: CliIO): Promise<void> {
  if (service.isIndexed(layer)) return;
  io.err(`counting the segments of '${layer}' (first use of this layer for proofreading)...`);
  let last = -1;
  await service.indexNow(layer, {
    progress: (f) => {
      const decile = Math.floor(f * 10);
      if (decile !== last) io.err(`  ${Math.round(f * 100)}%`);
      last = decile;
    },
  });
}

/** `undo` / `redo`: one step of the project's linear edit history. */
export function historyCommand(name: 'undo' | 'redo', summary: string, run: (s: ProofreadingService) => ReturnType<ProofreadingService['undo']>): CliCommand {
  return {
    name,
    summary,
    args: ['DIR'],
    options: { ...JSON_OPTION },
    details: 'The project has one linear history of label edits (paint, fill, merge, split, interpolate) kept across restarts.',
    async run({ positionals, values }, io) {
      return withProofreading(positionals[0], async (service) => {
        const r = await run(service);
        if (values.json) io.json(r);
        else {
          io.out(`${name === 'undo' ? 'undid' : 'redid'} edit ${r.edit.id}: ${r.edit.label}`);
          const h = r.history;
          io.out(`  next undo: ${h.undo ? h.undo.label : '(nothing)'}; next redo: ${h.redo ? h.redo.label : '(nothing)'}`);
        }
        return 0;
      });
    },
  };
}

