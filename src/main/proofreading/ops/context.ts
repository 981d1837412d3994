import { AppError } from '../../errors';
import type { Database } from '../../store/database';
import { chunkBox, type Box, type Vec3 } from '../../volumes/box';
import type { ChunkSource } from '../chunk-source';
import type { EditLog } from '../edit-log';
import { assertSegmentId, chunkCoord, type LabelLayer } from '../label-layer';

/** An open label layer and its chunk reader. */
export interface LayerHandle {
  layer: LabelLayer;
  source: ChunkSource;
}

/** What an operation needs: the database, the log (counts, locks) and the layer. */
export interface OpContext {
  db: Database;
  log: EditLog;
  h: LayerHandle;
}

export interface LayerState {
  indexedAt: string | null;
  nextSegmentId: number;
  nextFragmentId: number;
  mappingVersion: number;
}

export function layerState(db: Database, layerId: string): LayerState | null {
  const r = db
    .prepare(
      'SELECT indexed_at AS indexedAt, next_segment_id AS nextSegmentId, next_fragment_id AS nextFragmentId, mapping_version AS mappingVersion FROM label_layers WHERE layer_id = ?',
    )
    .get(layerId) as LayerState | undefined;
  return r ?? null;
}

export interface SegmentRow {
  id: number;
  name: string | null;
  color: string | null;
  status: 'unreviewed' | 'in_progress' | 'done';
  notes: string;
  locked: number;
  voxel_count: number | null;
}

export function segmentRow(db: Database, layerId: string, id: number): SegmentRow | null {
  return (db.prepare('SELECT id, name, color, status, notes, locked, voxel_count FROM segments WHERE layer_id = ? AND id = ?').get(layerId, id) as SegmentRow | undefined) ?? null;
}

/** The segment's row; NOT_FOUND when the layer has no voxels of it. */
export function requireSegment(ctx: OpContext, id: number, role = 'segment'): SegmentRow {
  const layer = ctx.h.layer;
  assertSegmentId(layer, id, role);
  const row = segmentRow(ctx.db, layer.info.id, id);
  if (!row || !row.voxel_count) {
    throw new AppError('NOT_FOUND', `${role} ${id} does not exist in layer '${layer.info.name}' (it has no voxels)`);
  }
  return row;
}

export function assertNotLocked(ctx: OpContext, ids: number[]): void {
  ctx.log.assertUnlocked(ctx.h.layer.info.id, ids.filter((i) => i !== 0));
}

export function fragmentsOf(db: Database, layerId: string, segmentId: number): number[] {
  return db.prepare('SELECT id FROM fragments WHERE layer_id = ? AND segment_id = ? ORDER BY id').pluck().all(layerId, segmentId) as number[];
}

/** Level-0 chunk indices holding voxels of a segment. */
export function chunksOfSegment(ctx: Pick<OpContext, 'db' | 'h'>, segmentId: number): number[] {
  const layerId = ctx.h.layer.info.id;
  const sql = ctx.h.layer.isFragments
    ? `SELECT DISTINCT lc.chunk FROM fragments f JOIN label_chunks lc ON lc.layer_id = f.layer_id AND lc.label = f.id
       WHERE f.layer_id = ? AND f.segment_id = ? ORDER BY lc.chunk`
    : 'SELECT chunk FROM label_chunks WHERE layer_id = ? AND label = ? ORDER BY chunk';
  return ctx.db.prepare(sql).pluck().all(layerId, segmentId) as number[];
}

/** Chunk-granular bounding box of chunk indices (null when empty). */
export function boxOfChunks(layer: LabelLayer, chunks: number[]): Box | null {
  if (chunks.length === 0) return null;
  const min: Vec3 = [Infinity, Infinity, Infinity];
  const max: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (const c of chunks) {
    const b = chunkBox(chunkCoord(layer, c), layer.chunkShape, layer.shape);
    for (let a = 0; a < 3; a++) {
      min[a] = Math.min(min[a], b.min[a]);
      max[a] = Math.max(max[a], b.max[a]);
    }
  }
  return { min, max };
}

/**
 * Segment of a stored label: the label itself on plain layers, the mapped segment on fragment
 * layers (looked up once per fragment and remembered for the operation).
 */
export class SegmentLookup {
  private readonly cache = new Map<number, number>();
  private readonly stmt;

  constructor(
    db: Database,
    private readonly layerId: string,
    private readonly isFragments: boolean,
  ) {
    this.stmt = db.prepare('SELECT segment_id FROM fragments WHERE layer_id = ? AND id = ?').pluck();
  }

  of(label: number): number {
    if (!this.isFragments || label === 0) return label;
    let s = this.cache.get(label);
    if (s === undefined) {
      s = (this.stmt.get(this.layerId, label) as number | undefined) ?? 0;
      this.cache.set(label, s);
    }
    return s;
  }
}

/** The next `count` unused ids from the layer's counter (the commit raises it past them). */
function allocateIds(ctx: OpContext, what: 'segment' | 'fragment', count: number): number[] {
  const state = layerState(ctx.db, ctx.h.layer.info.id)!;
  const first = what === 'segment' ? state.nextSegmentId : state.nextFragmentId;
  const largest = what === 'segment' ? ctx.h.layer.maxSegment : ctx.h.layer.maxLabel;
  if (first + count - 1 > largest) throw new AppError('TOO_LARGE', `layer '${ctx.h.layer.info.name}' has no ${what} ids left (largest ${largest})`);
  return Array.from({ length: count }, (_, i) => first + i);
}

export const allocateSegmentIds = (ctx: OpContext, count: number) => allocateIds(ctx, 'segment', count);
export const allocateFragmentIds = (ctx: OpContext, count: number) => allocateIds(ctx, 'fragment', count);
