import { AppError } from '../errors';
import type { Database } from '../store/database';
import type { Box, Vec3 } from '../volumes/box';
import { crashPoint } from './crash-points';
import { blobOf, CountTables, float64FromBlob, packLabelDeltas, packSegmentDeltas, type MappingChange } from './counts';
import type { VoxelChanges } from './edit-session';

export type EditKind = 'paint' | 'erase' | 'fill' | 'merge' | 'split' | 'interpolate' | 'mapping';

export interface EditSummary {
  /** One line for the history list, e.g. "Merge 12 into 7". */
  label: string;
  /** Voxels whose stored label changed (0 for mapping-only edits). */
  voxels: number;
  /** Segments the edit changed. */
  segments: number[];
  [extra: string]: unknown;
}

export interface EditRecord {
  layerId: string;
  isFragments: boolean;
  kind: EditKind;
  summary: EditSummary;
  changes: VoxelChanges;
  mapping: MappingChange[];
  /** Raise the layer's id counters to at least these (new ids the edit used). */
  nextSegmentId?: number;
  nextFragmentId?: number;
}

export interface HistoryEntry {
  id: number;
  layerId: string;
  kind: EditKind;
  label: string;
  voxels: number;
  segments: number[];
  undone: boolean;
  createdAt: string;
}

/** Moving one chunk between an edit's two states: from the state hashed `from` to the one hashed `to`. */
export interface ChunkWrite {
  coord: Vec3;
  from: Buffer;
  to: Buffer;
  /** brotli(before XOR after), turning either state into the other. */
  delta: Buffer;
  /** Voxels that differ between the two states. */
  box: Box;
}

/** What one commit, undo or redo changed, for the file writes and the change events. */
export interface Transition {
  edit: HistoryEntry;
  direction: 'apply' | 'revert';
  /** Mapping rows as they are now: fragment -> segment (0 when the fragment no longer exists). */
  mapping: { fragment: number; segment: number }[];
  /** Segments whose voxel count or fragments changed. */
  segments: number[];
  chunks: ChunkWrite[];
}

interface EditRow {
  id: number;
  layer_id: string;
  kind: EditKind;
  summary: string;
  undone: number;
  created_at: string;
}

function entryOf(r: EditRow): HistoryEntry {
  const s = JSON.parse(r.summary) as EditSummary;
  return {
    id: r.id,
    layerId: r.layer_id,
    kind: r.kind,
    label: s.label,
    voxels: s.voxels,
    segments: s.segments,
    undone: r.undone === 1,
    createdAt: r.created_at,
  };
}

/**
 * The project's linear edit history. A commit writes, in one SQLite transaction, the edit row,
 * every rewritten chunk's before/after hashes and XOR delta, its mapping rows and count
 * deltas, the updated count tables, and a journal row naming the chunk files still to be
 * written. Undo pops the
 * newest applied edit, redo re-applies the oldest undone one; a new edit discards the undone
 * ones. So an edit's chunks are never changed by a later applied edit when it is undone.
 */
export class EditLog {
  readonly counts: CountTables;

  constructor(private readonly db: Database) {
    this.counts = new CountTables(db);
  }

  /** Bytes the history keeps for chunk deltas. */
  historyBytes(): number {
    return this.db.prepare('SELECT total(length(delta)) FROM edit_chunks').pluck().get() as number;
  }

  private row(id: number): EditRow {
    const r = this.db.prepare('SELECT * FROM edits WHERE id = ?').get(id) as EditRow | undefined;
    if (!r) throw new AppError('NOT_FOUND', `no edit ${id} in the history`);
    return r;
  }

  entry(id: number): HistoryEntry {
    return entryOf(this.row(id));
  }

  /** Newest edit that is applied (the one undo would revert). */
  undoable(): HistoryEntry | null {
    const r = this.db.prepare('SELECT * FROM edits WHERE undone = 0 ORDER BY id DESC LIMIT 1').get() as EditRow | undefined;
    return r ? entryOf(r) : null;
  }

  /** Oldest undone edit (the one redo would re-apply). */
  redoable(): HistoryEntry | null {
    const r = this.db.prepare('SELECT * FROM edits WHERE undone = 1 ORDER BY id ASC LIMIT 1').get() as EditRow | undefined;
    return r ? entryOf(r) : null;
  }

  history(limit = 100, layerId?: string): HistoryEntry[] {
    const rows = layerId
      ? this.db.prepare('SELECT * FROM edits WHERE layer_id = ? ORDER BY id DESC LIMIT ?').all(layerId, limit)
      : this.db.prepare('SELECT * FROM edits ORDER BY id DESC LIMIT ?').all(limit);
    return (rows as EditRow[]).map(entryOf);
  }

  count(): { applied: number; undone: number } {
    const r = this.db.prepare('SELECT sum(undone = 0) AS applied, sum(undone = 1) AS undone FROM edits').get() as { applied: number | null; undone: number | null };
    return { applied: r.applied ?? 0, undone: r.undone ?? 0 };
  }

  /** Segments among `ids` that are locked. */
  locked(layerId: string, ids: Iterable<number>): number[] {
    const stmt = this.db.prepare('SELECT locked FROM segments WHERE layer_id = ? AND id = ?').pluck();
    const out: number[] = [];
    for (const id of ids) if (stmt.get(layerId, id) === 1) out.push(id);
    return out;
  }

  assertUnlocked(layerId: string, ids: Iterable<number>): void {
    const locked = this.locked(layerId, ids);
    if (locked.length > 0) {
      throw new AppError('LOCKED_SEGMENT', `segment${locked.length > 1 ? 's' : ''} ${locked.join(', ')} ${locked.length > 1 ? 'are' : 'is'} locked; unlock ${locked.length > 1 ? 'them' : 'it'} to edit`, {
        segments: locked,
      });
    }
  }

  /** Records an edit and its count changes; the caller then writes its chunk files and calls `finishJournal`. */
  commit(rec: EditRecord): Transition {
    const run = this.db.transaction((): Transition => {
      this.discardUndone();
      const segmentDeltas = this.counts.segmentDeltas(rec.layerId, rec.isFragments, rec.changes.labelDeltas, rec.mapping);
      const touched = new Set<number>(segmentDeltas.keys());
      for (const m of rec.mapping) {
        if (m.before !== null) touched.add(m.before);
        touched.add(m.after);
      }
      touched.delete(0);
      this.assertUnlocked(rec.layerId, touched);
      const segments = [...touched].sort((a, b) => a - b);
      const summary: EditSummary = { ...rec.summary, segments };
      const createdAt = new Date().toISOString();
      const id = Number(
        this.db
          .prepare('INSERT INTO edits (layer_id, kind, summary, undone, created_at) VALUES (?, ?, ?, 0, ?)')
          .run(rec.layerId, rec.kind, JSON.stringify(summary), createdAt).lastInsertRowid,
      );
      const insertChunk = this.db.prepare(
        'INSERT INTO edit_chunks (edit_id, cz, cy, cx, before_hash, after_hash, delta, box) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      );
      const chunks: ChunkWrite[] = [];
      for (const c of rec.changes.chunks) {
        insertChunk.run(id, c.coord[0], c.coord[1], c.coord[2], c.beforeHash, c.afterHash, c.delta, JSON.stringify(c.box));
        chunks.push({ coord: c.coord, from: c.beforeHash, to: c.afterHash, delta: c.delta, box: c.box });
      }
      const labelDeltas = packLabelDeltas(rec.changes.labelDeltas);
      const segDeltas = packSegmentDeltas(segmentDeltas);
      this.db.prepare('INSERT INTO edit_counts (edit_id, label_deltas, segment_deltas) VALUES (?, ?, ?)').run(id, blobOf(labelDeltas), blobOf(segDeltas));
      const insertMapping = this.db.prepare('INSERT INTO edit_mapping (edit_id, fragment_id, before_segment, after_segment) VALUES (?, ?, ?, ?)');
      for (const m of rec.mapping) insertMapping.run(id, m.fragment, m.before, m.after);
      this.counts.applyMapping(rec.layerId, rec.mapping, 'forward');
      this.counts.applyLabelDeltas(rec.layerId, labelDeltas, 1, rec.isFragments);
      this.counts.applySegmentDeltas(rec.layerId, segDeltas, 1);
      this.db
        .prepare(
          `UPDATE label_layers SET next_segment_id = max(next_segment_id, ?), next_fragment_id = max(next_fragment_id, ?),
             mapping_version = mapping_version + ? WHERE layer_id = ?`,
        )
        .run(rec.nextSegmentId ?? 0, rec.nextFragmentId ?? 0, rec.mapping.length > 0 ? 1 : 0, rec.layerId);
      if (chunks.length > 0) this.journal(id, 'apply');
      crashPoint('edit.in-transaction');
      return {
        edit: { id, layerId: rec.layerId, kind: rec.kind, label: summary.label, voxels: summary.voxels, segments, undone: false, createdAt },
        direction: 'apply',
        mapping: rec.mapping.map((m) => ({ fragment: m.fragment, segment: m.after })),
        segments,
        chunks,
      };
    });
    return this.durably(() => run.immediate());
  }

  /**
   * Runs a transaction with synchronous=FULL: the commit is on disk (WAL fsynced) before any
   * chunk file is written after it, so even a power cut cannot leave files ahead of the log.
   */
  private durably<T>(fn: () => T): T {
    const previous = this.db.pragma('synchronous', { simple: true }) as number;
    this.db.pragma('synchronous = FULL');
    try {
      return fn();
    } finally {
      this.db.pragma(`synchronous = ${previous}`);
    }
  }

  /** Marks the newest applied edit undone and reverts its counts and mapping (one transaction). */
  beginUndo(id: number): Transition {
    return this.transition(id, 'revert');
  }

  beginRedo(id: number): Transition {
    return this.transition(id, 'apply');
  }

  private transition(id: number, direction: 'apply' | 'revert'): Transition {
    const run = this.db.transaction((): Transition => {
      const expected = direction === 'revert' ? this.undoable() : this.redoable();
      if (!expected || expected.id !== id) {
        throw new AppError('CONFLICT', `edit ${id} is not the ${direction === 'revert' ? 'newest applied' : 'oldest undone'} edit; history is linear`);
      }
      const row = this.row(id);
      const isFragments = (this.db.prepare('SELECT kind FROM layers WHERE id = ?').pluck().get(row.layer_id) as string) === 'fragments';
      const counts = this.db.prepare('SELECT label_deltas, segment_deltas FROM edit_counts WHERE edit_id = ?').get(id) as
        | { label_deltas: Buffer; segment_deltas: Buffer }
        | undefined;
      const labelDeltas = counts ? float64FromBlob(counts.label_deltas) : new Float64Array(0);
      const segDeltas = counts ? float64FromBlob(counts.segment_deltas) : new Float64Array(0);
      const mapping = (
        this.db.prepare('SELECT fragment_id AS fragment, before_segment AS before, after_segment AS after FROM edit_mapping WHERE edit_id = ?').all(id) as MappingChange[]
      ).map((m) => ({ fragment: m.fragment, before: m.before, after: m.after }));
      const entry = entryOf(row);
      this.assertUnlocked(row.layer_id, entry.segments);
      const sign = direction === 'apply' ? 1 : -1;
      if (direction === 'apply') {
        this.counts.applyMapping(row.layer_id, mapping, 'forward');
        this.counts.applyLabelDeltas(row.layer_id, labelDeltas, 1, isFragments);
      } else {
        this.counts.applyLabelDeltas(row.layer_id, labelDeltas, -1, isFragments);
        this.counts.applyMapping(row.layer_id, mapping, 'backward');
      }
      this.counts.applySegmentDeltas(row.layer_id, segDeltas, sign);
      if (mapping.length > 0) this.db.prepare('UPDATE label_layers SET mapping_version = mapping_version + 1 WHERE layer_id = ?').run(row.layer_id);
      this.db.prepare('UPDATE edits SET undone = ? WHERE id = ?').run(direction === 'revert' ? 1 : 0, id);
      const chunks = this.chunkWrites(id, direction);
      if (chunks.length > 0) this.journal(id, direction);
      crashPoint('transition.in-transaction');
      return {
        edit: { ...entry, undone: direction === 'revert' },
        direction,
        mapping: mapping.map((m) => ({ fragment: m.fragment, segment: direction === 'apply' ? m.after : m.before ?? 0 })),
        segments: entry.segments,
        chunks,
      };
    });
    return this.durably(() => run.immediate());
  }

  /** The chunk moves that bring an edit's chunks to its after ('apply') or before ('revert') state. */
  chunkWrites(id: number, direction: 'apply' | 'revert'): ChunkWrite[] {
    const rows = this.db.prepare('SELECT cz, cy, cx, before_hash, after_hash, delta, box FROM edit_chunks WHERE edit_id = ? ORDER BY cz, cy, cx').all(id) as {
      cz: number;
      cy: number;
      cx: number;
      before_hash: Buffer;
      after_hash: Buffer;
      delta: Buffer;
      box: string;
    }[];
    return rows.map((r) => ({
      coord: [r.cz, r.cy, r.cx],
      from: direction === 'apply' ? r.before_hash : r.after_hash,
      to: direction === 'apply' ? r.after_hash : r.before_hash,
      delta: r.delta,
      box: JSON.parse(r.box) as Box,
    }));
  }

  private journal(id: number, direction: 'apply' | 'revert'): void {
    this.db.prepare('INSERT INTO edit_journal (edit_id, direction, started_at) VALUES (?, ?, ?)').run(id, direction, new Date().toISOString());
  }

  pendingJournal(): { editId: number; layerId: string; direction: 'apply' | 'revert' }[] {
    return this.db
      .prepare('SELECT j.edit_id AS editId, e.layer_id AS layerId, j.direction AS direction FROM edit_journal j JOIN edits e ON e.id = j.edit_id ORDER BY j.edit_id')
      .all() as { editId: number; layerId: string; direction: 'apply' | 'revert' }[];
  }

  finishJournal(id: number): void {
    this.db.prepare('DELETE FROM edit_journal WHERE edit_id = ?').run(id);
  }

  /** Deletes undone edits (a new edit starts a new branch; history stays linear). */
  private discardUndone(): void {
    const ids = this.db.prepare('SELECT id FROM edits WHERE undone = 1').pluck().all() as number[];
    for (const id of ids) this.deleteEdit(id);
  }

  private deleteEdit(id: number): void {
    this.db.prepare('DELETE FROM edits WHERE id = ?').run(id);
  }

  /**
   * Forgets the oldest applied edits until the stored chunk deltas fit `maxBytes` (the newest
   * `keep` edits always stay). Returns how many edits were dropped; they can no longer be undone.
   */
  prune(maxBytes: number, keep = 50): number {
    let dropped = 0;
    while (this.historyBytes() > maxBytes) {
      const oldest = this.db.prepare('SELECT id FROM edits WHERE undone = 0 ORDER BY id ASC LIMIT 1').pluck().get() as number | undefined;
      const total = this.count();
      if (oldest === undefined || total.applied + total.undone <= keep) break;
      if (this.db.prepare('SELECT 1 FROM edit_journal WHERE edit_id = ?').get(oldest)) break;
      this.db.transaction(() => this.deleteEdit(oldest)).immediate();
      dropped++;
    }
    return dropped;
  }
}
