import { AppError, CancelledError } from '../errors';
import type { Project } from '../store/project';
import type { Vec3 } from '../volumes/box';
import { mapLimit } from '../volumes/concurrency';
import { allChunks } from '../volumes/store/pyramid';
import { viewLabelData, type LabelData } from './label-data';
import { chunkIndex, openLabelLayer, requireLabelLayerInfo } from './label-layer';

export interface IndexResult {
  layerId: string;
  segments: number;
  fragments: number | null;
  voxels: number;
  chunks: number;
}

export interface IndexSink {
  signal?: AbortSignal;
  progress?: (fraction: number, message: string) => void;
}

/** Voxels per non-zero label of one chunk; runs of equal ids are counted at once. */
export function countLabels(data: LabelData): Map<number, number> {
  const counts = new Map<number, number>();
  let prev = data.length ? data[0] : 0;
  let run = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v === prev) {
      run++;
      continue;
    }
    if (prev !== 0) counts.set(prev, (counts.get(prev) ?? 0) + run);
    prev = v;
    run = 1;
  }
  if (prev !== 0 && run > 0) counts.set(prev, (counts.get(prev) ?? 0) + run);
  return counts;
}

/** Creates the layer's proofreading row (not yet indexed) unless it exists. */
export function ensureLabelLayerRow(project: Project, layerId: string): void {
  project.db.prepare('INSERT INTO label_layers (layer_id) VALUES (?) ON CONFLICT(layer_id) DO NOTHING').run(layerId);
}

/**
 * Sets the initial fragment -> segment mapping of a fragment layer (e.g. from agglomeration)
 * before it is indexed. Fragments absent here map to themselves.
 */
export function setInitialMapping(project: Project, layerId: string, fragments: ArrayLike<number>, segments: ArrayLike<number>): void {
  const info = requireLabelLayerInfo(project, layerId);
  if (info.kind !== 'fragments') throw new AppError('BAD_REQUEST', `layer '${info.name}' is not a fragment layer`);
  if (fragments.length !== segments.length) throw new AppError('BAD_REQUEST', 'mapping: fragments and segments differ in length');
  ensureLabelLayerRow(project, info.id);
  const state = project.db.prepare('SELECT indexed_at FROM label_layers WHERE layer_id = ?').pluck().get(info.id);
  if (state) throw new AppError('CONFLICT', `layer '${info.name}' is already indexed; change its mapping with merge and split edits`);
  const insert = project.db.prepare(
    'INSERT INTO fragments (layer_id, id, segment_id, voxel_count) VALUES (?, ?, ?, 0) ON CONFLICT(layer_id, id) DO UPDATE SET segment_id = excluded.segment_id',
  );
  project.db.transaction(() => {
    for (let i = 0; i < fragments.length; i++) {
      if (fragments[i] === 0) continue;
      if (segments[i] === 0) throw new AppError('BAD_REQUEST', `mapping: fragment ${fragments[i]} maps to 0 (the background)`);
      insert.run(info.id, fragments[i], segments[i]);
    }
  })();
}

/**
 * Counts every label's voxels per level-0 chunk and stores the index, the segment (and fragment)
 * voxel counts and the id counters, all in one transaction at the end: an interrupted run
 * changes nothing.
 */
export async function indexLabelLayer(project: Project, layerId: string, sink: IndexSink = {}): Promise<IndexResult> {
  const info = requireLabelLayerInfo(project, layerId);
  const layer = await openLabelLayer(project, info);
  const coords = allChunks(layer.store, 0);
  const rows: { label: number; chunk: number; voxels: number }[] = [];
  const totals = new Map<number, number>();
  let done = 0;
  await mapLimit(coords, 4, async (coord: Vec3) => {
    if (sink.signal?.aborted) throw new CancelledError('indexing cancelled');
    const chunk = await layer.store.readChunk(0, coord);
    const counts = countLabels(viewLabelData(chunk.data));
    const ci = chunkIndex(layer, coord);
    for (const [label, voxels] of counts) {
      rows.push({ label, chunk: ci, voxels });
      totals.set(label, (totals.get(label) ?? 0) + voxels);
    }
    done++;
    sink.progress?.(done / coords.length, `counted chunk ${done}/${coords.length}`);
  });
  const db = project.db;
  let maxLabel = 0;
  let voxels = 0;
  for (const [label, n] of totals) {
    if (label > layer.maxLabel) throw new AppError('UNSUPPORTED', `layer '${info.name}' holds id ${label}, beyond ${layer.maxLabel}, the largest id proofreading edits`);
    if (label > maxLabel) maxLabel = label;
    voxels += n;
  }
  const result = db.transaction((): IndexResult => {
    ensureLabelLayerRow(project, info.id);
    db.prepare('DELETE FROM label_chunks WHERE layer_id = ?').run(info.id);
    const insert = db.prepare('INSERT INTO label_chunks (layer_id, label, chunk, voxels) VALUES (?, ?, ?, ?)');
    for (const r of rows) insert.run(info.id, r.label, r.chunk, r.voxels);
    db.prepare('UPDATE segments SET voxel_count = 0 WHERE layer_id = ?').run(info.id);
    const upsertSegment = db.prepare(
      'INSERT INTO segments (layer_id, id, voxel_count) VALUES (?, ?, ?) ON CONFLICT(layer_id, id) DO UPDATE SET voxel_count = excluded.voxel_count',
    );
    let fragments: number | null = null;
    let maxSegment = maxLabel;
    if (layer.isFragments) {
      db.prepare('UPDATE fragments SET voxel_count = 0 WHERE layer_id = ?').run(info.id);
      const upsertFragment = db.prepare(
        `INSERT INTO fragments (layer_id, id, segment_id, voxel_count) VALUES (?, ?, ?, ?)
         ON CONFLICT(layer_id, id) DO UPDATE SET voxel_count = excluded.voxel_count`,
      );
      for (const [f, n] of totals) upsertFragment.run(info.id, f, f, n);
      const sums = db.prepare('SELECT segment_id AS s, sum(voxel_count) AS n FROM fragments WHERE layer_id = ? GROUP BY segment_id').all(info.id) as { s: number; n: number }[];
      for (const { s, n } of sums) {
        if (s > layer.maxSegment) throw new AppError('UNSUPPORTED', `layer '${info.name}' maps to segment ${s}, beyond ${layer.maxSegment}`);
        upsertSegment.run(info.id, s, n);
        if (s > maxSegment) maxSegment = s;
      }
      fragments = db.prepare('SELECT count(*) FROM fragments WHERE layer_id = ?').pluck().get(info.id) as number;
      const maxFragment = db.prepare('SELECT max(id) FROM fragments WHERE layer_id = ?').pluck().get(info.id) as number | null;
      maxLabel = Math.max(maxLabel, maxFragment ?? 0);
    } else {
      for (const [label, n] of totals) upsertSegment.run(info.id, label, n);
    }
    const maxRow = db.prepare('SELECT max(id) FROM segments WHERE layer_id = ?').pluck().get(info.id) as number | null;
    db.prepare(
      `UPDATE label_layers SET indexed_at = ?, next_segment_id = max(next_segment_id, ?), next_fragment_id = max(next_fragment_id, ?)
       WHERE layer_id = ?`,
    ).run(new Date().toISOString(), Math.max(maxSegment, maxRow ?? 0) + 1, maxLabel + 1, info.id);
    const segments = db.prepare('SELECT count(*) FROM segments WHERE layer_id = ? AND voxel_count > 0').pluck().get(info.id) as number;
    return { layerId: info.id, segments, fragments, voxels, chunks: coords.length };
  })();
  sink.progress?.(1, `indexed ${result.segments} segments`);
  return result;
}
