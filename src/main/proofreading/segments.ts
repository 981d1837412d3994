import type { Segment, SegmentStatus } from '../../shared/api/proofreading';
import { AppError } from '../errors';
import type { Database } from '../store/database';
import { layerState, type SegmentRow } from './ops/context';

export interface SegmentQuery {
  query?: string;
  status?: SegmentStatus;
  includeEmpty?: boolean;
  sort?: 'id' | 'size';
  descending?: boolean;
  offset?: number;
  limit?: number;
}

function toSegment(r: SegmentRow & { fragments: number | null }): Segment {
  return {
    id: r.id,
    name: r.name,
    color: r.color,
    status: r.status,
    notes: r.notes,
    locked: r.locked === 1,
    voxelCount: r.voxel_count ?? 0,
    fragmentCount: r.fragments,
  };
}

const COLUMNS = (isFragments: boolean) =>
  `s.id, s.name, s.color, s.status, s.notes, s.locked, s.voxel_count,
   ${isFragments ? '(SELECT count(*) FROM fragments f WHERE f.layer_id = s.layer_id AND f.segment_id = s.id)' : 'NULL'} AS fragments`;

/** Segments of a layer, filtered and paged; `total` counts all matches. */
export function listSegments(db: Database, layerId: string, isFragments: boolean, q: SegmentQuery): { total: number; segments: Segment[] } {
  const where = ['s.layer_id = ?'];
  const args: unknown[] = [layerId];
  if (!q.includeEmpty) where.push('s.voxel_count > 0');
  if (q.status) {
    where.push('s.status = ?');
    args.push(q.status);
  }
  const text = q.query?.trim();
  if (text) {
    if (/^\d+$/.test(text)) {
      where.push("CAST(s.id AS TEXT) LIKE ? || '%'");
      args.push(text);
    } else {
      where.push("lower(coalesce(s.name, '')) LIKE '%' || lower(?) || '%'");
      args.push(text);
    }
  }
  const clause = where.join(' AND ');
  const total = db.prepare(`SELECT count(*) FROM segments s WHERE ${clause}`).pluck().get(...args) as number;
  const order = `${q.sort === 'size' ? 's.voxel_count' : 's.id'} ${q.descending ? 'DESC' : 'ASC'}, s.id`;
  const rows = db
    .prepare(`SELECT ${COLUMNS(isFragments)} FROM segments s WHERE ${clause} ORDER BY ${order} LIMIT ? OFFSET ?`)
    .all(...args, q.limit ?? 200, q.offset ?? 0) as (SegmentRow & { fragments: number | null })[];
  return { total, segments: rows.map(toSegment) };
}

export function getSegments(db: Database, layerId: string, isFragments: boolean, ids: number[], layerName: string): Segment[] {
  const stmt = db.prepare(`SELECT ${COLUMNS(isFragments)} FROM segments s WHERE s.layer_id = ? AND s.id = ?`);
  return ids.map((id) => {
    const r = stmt.get(layerId, id) as (SegmentRow & { fragments: number | null }) | undefined;
    if (!r) throw new AppError('NOT_FOUND', `segment ${id} does not exist in layer '${layerName}'`);
    return toSegment(r);
  });
}

export interface SegmentPatch {
  name?: string | null;
  color?: string | null;
  status?: SegmentStatus;
  notes?: string;
  locked?: boolean;
}

/**
 * Updates a segment's descriptive fields and lock. A segment without a row yet (a fresh id from
 * `allocate`) gets one, so a new segment can be named before it is painted.
 */
export function updateSegment(db: Database, layerId: string, isFragments: boolean, id: number, patch: SegmentPatch, layerName: string): Segment {
  const exists = db.prepare('SELECT 1 FROM segments WHERE layer_id = ? AND id = ?').get(layerId, id);
  if (!exists) {
    const state = layerState(db, layerId);
    if (!state || id >= state.nextSegmentId) throw new AppError('NOT_FOUND', `segment ${id} does not exist in layer '${layerName}'`);
    db.prepare('INSERT INTO segments (layer_id, id, voxel_count) VALUES (?, ?, 0)').run(layerId, id);
  }
  const sets: string[] = [];
  const args: unknown[] = [];
  const set = (column: string, value: unknown) => {
    sets.push(`${column} = ?`);
    args.push(value);
  };
  if (patch.name !== undefined) set('name', patch.name === null || patch.name === '' ? null : patch.name);
  if (patch.color !== undefined) set('color', patch.color === null ? null : patch.color.toLowerCase());
  if (patch.status !== undefined) set('status', patch.status);
  if (patch.notes !== undefined) set('notes', patch.notes);
  if (patch.locked !== undefined) set('locked', patch.locked ? 1 : 0);
  if (sets.length > 0) db.prepare(`UPDATE segments SET ${sets.join(', ')} WHERE layer_id = ? AND id = ?`).run(...args, layerId, id);
  return getSegments(db, layerId, isFragments, [id], layerName)[0];
}

/** Reserves a never-used segment id. */
export function allocateSegmentId(db: Database, layerId: string, maxSegment: number, layerName: string): number {
  return db.transaction(() => {
    const state = layerState(db, layerId);
    if (!state) throw new AppError('CONFLICT', `layer '${layerName}' is not prepared for proofreading yet`);
    const id = state.nextSegmentId;
    if (id > maxSegment) throw new AppError('TOO_LARGE', `layer '${layerName}' has no segment ids left (largest ${maxSegment})`);
    db.prepare('UPDATE label_layers SET next_segment_id = ? WHERE layer_id = ?').run(id + 1, layerId);
    return id;
  })();
}
