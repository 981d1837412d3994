import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../../src/main/store/project';
import type { Vec3 } from '../../../src/main/volumes/box';
import { createLayerFromArray } from '../../../src/main/volumes/create-layer';
import { csvField, exportSegmentTable } from '../../../src/main/exports/segment-table';
import { referencePython, runPython, skipNotice } from '../../helpers/python';
import { newProject, suiteDir } from '../../helpers/volumes';
import { fragmentProject } from './helpers';

const py = referencePython([]);
if (!py) skipNotice("segment table CSV read by Python's csv module", ['csv']);

const SHAPE: Vec3 = [8, 40, 48];

describe('segment table export (CSV, JSON)', () => {
  const dir = suiteDir('tu-exseg-');
  let project: Project;
  let fx: Awaited<ReturnType<typeof fragmentProject>>;
  const counts = new Map<number, number>();

  beforeAll(async () => {
    project = newProject(dir);
    fx = await fragmentProject(project, SHAPE, [40, 8, 8]);
    for (const s of fx.mapped) if (s) counts.set(s, (counts.get(s) ?? 0) + 1);
  });

  it('quotes CSV fields as RFC 4180 says', () => {
    expect(['plain', 'a,b', 'say "hi"', 'two\nlines', ' padded'].map(csvField)).toEqual(['plain', '"a,b"', '"say ""hi"""', '"two\nlines"', '" padded"']);
  });

  it('JSON: every segment with name, colour, status, notes, voxel count, lock and (fragment layers) its fragments', async () => {
    for (const layer of ['plain', 'frags']) {
      const r = await exportSegmentTable(project, layer, join(dir, `${layer}.json`));
      expect(r).toMatchObject({ format: 'json', layer, segments: counts.size });
      const table = JSON.parse(readFileSync(join(dir, `${layer}.json`), 'utf8'));
      expect(table).toMatchObject({ layer, kind: layer === 'frags' ? 'fragments' : 'labels' });
      expect(table.segments.map((s: { id: number }) => s.id)).toEqual([...counts.keys()].sort((a, b) => a - b));
      for (const s of table.segments) {
        expect(s.voxelCount).toBe(counts.get(s.id));
        if (layer === 'frags') expect(s.fragments).toEqual(fx.ids.filter((f) => fx.segmentOf(f) === s.id));
        else expect(s.fragments).toBeUndefined();
      }
      const named = table.segments.find((s: { id: number }) => s.id === 1001);
      expect(named).toMatchObject({ name: 'axon, "A"', color: '#ff8800', status: 'done', notes: 'checked\ntwice', locked: true });
      expect(table.segments.find((s: { id: number }) => s.id === 1002)).toMatchObject({ name: null, color: null, status: 'unreviewed', notes: '', locked: false });
    }
  });

  it.skipIf(!py)("CSV read by Python's csv module: header, values, quoting, fragment ids", async () => {
    await exportSegmentTable(project, 'frags', join(dir, 'frags.csv'));
    await exportSegmentTable(project, 'plain', join(dir, 'plain.csv'));
    const script = `
import csv, json, sys
out = {}
for name in ('frags', 'plain'):
    with open(sys.argv[1] + '/' + name + '.csv', newline='') as f:
        rows = list(csv.DictReader(f))
    out[name] = {'header': list(rows[0].keys()), 'rows': rows}
print(json.dumps(out))
`;
    const parsed = JSON.parse(runPython(script, [dir]).stdout) as Record<string, { header: string[]; rows: Record<string, string>[] }>;
    expect(parsed.plain.header).toEqual(['id', 'name', 'color', 'status', 'notes', 'voxel_count', 'locked']);
    expect(parsed.frags.header).toEqual(['id', 'name', 'color', 'status', 'notes', 'voxel_count', 'locked', 'fragment_ids']);
    for (const name of ['frags', 'plain']) {
      const rows = parsed[name].rows;
      expect(rows.map((r) => Number(r.id))).toEqual([...counts.keys()].sort((a, b) => a - b));
      expect(rows.map((r) => Number(r.voxel_count))).toEqual(rows.map((r) => counts.get(Number(r.id))));
      expect(rows.find((r) => r.id === '1001')).toMatchObject({ name: 'axon, "A"', color: '#ff8800', status: 'done', notes: 'checked\ntwice', locked: 'true' });
    }
    for (const r of parsed.frags.rows) expect(r.fragment_ids.split(' ').map(Number)).toEqual(fx.ids.filter((f) => fx.segmentOf(f) === Number(r.id)));
  });

  it('needs voxel counts (an indexed layer), csv or json, and a free file name', async () => {
    await createLayerFromArray(project, { name: 'fresh', kind: 'labels', dtype: 'uint32', data: new Uint32Array(SHAPE[0] * SHAPE[1] * SHAPE[2]).fill(3), shape: SHAPE, resolution: [40, 8, 8] });
    await expect(exportSegmentTable(project, 'fresh', join(dir, 'fresh.csv'))).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining("'fresh'") });
    await expect(exportSegmentTable(project, 'plain', join(dir, 'plain.xlsx'))).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(exportSegmentTable(project, 'plain', join(dir, 'plain.json'))).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(exportSegmentTable(project, 'plain', join(dir, 'plain.json'), { overwrite: true, includeEmpty: true })).resolves.toMatchObject({ format: 'json' });
  });
});
