import type { PaintRequest } from '../../../shared/api/proofreading';
import { AppError } from '../../errors';
import type { MappingChange } from '../counts';
import type { EditRecord } from '../edit-log';
import { EditSession, type VoxelChanges } from '../edit-session';
import { assertSegmentId } from '../label-layer';
import { allocateFragmentIds, SegmentLookup, segmentRow, type OpContext } from './context';
import { addBrushStroke, addVoxelTriples, VoxelBuckets } from './voxel-buckets';

export interface Plan {
  record: EditRecord;
  newSegmentIds: number[];
}

/** A voxel operation computed but not committed: preview its session, or finish it into a plan. */
export interface Prepared {
  session: EditSession;
  /** Segments the operation writes (besides those whose voxels it overwrites). */
  targets: number[];
  build(changes: VoxelChanges): Plan;
}

/**
 * How a voxel operation writes: the stored value for the target segment (a new fragment on
 * fragment layers, so painting never rewrites other fragments' ids) and which voxels it may change.
 */
export interface WriteRule {
  value: number;
  accept(label: number, segment: number): boolean;
  mapping: MappingChange[];
  nextFragmentId?: number;
  nextSegmentId?: number;
}

/** The rule for giving voxels to `segmentId` (0: erase). `overwrite` false: background voxels only. */
export function targetRule(ctx: OpContext, segmentId: number, overwrite: boolean): WriteRule {
  const layer = ctx.h.layer;
  if (segmentId === 0) return { value: 0, accept: (label) => label !== 0 && overwrite, mapping: [] };
  assertSegmentId(layer, segmentId);
  const accept = (label: number, segment: number) => segment !== segmentId && (overwrite || label === 0);
  if (!layer.isFragments) return { value: segmentId, accept, mapping: [], nextSegmentId: segmentId + 1 };
  const [fragment] = allocateFragmentIds(ctx, 1);
  return { value: fragment, accept, mapping: [{ fragment, before: null, after: segmentId }], nextFragmentId: fragment + 1, nextSegmentId: segmentId + 1 };
}

/** Applies a rule to bucketed voxels inside an edit session. */
export async function applyRule(ctx: OpContext, buckets: VoxelBuckets, rule: WriteRule): Promise<EditSession> {
  const session = new EditSession(ctx.h.source);
  await session.load(buckets.coords());
  const lookup = new SegmentLookup(ctx.db, ctx.h.layer.info.id, ctx.h.layer.isFragments);
  for (const b of buckets.byChunk.values()) {
    const data = session.loaded(b.coord).data;
    for (const i of b.indices) {
      const label = data[i];
      if (label !== rule.value && rule.accept(label, lookup.of(label))) data[i] = rule.value;
    }
  }
  return session;
}

/** Drops the new fragment's mapping row when no voxel received it. */
export function usedMapping(rule: WriteRule, changedVoxels: number): Pick<EditRecord, 'mapping' | 'nextFragmentId' | 'nextSegmentId'> {
  if (changedVoxels === 0) return { mapping: [], nextFragmentId: undefined, nextSegmentId: rule.nextSegmentId };
  return { mapping: rule.mapping, nextFragmentId: rule.nextFragmentId, nextSegmentId: rule.nextSegmentId };
}

export function voxelsOfPaint(ctx: OpContext, req: PaintRequest): VoxelBuckets {
  const buckets = new VoxelBuckets(ctx.h.layer);
  if (req.points) {
    if (req.axis === undefined || req.radius === undefined) throw new AppError('BAD_REQUEST', 'a brush stroke needs axis and radius with its points');
    addBrushStroke(buckets, req.axis, req.points, req.radius);
  }
  if (req.voxels) addVoxelTriples(buckets, req.voxels);
  if (!req.points && !req.voxels) throw new AppError('BAD_REQUEST', 'paint needs brush points (with axis and radius) or voxels');
  if (buckets.count === 0) throw new AppError('BAD_REQUEST', `the brush covers no voxel of layer '${ctx.h.layer.info.name}'`);
  return buckets;
}

/** Brush / eraser: one edit for the whole stroke. */
export async function preparePaint(ctx: OpContext, req: PaintRequest): Promise<Prepared> {
  const erase = req.erase === true;
  if (!erase && req.segmentId === 0) throw new AppError('BAD_REQUEST', 'paint needs a segment id of 1 or more; use erase to clear voxels');
  const buckets = voxelsOfPaint(ctx, req);
  let rule = targetRule(ctx, erase ? 0 : req.segmentId, erase ? true : (req.overwrite ?? true));
  if (erase && req.onlySegment !== undefined) {
    const only = req.onlySegment;
    rule = { ...rule, accept: (label, segment) => label !== 0 && segment === only };
  }
  const session = await applyRule(ctx, buckets, rule);
  const newSegmentIds = erase ? [] : newIdsAmong(ctx, [req.segmentId]);
  return {
    session,
    targets: erase ? [] : [req.segmentId],
    build(changes) {
      if (changes.changedVoxels === 0) {
        throw new AppError(
          'BAD_REQUEST',
          erase ? 'nothing to erase under the brush' : `the brush covers only voxels that are already segment ${req.segmentId} (or, without overwrite, not background)`,
        );
      }
      const label = erase ? `Erase ${changes.changedVoxels} voxels` : `Paint ${changes.changedVoxels} voxels as ${req.segmentId}`;
      return {
        record: {
          layerId: ctx.h.layer.info.id,
          isFragments: ctx.h.layer.isFragments,
          kind: erase ? 'erase' : 'paint',
          summary: { label, voxels: changes.changedVoxels, segments: [] },
          changes,
          ...usedMapping(rule, changes.changedVoxels),
        },
        newSegmentIds,
      };
    },
  };
}

/** Which of `ids` have no voxels yet (the edit creates them). */
export function newIdsAmong(ctx: OpContext, ids: number[]): number[] {
  return ids.filter((id) => !segmentRow(ctx.db, ctx.h.layer.info.id, id)?.voxel_count);
}
