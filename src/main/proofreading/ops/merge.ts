import type { MergeRequest } from '../../../shared/api/proofreading';
import { AppError } from '../../errors';
import { EditSession } from '../edit-session';
import { chunkCoord } from '../label-layer';
import { assertNotLocked, chunksOfSegment, fragmentsOf, requireSegment, type OpContext } from './context';
import type { Plan, Prepared } from './paint';

/**
 * Merge `source` into `target`. Fragment layers: the source's fragments are mapped to the
 * target (O(fragments) rows in SQLite; no voxel changes). Plain label layers: the source's
 * voxels are rewritten to the target id in every chunk that holds them (O(chunks of source)
 * chunk rewrites, each stored as versions in the history).
 */
export async function prepareMerge(ctx: OpContext, req: MergeRequest): Promise<Prepared | Plan> {
  const { target, source } = req;
  if (target === source) throw new AppError('BAD_REQUEST', `cannot merge segment ${target} into itself`);
  requireSegment(ctx, target, 'merge target');
  const src = requireSegment(ctx, source, 'merge source');
  assertNotLocked(ctx, [target, source]);
  const layer = ctx.h.layer;
  const label = `Merge ${source} into ${target}`;
  if (layer.isFragments) {
    const fragments = fragmentsOf(ctx.db, layer.info.id, source);
    return {
      record: {
        layerId: layer.info.id,
        isFragments: true,
        kind: 'merge',
        summary: { label, voxels: 0, segments: [], movedVoxels: src.voxel_count, fragments: fragments.length },
        changes: { chunks: [], labelDeltas: new Map(), changedVoxels: 0 },
        mapping: fragments.map((f) => ({ fragment: f, before: source, after: target })),
      },
      newSegmentIds: [],
    };
  }
  const session = new EditSession(ctx.h.source);
  const coords = chunksOfSegment(ctx, source).map((c) => chunkCoord(layer, c));
  await session.load(coords);
  for (const coord of coords) {
    const data = session.loaded(coord).data;
    for (let i = 0; i < data.length; i++) if (data[i] === source) data[i] = target;
  }
  return {
    session,
    targets: [target],
    build: (changes) => ({
      record: {
        layerId: layer.info.id,
        isFragments: false,
        kind: 'merge',
        summary: { label, voxels: changes.changedVoxels, segments: [] },
        changes,
        mapping: [],
      },
      newSegmentIds: [],
    }),
  };
}
