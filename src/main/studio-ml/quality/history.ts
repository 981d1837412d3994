/**
 * Quality over the edit history, reconstructed backwards from the proofreading edit log: from
 * the current state, each applied edit of the layer (newest first) is undone *in memory* - its
 * chunk deltas (brotli(before XOR after)) turn the chunks' after-state into their before-state,
 * its mapping rows restore the fragments' previous segments - and the tracker re-counts only
 * those chunks. Nothing on disk changes. The reference is taken as it is now.
 */
import type { QualityPoint } from '../../../shared/api/studio-ml';
import { applyDelta } from '../../proofreading/chunk-delta';
import type { Database } from '../../store/database';
import type { Vec3 } from '../../volumes/box';
import type { VoxelArray } from '../../volumes/dtypes';
import type { QualityTracker } from './tracker';

/** At most this many edits are replayed (older ones are left out of the curve). */
export const MAX_REPLAYED_EDITS = 500;

interface EditRow {
  id: number;
  summary: string;
  created_at: string;
}

export function editLabel(summary: string): string {
  try {
    return String((JSON.parse(summary) as { label?: unknown }).label ?? 'edit');
  } catch {
    return 'edit';
  }
}

/** Applied edits of a layer, oldest first. */
export function appliedEdits(db: Database, layerId: string): EditRow[] {
  return db.prepare('SELECT id, summary, created_at FROM edits WHERE layer_id = ? AND undone = 0 ORDER BY id').all(layerId) as EditRow[];
}

/**
 * Points after every applied edit of `layerId` (oldest first), plus one before the oldest
 * replayed edit. `current` is the tracker of the present state; it is not changed.
 */
export async function historyPoints(db: Database, layerId: string, current: QualityTracker, readChunk: (c: Vec3) => Promise<VoxelArray>): Promise<QualityPoint[]> {
  const edits = appliedEdits(db, layerId);
  const replay = edits.slice(-MAX_REPLAYED_EDITS).reverse();
  const work = current.clone();
  const chunkState = new Map<string, VoxelArray>();
  const points: QualityPoint[] = [];
  const last = edits[edits.length - 1];
  points.push({ editId: last?.id ?? null, label: last ? editLabel(last.summary) : 'current state', at: last?.created_at ?? null, metrics: work.metrics() });
  const chunkRows = db.prepare('SELECT cz, cy, cx, delta FROM edit_chunks WHERE edit_id = ?');
  const mappingRows = db.prepare('SELECT fragment_id, before_segment FROM edit_mapping WHERE edit_id = ?');
  for (let k = 0; k < replay.length; k++) {
    const e = replay[k];
    for (const r of chunkRows.all(e.id) as { cz: number; cy: number; cx: number; delta: Buffer }[]) {
      const coord: Vec3 = [r.cz, r.cy, r.cx];
      const key = coord.join(',');
      const after = chunkState.get(key) ?? (await readChunk(coord));
      const before = await applyDelta(after, r.delta);
      chunkState.set(key, before);
      work.setChunk(coord, await work.countChunk(coord, before));
    }
    const changes = (mappingRows.all(e.id) as { fragment_id: number; before_segment: number | null }[]).map((m) => [m.fragment_id, m.before_segment ?? 0] as [number, number]);
    work.updateMapping(changes);
    const prev = replay[k + 1];
    const isOldest = k === replay.length - 1;
    points.push({
      editId: prev?.id ?? null,
      label: prev ? editLabel(prev.summary) : isOldest && edits.length > replay.length ? `before edit ${e.id}` : 'before the first edit',
      at: prev?.created_at ?? null,
      metrics: work.metrics(),
    });
  }
  return points.reverse();
}
