import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../../src/main/store/project';
import { boxSize, type Box, type Vec3 } from '../../../src/main/volumes/box';
import { exportLayer } from '../../../src/main/exports/index';
import { openVolume } from '../../../src/main/volumes/readers/open';
import { referencePython, runPython, skipNotice } from '../../helpers/python';
import { cut, newProject, sameVoxels, suiteDir } from '../../helpers/volumes';
import { fragmentProject } from './helpers';

const MODULES = ['numpy', 'h5py'];
const py = referencePython(MODULES);
if (!py) skipNotice('fragment_segment_lut read by h5py', MODULES);

const SHAPE: Vec3 = [8, 40, 48];
const RES: Vec3 = [40, 8, 8];
const ROI: Box = { min: [1, 5, 2], max: [7, 38, 45] };

type Fixture = Awaited<ReturnType<typeof fragmentProject>>;

async function readAll(path: string, dataset?: string) {
  const r = await openVolume(path, { dataset });
  try {
    return await r.readRegion({ min: [0, 0, 0], max: r.levels[0].shape });
  } finally {
    await r.close();
  }
}

function mappingCsv(fx: Fixture): string {
  return ['fragment_id,segment_id', ...fx.ids.map((f) => `${f},${fx.segmentOf(f)}`)].join('\n') + '\n';
}

describe('fragment layers: export with the mapping applied, or fragments plus the mapping', () => {
  const dir = suiteDir('tu-exmap-');
  let project: Project;
  let fx: Fixture;

  beforeAll(async () => {
    project = newProject(dir);
    fx = await fragmentProject(project, SHAPE, RES);
  });

  it('applies the current mapping by default (segment ids, any format)', async () => {
    const expected = cut(fx.mapped, SHAPE, ROI);
    for (const [format, out, dataset] of [
      ['tiff', 'applied.tif', undefined],
      ['hdf5', 'applied.h5', 'volumes/labels/neuron_ids'],
      ['zarr', 'applied.zarr', undefined],
      ['n5', 'applied.n5', undefined],
      ['precomputed', 'applied.precomputed', undefined],
    ] as const) {
      const r = await exportLayer(project, 'frags', join(dir, out), { format, roi: ROI });
      expect(r.mapping).toBe('applied');
      expect(r.files).toEqual([join(dir, out)]);
      expect(sameVoxels(await readAll(join(dir, out), dataset), expected), out).toBe(true);
    }
    expect(existsSync(join(dir, 'applied.tif.mapping.csv'))).toBe(false);
    expect(existsSync(join(dir, 'applied.zarr', 'mapping.csv'))).toBe(false);
  });

  it('writes fragment ids plus the mapping: beside single files, inside folders, in HDF5 as fragment_segment_lut', async () => {
    const expected = cut(fx.fragments, SHAPE, ROI);
    const cases = [
      ['tiff', 'frag.tif', undefined, 'frag.tif.mapping.csv'],
      ['hdf5', 'frag.h5', 'volumes/labels/fragments', 'frag.h5.mapping.csv'],
      ['zarr', 'frag.zarr', undefined, 'frag.zarr/mapping.csv'],
      ['n5', 'frag.n5', undefined, 'frag.n5/mapping.csv'],
      ['precomputed', 'frag.precomputed', undefined, 'frag.precomputed/mapping.csv'],
    ] as const;
    for (const [format, out, dataset, csv] of cases) {
      const r = await exportLayer(project, 'frags', join(dir, out), { format, roi: ROI, mapping: 'fragments' });
      expect(r.mapping).toBe('fragments');
      expect(r.files).toEqual(format === 'tiff' || format === 'hdf5' ? [join(dir, out), join(dir, csv)] : [join(dir, out)]);
      expect(sameVoxels(await readAll(join(dir, out), dataset), expected), out).toBe(true);
      expect(readFileSync(join(dir, csv), 'utf8')).toBe(mappingCsv(fx));
    }
    // A second export to the same name is refused because of the side file too.
    await expect(exportLayer(project, 'frags', join(dir, 'other.tif'), { format: 'tiff', mapping: 'fragments' })).resolves.toBeTruthy();
    await expect(exportLayer(project, 'frags', join(dir, 'frag.tif'), { format: 'tiff', mapping: 'fragments' })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it.skipIf(!py)('HDF5 fragments exports hold the mapping as volumes/labels/fragment_segment_lut (uint64, 2 x n), read by h5py', () => {
    const out = runPython(
      `
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], 'r')
lut = f['volumes/labels/fragment_segment_lut'][()]
print(lut.dtype, lut.shape[0], ','.join(map(str, lut[0])), ','.join(map(str, lut[1])), sorted(f['volumes/labels'].keys()))
`,
      [join(dir, 'frag.h5')],
    ).stdout.trim();
    expect(out).toBe(`uint64 2 ${fx.ids.join(',')} ${fx.ids.map(fx.segmentOf).join(',')} ['fragment_segment_lut', 'fragments']`);
  });

  it('precomputed segment properties carry names, notes, status tags and, for fragments, each fragment\'s segment', () => {
    const props = (p: string) => JSON.parse(readFileSync(join(dir, p, 'segment_properties', 'info'), 'utf8')).inline;
    const prop = (info: { properties: { id: string }[] }, id: string) => info.properties.find((p) => p.id === id) as unknown as { values: unknown[]; tags?: string[] };
    const applied = props('applied.precomputed');
    const inRoi = (data: Uint32Array) => [...new Set(cut(data, SHAPE, ROI) as Uint32Array)].filter((v) => v !== 0).sort((a, b) => a - b);
    expect(applied.ids).toEqual(inRoi(Uint32Array.from(fx.mapped)).map(String));
    const i1001 = applied.ids.indexOf('1001');
    expect(prop(applied, 'label').values[i1001]).toBe('axon, "A"');
    expect(prop(applied, 'description').values[i1001]).toBe('checked\ntwice');
    const tags = prop(applied, 'tags');
    expect((tags.values[i1001] as number[]).map((t) => tags.tags![t])).toEqual(['done', 'locked']);
    expect(prop(applied, 'label').values[applied.ids.indexOf('1002')]).toBe('');

    const frag = props('frag.precomputed');
    expect(frag.ids).toEqual(inRoi(fx.fragments).map(String));
    expect(prop(frag, 'segment').values).toEqual(frag.ids.map((f: string) => fx.segmentOf(Number(f))));
    const f1 = frag.ids.findIndex((f: string) => fx.segmentOf(Number(f)) === 1001);
    const f2 = frag.ids.findIndex((f: string) => fx.segmentOf(Number(f)) === 1003);
    expect(prop(frag, 'label').values[f1]).toBe('segment 1001: axon, "A"');
    expect(prop(frag, 'label').values[f2]).toBe('segment 1003');
  });

  it('refuses a fragments export of a layer without a mapping, naming the layer', async () => {
    await expect(exportLayer(project, 'plain', join(dir, 'p.tif'), { format: 'tiff', mapping: 'fragments' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining("'plain'"),
    });
    const r = await exportLayer(project, 'plain', join(dir, 'p.tif'), { format: 'tiff', roi: ROI });
    expect(r.mapping).toBeNull();
    expect(r.shape).toEqual(boxSize(ROI));
    expect(readdirSync(dir).filter((n) => n.includes('.partial-'))).toEqual([]);
  });
});
