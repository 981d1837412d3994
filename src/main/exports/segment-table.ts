import { writeFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import type { Segment } from '../../shared/api/proofreading';
import { AppError } from '../errors';
import { requireLabelLayerInfo } from '../proofreading/label-layer';
import { layerState } from '../proofreading/ops/context';
import { listSegments } from '../proofreading/segments';
import type { Project } from '../store/project';
import { checkDestination, sizeOf, writeAtomically } from './atomic';
import { readFragmentMapping } from './mapping';

/**
 * The segment table of a label or fragment layer as CSV or JSON: id, name, colour ('#rrggbb',
 * empty = the viewer's hashed colour), review status, notes, voxel count, locked, and for
 * fragment layers the fragment ids of each segment. Segments merged away (0 voxels) are left
 * out unless `includeEmpty`.
 */

export type SegmentTableFormat = 'csv' | 'json';

export interface SegmentTableRow {
  id: number;
  name: string | null;
  color: string | null;
  status: Segment['status'];
  notes: string;
  voxelCount: number;
  locked: boolean;
  /** Fragment layers only. */
  fragments?: number[];
}

export interface SegmentTableOptions {
  format?: SegmentTableFormat;
  includeEmpty?: boolean;
  overwrite?: boolean;
  signal?: AbortSignal;
  progress?: (fraction: number, message: string) => void;
}

export interface SegmentTableResult {
  path: string;
  format: SegmentTableFormat;
  layer: string;
  segments: number;
  bytes: number;
}

export function segmentTableFormat(path: string, format?: string): SegmentTableFormat {
  const f = format ?? extname(path).slice(1).toLowerCase();
  if (f === 'csv' || f === 'json') return f;
  throw new AppError('BAD_REQUEST', `segment tables are written as csv or json (got "${format ?? extname(path)}"); name the file .csv or .json or give the format`);
}

/** The table's rows, by id. */
export function segmentTableRows(project: Project, layerIdOrName: string, includeEmpty = false): { layer: string; layerId: string; kind: string; rows: SegmentTableRow[] } {
  const info = requireLabelLayerInfo(project, layerIdOrName);
  if (!layerState(project.db, info.id)?.indexedAt) {
    throw new AppError('CONFLICT', `layer '${info.name}' has no voxel counts yet; prepare it for proofreading first (open its segment list, or run "tokenunify segments")`);
  }
  const isFragments = info.kind === 'fragments';
  const { segments } = listSegments(project.db, info.id, isFragments, { includeEmpty, sort: 'id', limit: Number.MAX_SAFE_INTEGER });
  const bySegment = new Map<number, number[]>();
  if (isFragments) {
    const m = readFragmentMapping(project, info);
    for (let i = 0; i < m.fragments.length; i++) {
      let list = bySegment.get(m.segments[i]);
      if (!list) bySegment.set(m.segments[i], (list = []));
      list.push(m.fragments[i]);
    }
  }
  const rows = segments.map((s) => ({
    id: s.id,
    name: s.name,
    color: s.color,
    status: s.status,
    notes: s.notes,
    voxelCount: s.voxelCount,
    locked: s.locked,
    ...(isFragments ? { fragments: bySegment.get(s.id) ?? [] } : {}),
  }));
  return { layer: info.name, layerId: info.id, kind: info.kind, rows };
}

/** RFC 4180 field: quoted when it holds a comma, quote, line break or outer spaces. */
export function csvField(v: string): string {
  return /[",\r\n]|^\s|\s$/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function segmentTableCsv(rows: SegmentTableRow[], withFragments: boolean): string {
  const header = ['id', 'name', 'color', 'status', 'notes', 'voxel_count', 'locked', ...(withFragments ? ['fragment_ids'] : [])];
  const lines = [header.join(',')];
  for (const r of rows) {
    const cells = [String(r.id), r.name ?? '', r.color ?? '', r.status, r.notes, String(r.voxelCount), r.locked ? 'true' : 'false'];
    if (withFragments) cells.push((r.fragments ?? []).join(' '));
    lines.push(cells.map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

export async function exportSegmentTable(project: Project, layerIdOrName: string, outPath: string, opts: SegmentTableOptions = {}): Promise<SegmentTableResult> {
  const path = resolve(outPath);
  const format = segmentTableFormat(path, opts.format);
  checkDestination({ path }, { overwrite: opts.overwrite });
  opts.progress?.(0, 'reading the segment table');
  const table = segmentTableRows(project, layerIdOrName, opts.includeEmpty);
  const text =
    format === 'csv'
      ? segmentTableCsv(table.rows, table.kind === 'fragments')
      : `${JSON.stringify({ layer: table.layer, layerId: table.layerId, kind: table.kind, exportedAt: new Date().toISOString(), segments: table.rows }, null, 1)}\n`;
  await writeAtomically({ path }, { overwrite: opts.overwrite, signal: opts.signal }, (tmp) => writeFile(tmp.path, text));
  opts.progress?.(1, 'done');
  return { path, format, layer: table.layer, segments: table.rows.length, bytes: await sizeOf(path) };
}
