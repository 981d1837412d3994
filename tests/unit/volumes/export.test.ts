import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../../src/main/store/project';
import type { Vec3 } from '../../../src/main/volumes/box';
import { createLayerFromArray } from '../../../src/main/volumes/create-layer';
import { exportLayer } from '../../../src/main/exports/index';
import { importVolume } from '../../../src/main/volumes/import';
import { openZarr } from '../../../src/main/volumes/readers/zarr';
import { VolumeService } from '../../../src/main/volumes/service';
import { referencePython, runPython, skipNotice } from '../../helpers/python';
import { cut, loadRaw, newProject, runFixtures, sameVoxels, suiteDir } from '../../helpers/volumes';

const MODULES = ['numpy', 'tifffile', 'zarr'];
const py = referencePython(MODULES);
if (!py) skipNotice('export tests (read back by tifffile and zarr-python)', MODULES);

const DTYPES = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'uint64', 'int64', 'float32', 'float64'] as const;
const SHAPE: Vec3 = [5, 37, 41];

/** Reads each exported TIFF with tifffile and compares with the reference voxels; prints one line per file. */
const CHECK_TIFFS = `
import sys, os, json
import numpy as np, tifffile
ref_dir = sys.argv[1]
for spec in json.loads(sys.argv[2]):
    path, name, roi = spec['path'], spec['name'], spec.get('roi')
    meta = json.load(open(os.path.join(ref_dir, name + '.json')))
    ref = np.fromfile(os.path.join(ref_dir, name + '.raw'), np.dtype(meta['dtype']).newbyteorder('<')).reshape(meta['shape'])
    if roi: ref = ref[roi[0][0]:roi[1][0], roi[0][1]:roi[1][1], roi[0][2]:roi[1][2]]
    with tifffile.TiffFile(path) as t:
        a = t.asarray()
        p = t.pages[0]
        desc = json.loads(p.description)
        ok = (t.is_bigtiff and len(t.pages) == ref.shape[0] and int(p.compression) == 8 and a.dtype == ref.dtype
              and a.shape == ref.shape and np.array_equal(a.view(np.uint8), ref.view(np.uint8)) and desc['shape'] == list(ref.shape))
        print(name, 'ok' if ok else 'MISMATCH', json.dumps(desc.get('resolution_nm')))
`;

const CHECK_ZARR_V2 = `
import sys, json, os
import numpy as np, zarr
g = zarr.open(sys.argv[1], mode='r')
ms = g.attrs['multiscales'][0]
meta = json.load(open(sys.argv[2] + '.json'))
ref = np.fromfile(sys.argv[2] + '.raw', np.dtype(meta['dtype']).newbyteorder('<')).reshape(meta['shape'])
a = g[ms['datasets'][0]['path']][:]
print(ms['version'], len(ms['datasets']), np.array_equal(a, ref), ms['datasets'][0]['coordinateTransformations'][0]['scale'])
`;

describe.skipIf(!py)('export to BigTIFF and OME-Zarr, read back by tifffile and zarr-python', () => {
  const dir = suiteDir('tu-export-');
  let project: Project;
  beforeAll(async () => {
    runFixtures(`for dt in ${JSON.stringify(DTYPES)}:\n    save(dt, rand(dt, ${JSON.stringify(SHAPE).replace('[', '(').replace(']', ')')}))\n`, dir);
    project = newProject(dir);
    for (const dt of DTYPES) {
      const ref = loadRaw(dir, dt);
      await createLayerFromArray(project, { name: dt, kind: 'image', dtype: dt, data: ref.data, shape: SHAPE, resolution: [40, 4, 4] });
    }
  });

  it('writes multi-page deflate BigTIFFs of every voxel type that tifffile reads back exactly', async () => {
    const specs: { path: string; name: string; roi?: [Vec3, Vec3] }[] = [];
    for (const dt of DTYPES) {
      const path = join(dir, `${dt}.tif`);
      const r = await exportLayer(project, dt, path, { format: 'tiff' });
      expect(r).toMatchObject({ format: 'tiff', shape: SHAPE });
      expect(r.bytes).toBeGreaterThan(0);
      specs.push({ path, name: dt });
    }
    const roi = { min: [1, 5, 7] as Vec3, max: [4, 30, 40] as Vec3 };
    await exportLayer(project, 'uint16', join(dir, 'roi.tif'), { format: 'tiff', roi });
    specs.push({ path: join(dir, 'roi.tif'), name: 'uint16', roi: [roi.min, roi.max] });
    const lines = runPython(CHECK_TIFFS, [dir, JSON.stringify(specs)]).stdout.trim().split('\n');
    expect(lines).toEqual(specs.map((s) => `${s.name} ok [40, 4, 4]`));
  });

  it('round-trips through its own TIFF: voxels and voxel size come back', async () => {
    const path = join(dir, 'again.tif');
    await exportLayer(project, 'int16', path, { format: 'tiff' });
    const { layer, warnings } = await importVolume(project, { path, kind: 'image', name: 'again' });
    expect(warnings).toEqual([]);
    expect(layer.resolution).toEqual([40, 4, 4]);
    const svc = new VolumeService(project);
    expect(sameVoxels(await svc.readRegion('again', 0, { min: [0, 0, 0], max: SHAPE }), loadRaw(dir, 'int16').data)).toBe(true);
    await svc.close();
  });

  it('writes OME-Zarr v3 (NGFF 0.5) and v2 (NGFF 0.4, read by zarr-python) with a pyramid', async () => {
    const v3 = join(dir, 'out.ome.zarr');
    const roi = { min: [0, 3, 0] as Vec3, max: [5, 37, 30] as Vec3 };
    await exportLayer(project, 'float32', v3, { format: 'zarr', roi });
    const z = await openZarr(v3);
    expect(z.format).toBe('ome-zarr');
    expect(z.resolution).toEqual([40, 4, 4]);
    const ref = loadRaw(dir, 'float32');
    expect(sameVoxels(await z.readRegion({ min: [0, 0, 0], max: [5, 34, 30] }), cut(ref.data, SHAPE, roi))).toBe(true);
    const v2 = join(dir, 'out2.zarr');
    await exportLayer(project, 'uint64', v2, { format: 'zarr', zarrVersion: 2 });
    const out = runPython(CHECK_ZARR_V2, [v2, join(dir, 'uint64')]).stdout.trim();
    expect(out).toBe('0.4 1 True [40, 4, 4]');
  });

  it('never leaves a partial file: existing targets, unknown formats and cancelled exports', async () => {
    const path = join(dir, 'uint8.tif');
    expect(existsSync(path)).toBe(true);
    await expect(exportLayer(project, 'uint8', path, { format: 'tiff' })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('uint8.tif') });
    await expect(exportLayer(project, 'uint8', join(dir, 'x.nrrd'), { format: 'nrrd' })).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining('tiff, zarr') });
    await expect(exportLayer(project, 'nope', join(dir, 'x.tif'), { format: 'tiff' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(exportLayer(project, 'uint8', join(dir, 'x.tif'), { format: 'tiff', roi: { min: [0, 0, 0], max: [9, 9, 9] } })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const abort = new AbortController();
    abort.abort();
    await expect(exportLayer(project, 'uint8', join(dir, 'cancelled.tif'), { format: 'tiff', signal: abort.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(exportLayer(project, 'uint8', join(dir, 'cancelled.zarr'), { format: 'zarr', signal: abort.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(readdirSync(dir).filter((n) => n.includes('cancelled') || n.includes('.partial-'))).toEqual([]);
  });
});
