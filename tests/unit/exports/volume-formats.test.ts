import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../../src/main/store/project';
import { boxSize, type Box, type Vec3 } from '../../../src/main/volumes/box';
import { createLayerFromArray } from '../../../src/main/volumes/create-layer';
import type { DType } from '../../../src/main/volumes/dtypes';
import { exportLayer, formatFromPath } from '../../../src/main/exports/index';
import { openVolume } from '../../../src/main/volumes/readers/open';
import { referencePython, runPython, skipNotice } from '../../helpers/python';
import { cut, newProject, sameVoxels, suiteDir } from '../../helpers/volumes';
import { labelVolume, PY_PRECOMPUTED, PY_REF, randomVolume, roiArg, saveReference } from './helpers';

const MODULES = ['numpy', 'h5py', 'zarr'];
const py = referencePython(MODULES);
if (!py) skipNotice('export read-back by h5py / zarr-python / a spec-following precomputed reader', MODULES);

const DTYPES: DType[] = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'uint64', 'int64', 'float32', 'float64'];
const SHAPE: Vec3 = [12, 45, 50];
const RES: Vec3 = [40, 4, 4];
const ROI: Box = { min: [1, 4, 3], max: [11, 44, 47] };
const CHUNK: Vec3 = [4, 16, 16];

/** Opens an export with the app's readers and compares every level with a reference export's levels. */
async function expectSameLevels(path: string, referencePath: string, opts: { dataset?: string } = {}): Promise<number> {
  const a = await openVolume(path, opts);
  const b = await openVolume(referencePath);
  try {
    expect(a.levels.map((l) => l.shape)).toEqual(b.levels.map((l) => l.shape));
    expect(a.levels.map((l) => l.resolution)).toEqual(b.levels.map((l) => l.resolution));
    for (let lv = 0; lv < a.levels.length; lv++) {
      const box = { min: [0, 0, 0] as Vec3, max: a.levels[lv].shape };
      expect(sameVoxels(await a.readRegion(box, lv), await b.readRegion(box, lv)), `${path} level ${lv}`).toBe(true);
    }
    return a.levels.length;
  } finally {
    await a.close();
    await b.close();
  }
}

describe('volume exports: HDF5 (CREMI), N5 and neuroglancer precomputed', () => {
  const dir = suiteDir('tu-exports-');
  let project: Project;
  const refs = new Map<string, ReturnType<typeof randomVolume>>();

  beforeAll(async () => {
    project = newProject(dir);
    for (const dt of DTYPES) {
      const data = randomVolume(dt, SHAPE, DTYPES.indexOf(dt) + 1);
      refs.set(dt, data);
      saveReference(dir, dt, dt, SHAPE, data);
      await createLayerFromArray(project, { name: dt, kind: 'image', dtype: dt, data, shape: SHAPE, resolution: RES });
    }
    for (const [name, dt, base] of [
      ['lab32', 'uint32', 0n],
      ['lab64', 'uint64', 1n << 40n],
    ] as const) {
      const data = labelVolume(dt, SHAPE, base);
      refs.set(name, data);
      saveReference(dir, name, dt, SHAPE, data);
      await createLayerFromArray(project, { name, kind: 'labels', dtype: dt, data, shape: SHAPE, resolution: RES });
    }
  });

  it('knows each format by its file name', () => {
    expect(['a.tif', 'a.TIFF', 'a.h5', 'a.hdf5', 'a.ome.zarr', 'a.zarr', 'a.n5', 'a.precomputed/', 'a.png'].map(formatFromPath)).toEqual([
      'tiff',
      'tiff',
      'hdf5',
      'hdf5',
      'zarr',
      'zarr',
      'n5',
      'precomputed',
      null,
    ]);
  });

  it('HDF5: every voxel type and a region, CREMI paths, chunked gzip, resolution and offset in nm; read back exactly by the app', async () => {
    for (const dt of DTYPES) {
      const r = await exportLayer(project, dt, join(dir, `${dt}.h5`), { format: 'hdf5', roi: ROI });
      expect(r).toMatchObject({ format: 'hdf5', shape: boxSize(ROI), mapping: null, files: [join(dir, `${dt}.h5`)] });
      const back = await openVolume(join(dir, `${dt}.h5`), { dataset: 'volumes/raw' });
      expect(back.dtype).toBe(dt);
      expect(back.resolution).toEqual(RES);
      expect(sameVoxels(await back.readRegion({ min: [0, 0, 0], max: boxSize(ROI) }), cut(refs.get(dt)!, SHAPE, ROI))).toBe(true);
      await back.close();
    }
    // Labels next to the raw data in one CREMI file.
    await exportLayer(project, 'lab64', join(dir, 'uint8.h5'), { format: 'hdf5', roi: ROI, append: true });
    const labels = await openVolume(join(dir, 'uint8.h5'), { dataset: 'volumes/labels/neuron_ids' });
    expect(labels.dtype).toBe('uint64');
    expect(sameVoxels(await labels.readRegion({ min: [0, 0, 0], max: boxSize(ROI) }), cut(refs.get('lab64')!, SHAPE, ROI))).toBe(true);
    await labels.close();
    await expect(exportLayer(project, 'lab64', join(dir, 'uint8.h5'), { format: 'hdf5', append: true })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('volumes/labels/neuron_ids') });
    expect(readdirSync(dir).filter((n) => n.includes('.partial-'))).toEqual([]);
  });

  it.skipIf(!py)('HDF5 files read by h5py: values, dtype, chunks, gzip, float64 resolution / offset attributes', () => {
    const script = `${PY_REF}
import h5py
d = sys.argv[1]
roi = json.loads(sys.argv[2])
for dt in json.loads(sys.argv[3]):
    with h5py.File(os.path.join(d, dt + '.h5'), 'r') as f:
        ds = f['volumes/raw']
        a = ds[()]
        r = ref(d, dt, roi)
        ok = a.dtype == r.dtype and a.shape == r.shape and np.array_equal(a.view(np.uint8), np.ascontiguousarray(r).view(np.uint8))
        res, off = ds.attrs['resolution'], ds.attrs['offset']
        print(dt, ok, ds.chunks is not None, ds.compression, res.dtype, list(res), list(off))
with h5py.File(os.path.join(d, 'uint8.h5'), 'r') as f:
    print(sorted(f['volumes'].keys()), sorted(f['volumes/labels'].keys()), np.array_equal(f['volumes/labels/neuron_ids'][()], ref(d, 'lab64', roi)))
`;
    const lines = runPython(script, [dir, JSON.stringify(roiArg(ROI)), JSON.stringify(DTYPES)]).stdout.trim().split('\n');
    expect(lines).toEqual([...DTYPES.map((dt) => `${dt} True True gzip float64 [40.0, 4.0, 4.0] [40.0, 16.0, 12.0]`), "['labels', 'raw'] ['neuron_ids'] True"]);
  });

  it('N5: every voxel type with a pyramid equal level by level to the OME-Zarr export of the same region', async () => {
    for (const dt of [...DTYPES, 'lab64']) {
      await exportLayer(project, dt, join(dir, `${dt}.n5`), { format: 'n5', roi: ROI, chunkShape: CHUNK });
      await exportLayer(project, dt, join(dir, `${dt}-ref.zarr`), { format: 'zarr', roi: ROI, chunkShape: CHUNK, zarrVersion: 2 });
      const levels = await expectSameLevels(join(dir, `${dt}.n5`), join(dir, `${dt}-ref.zarr`));
      expect(levels).toBe(3);
    }
    const attrs = JSON.parse(readFileSync(join(dir, 'uint16.n5', 'attributes.json'), 'utf8'));
    expect(attrs).toMatchObject({ multiScale: true, resolution: [4, 4, 40], pixelResolution: { dimensions: [4, 4, 40], unit: 'nm' }, scales: [[1, 1, 1], [2, 2, 1], [4, 4, 1]], offset: [12, 16, 40] });
    expect(JSON.parse(readFileSync(join(dir, 'uint16.n5', 's1', 'attributes.json'), 'utf8'))).toMatchObject({ downsamplingFactors: [2, 2, 1], blockSize: [16, 16, 4], dataType: 'uint16', compression: { type: 'gzip' } });
  });

  it.skipIf(!py)('N5 read by zarr-python (N5Store): every level equals the zarr-python read of the OME-Zarr export', () => {
    const script = `${PY_REF}
import zarr
d = sys.argv[1]
roi = json.loads(sys.argv[2])
for name in json.loads(sys.argv[3]):
    g = zarr.open(zarr.N5Store(os.path.join(d, name + '.n5')), mode='r')
    z = zarr.open(os.path.join(d, name + '-ref.zarr'), mode='r')
    same = [np.array_equal(g['s%d' % i][:].view(np.uint8), z[str(i)][:].view(np.uint8)) for i in range(3)]
    print(name, np.array_equal(g['s0'][:], ref(d, name, roi)), all(same), g['s0'].dtype, g['s1'].attrs['downsamplingFactors'])
`;
    const names = [...DTYPES, 'lab64'];
    const lines = runPython(script, [dir, JSON.stringify(roiArg(ROI)), JSON.stringify(names)]).stdout.trim().split('\n');
    expect(lines).toEqual(names.map((n) => `${n} True True ${n === 'lab64' ? 'uint64' : n} [2, 2, 1]`));
  });

  const PRECOMPUTED_CASES = [
    { name: 'uint8', out: 'uint8.precomputed', opts: {} },
    { name: 'int16', out: 'int16.precomputed', opts: { sharded: true } },
    { name: 'float32', out: 'float32.precomputed', opts: {} },
    { name: 'uint64', out: 'uint64img.precomputed', opts: {} },
    { name: 'lab32', out: 'lab32.precomputed', opts: {} },
    { name: 'lab32', out: 'lab32-raw.precomputed', opts: { encoding: 'raw' as const } },
    { name: 'lab64', out: 'lab64.precomputed', opts: {} },
    { name: 'lab64', out: 'lab64-sharded.precomputed', opts: { sharded: true } },
  ];

  it('precomputed: raw and compressed_segmentation, sharded or not, pyramid equal to the OME-Zarr export; int64/float64 refused', async () => {
    for (const c of PRECOMPUTED_CASES) {
      await exportLayer(project, c.name, join(dir, c.out), { format: 'precomputed', roi: ROI, chunkShape: CHUNK, ...c.opts });
      const ref = join(dir, `${c.name}-ref.zarr`);
      if (!existsSync(ref)) await exportLayer(project, c.name, ref, { format: 'zarr', roi: ROI, chunkShape: CHUNK, zarrVersion: 2 });
      expect(await expectSameLevels(join(dir, c.out), ref)).toBe(3);
      const info = JSON.parse(readFileSync(join(dir, c.out, 'info'), 'utf8'));
      const segmentation = c.name.startsWith('lab');
      expect(info).toMatchObject({ type: segmentation ? 'segmentation' : 'image', num_channels: 1 });
      expect(info.scales[0]).toMatchObject({ key: '4_4_40', size: [44, 40, 10], voxel_offset: [3, 4, 1], resolution: [4, 4, 40], chunk_sizes: [[16, 16, 4]] });
      expect(info.scales[0].encoding).toBe(segmentation && !('encoding' in c.opts) ? 'compressed_segmentation' : 'raw');
      expect('sharding' in info.scales[0]).toBe('sharded' in c.opts);
      expect(info.segment_properties).toBe(segmentation ? 'segment_properties' : undefined);
    }
    for (const dt of ['int64', 'float64']) {
      await expect(exportLayer(project, dt, join(dir, `${dt}.precomputed`), { format: 'precomputed' })).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining(`'${dt}'`) });
    }
    await expect(exportLayer(project, 'uint8', join(dir, 'x.precomputed'), { format: 'precomputed', encoding: 'compressed_segmentation' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(readdirSync(dir).filter((n) => ['int64.precomputed', 'float64.precomputed', 'x.precomputed'].includes(n) || n.includes('.partial-'))).toEqual([]);
  });

  it.skipIf(!py)('precomputed read by a spec-following Python reader: every scale, sharded shards and compressed_segmentation', () => {
    const script = `${PY_REF}${PY_PRECOMPUTED}
import zarr
d = sys.argv[1]
roi = json.loads(sys.argv[2])
for c in json.loads(sys.argv[3]):
    z = zarr.open(os.path.join(d, c['name'] + '-ref.zarr'), mode='r')
    n = len(json.load(open(os.path.join(d, c['out'], 'info')))['scales'])
    levels = [read_scale(os.path.join(d, c['out']), i)[2] for i in range(n)]
    print(c['out'], np.array_equal(levels[0], ref(d, c['name'], roi)), all(np.array_equal(levels[i], z[str(i)][:]) for i in range(n)))
`;
    const lines = runPython(script, [dir, JSON.stringify(roiArg(ROI)), JSON.stringify(PRECOMPUTED_CASES)], { timeoutMs: 600_000 }).stdout.trim().split('\n');
    expect(lines).toEqual(PRECOMPUTED_CASES.map((c) => `${c.out} True True`));
  });

  it('segment properties of a label export list every id in the region with its voxel count', async () => {
    const props = JSON.parse(readFileSync(join(dir, 'lab64.precomputed', 'segment_properties', 'info'), 'utf8'));
    const data = cut(refs.get('lab64')!, SHAPE, ROI) as BigUint64Array;
    const counts = new Map<string, number>();
    for (const v of data) if (v !== 0n) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
    const ids = [...counts.keys()].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    expect(props['@type']).toBe('neuroglancer_segment_properties');
    expect(props.inline.ids).toEqual(ids);
    const voxels = props.inline.properties.find((p: { id: string }) => p.id === 'voxels');
    expect(voxels).toMatchObject({ type: 'number', data_type: 'uint32' });
    expect(voxels.values).toEqual(ids.map((id) => counts.get(id)));
    expect(props.inline.properties.map((p: { id: string }) => p.id)).toEqual(['label', 'description', 'tags', 'voxels']);
  });
});
