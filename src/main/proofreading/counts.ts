import { AppError } from '../errors';
import type { Database } from '../store/database';
import { totalDelta, type LabelDeltas } from './edit-session';

/** A fragment's segment before and after an edit (before null: the edit created the fragment). */
export interface MappingChange {
  fragment: number;
  before: number | null;
  after: number;
}

/** (label, chunk, delta) triples. */
export function packLabelDeltas(d: LabelDeltas): Float64Array {
  let n = 0;
  for (const m of d.values()) n += m.size;
  const out = new Float64Array(3 * n);
  let i = 0;
  for (const [label, m] of d) {
    for (const [chunk, delta] of m) {
      out[i++] = label;
      out[i++] = chunk;
      out[i++] = delta;
    }
  }
  return out;
}

/** (segment, delta) pairs. */
export function packSegmentDeltas(d: Map<number, number>): Float64Array {
  const out = new Float64Array(2 * d.size);
  let i = 0;
  for (const [s, delta] of d) {
    out[i++] = s;
    out[i++] = delta;
  }
  return out;
}

export function float64FromBlob(b: Buffer): Float64Array {
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Float64Array(copy.buffer);
}

export function blobOf(a: Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * The count tables an edit keeps exact: voxels per label per chunk (label_chunks), voxels per
 * fragment and the fragment -> segment mapping (fragment layers), voxels per segment.
 * Every method runs inside the caller's transaction.
 */
export class CountTables {
  private readonly labelChunkUpsert;
  private readonly labelChunkDelete;
  private readonly fragmentAdd;
  private readonly fragmentGet;
  private readonly fragmentInsert;
  private readonly fragmentDelete;
  private readonly fragmentSetSegment;
  private readonly segmentAdd;

  constructor(private readonly db: Database) {
    this.labelChunkUpsert = db.prepare(
      `INSERT INTO label_chunks (layer_id, label, chunk, voxels) VALUES (?, ?, ?, ?)
       ON CONFLICT(layer_id, label, chunk) DO UPDATE SET voxels = voxels + excluded.voxels RETURNING voxels`,
    );
    this.labelChunkDelete = db.prepare('DELETE FROM label_chunks WHERE layer_id = ? AND label = ? AND chunk = ?');
    this.fragmentAdd = db.prepare('UPDATE fragments SET voxel_count = voxel_count + ? WHERE layer_id = ? AND id = ? RETURNING voxel_count');
    this.fragmentGet = db.prepare('SELECT segment_id AS segment, voxel_count AS voxels FROM fragments WHERE layer_id = ? AND id = ?');
    this.fragmentInsert = db.prepare('INSERT INTO fragments (layer_id, id, segment_id, voxel_count) VALUES (?, ?, ?, 0)');
    this.fragmentDelete = db.prepare('DELETE FROM fragments WHERE layer_id = ? AND id = ?');
    this.fragmentSetSegment = db.prepare('UPDATE fragments SET segment_id = ? WHERE layer_id = ? AND id = ?');
    this.segmentAdd = db.prepare(
      `INSERT INTO segments (layer_id, id, voxel_count) VALUES (?, ?, ?)
       ON CONFLICT(layer_id, id) DO UPDATE SET voxel_count = coalesce(voxel_count, 0) + excluded.voxel_count RETURNING voxel_count`,
    );
  }

  fragment(layerId: string, id: number): { segment: number; voxels: number } | null {
    return (this.fragmentGet.get(layerId, id) as { segment: number; voxels: number } | undefined) ?? null;
  }

  applyLabelDeltas(layerId: string, triples: Float64Array, sign: 1 | -1, isFragments: boolean): void {
    const perLabel = new Map<number, number>();
    for (let i = 0; i < triples.length; i += 3) {
      const label = triples[i];
      const chunk = triples[i + 1];
      const d = sign * triples[i + 2];
      const { voxels } = this.labelChunkUpsert.get(layerId, label, chunk, d) as { voxels: number };
      if (voxels < 0) throw new AppError('INTERNAL', `label index of layer ${layerId} went negative for label ${label} (chunk ${chunk})`);
      if (voxels === 0) this.labelChunkDelete.run(layerId, label, chunk);
      perLabel.set(label, (perLabel.get(label) ?? 0) + d);
    }
    if (!isFragments) return;
    for (const [label, d] of perLabel) {
      const row = this.fragmentAdd.get(d, layerId, label) as { voxel_count: number } | undefined;
      if (!row) throw new AppError('INTERNAL', `fragment ${label} of layer ${layerId} has no mapping row`);
      if (row.voxel_count < 0) throw new AppError('INTERNAL', `fragment ${label} of layer ${layerId} went negative`);
    }
  }

  applySegmentDeltas(layerId: string, pairs: Float64Array, sign: 1 | -1): void {
    for (let i = 0; i < pairs.length; i += 2) {
      const { voxel_count } = this.segmentAdd.get(layerId, pairs[i], sign * pairs[i + 1]) as { voxel_count: number };
      if (voxel_count < 0) throw new AppError('INTERNAL', `segment ${pairs[i]} of layer ${layerId} went negative`);
    }
  }

  /** Forward: fragments take their `after` segment (created when new). Backward: the `before` one (removed when created). */
  applyMapping(layerId: string, changes: readonly MappingChange[], direction: 'forward' | 'backward'): void {
    for (const c of changes) {
      if (direction === 'forward') {
        if (c.before === null) this.fragmentInsert.run(layerId, c.fragment, c.after);
        else this.fragmentSetSegment.run(c.after, layerId, c.fragment);
      } else if (c.before === null) this.fragmentDelete.run(layerId, c.fragment);
      else this.fragmentSetSegment.run(c.before, layerId, c.fragment);
    }
  }

  /**
   * Segment count changes of an edit. Plain layers: the label deltas. Fragment layers: every
   * fragment the edit touches leaves its old segment with its old count and joins its new
   * segment with its new count (both are the same segment unless the mapping changed).
   */
  segmentDeltas(layerId: string, isFragments: boolean, labelDeltas: LabelDeltas, mapping: readonly MappingChange[]): Map<number, number> {
    const out = new Map<number, number>();
    const add = (s: number, d: number) => {
      if (s !== 0 && d !== 0) out.set(s, (out.get(s) ?? 0) + d);
    };
    if (!isFragments) {
      for (const [label, m] of labelDeltas) add(label, totalDelta(m));
    } else {
      const moved = new Map(mapping.map((c) => [c.fragment, c]));
      const touched = new Set<number>([...labelDeltas.keys(), ...moved.keys()]);
      for (const f of touched) {
        const row = this.fragment(layerId, f);
        const change = moved.get(f);
        const before = change ? change.before : row?.segment ?? null;
        const after = change ? change.after : row?.segment ?? null;
        const oldCount = change?.before === null ? 0 : row?.voxels ?? 0;
        const newCount = oldCount + totalDelta(labelDeltas.get(f));
        if (before !== null) add(before, -oldCount);
        if (after !== null) add(after, newCount);
        else if (newCount !== 0) throw new AppError('INTERNAL', `fragment ${f} of layer ${layerId} has voxels but no segment`);
      }
    }
    for (const [s, d] of out) if (d === 0) out.delete(s);
    return out;
  }
}
