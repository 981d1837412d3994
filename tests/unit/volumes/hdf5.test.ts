import { copyFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Vec3 } from '../../../src/main/volumes/box';
import { importVolume } from '../../../src/main/volumes/import';
import { listHdf5Datasets } from '../../../src/main/volumes/readers/hdf5';
import { openVolume } from '../../../src/main/volumes/readers/open';
import { VolumeService } from '../../../src/main/volumes/service';
import { referencePython, skipNotice } from '../../helpers/python';
import { cut, loadRaw, newProject, runFixtures, sameVoxels, sampleBoxes, suiteDir } from '../../helpers/volumes';

const MODULES = ['numpy', 'h5py'];
const py = referencePython(MODULES);
if (!py) skipNotice('HDF5 reader tests against h5py', MODULES);

/** A CREMI-style file (https://cremi.org: volumes/raw, volumes/labels/neuron_ids, resolution in nm z,y,x) plus odd datasets. */
const FIXTURES = `
import h5py
raw = rand('uint8', (9, 40, 50)); save('raw', raw)
ids = (rng.integers(0, 5, size=(9, 40, 50)).astype(np.uint64) * np.uint64(2**33 + 7)); save('ids', ids)
f32 = rand('float32', (4, 10, 12)); save('f32', f32)
be = rand('int16', (3, 7, 9)); save('be', be)
flat = rand('uint16', (30, 20)); save('flat', flat.reshape(1, 30, 20))
with h5py.File(os.path.join(out, 'cremi.h5'), 'w') as f:
    d = f.create_dataset('volumes/raw', data=raw, chunks=(3, 16, 16), compression='gzip')
    d.attrs['resolution'] = np.array([40.0, 4.0, 4.0])
    d = f.create_dataset('volumes/labels/neuron_ids', data=ids, chunks=(3, 16, 16), compression='gzip', shuffle=True)
    d.attrs['resolution'] = np.array([40.0, 4.0, 4.0])
    f.create_dataset('other/f32', data=f32)
    f.create_dataset('other/be', data=be.astype('>i2'))
    f.create_dataset('flat', data=flat)
    f.create_dataset('multi', data=np.zeros((2, 3, 4, 5), np.uint8))
    f.create_dataset('names', data=np.array([b'a', b'b']))
with h5py.File(os.path.join(out, 'two.h5'), 'w') as f:
    f.create_dataset('a', data=np.zeros((2, 3, 4), np.uint8))
    f.create_dataset('b', data=np.zeros((2, 3, 4), np.uint8))
with h5py.File(os.path.join(out, 'um.h5'), 'w') as f:
    d = f.create_dataset('data', data=f32)
    d.attrs['element_size_um'] = np.array([0.05, 0.004, 0.004])
`;

describe.skipIf(!py)('HDF5 reader vs h5py', () => {
  const dir = suiteDir('tu-h5-');
  const file = () => join(dir, 'cremi.h5');
  beforeAll(() => {
    runFixtures(FIXTURES, dir);
  });

  it('lists every dataset for the picker, with shape, dtype and resolution', async () => {
    const list = await listHdf5Datasets(file());
    const byPath = Object.fromEntries(list.map((d) => [d.path, d]));
    expect(Object.keys(byPath).sort()).toEqual(['flat', 'multi', 'names', 'other/be', 'other/f32', 'volumes/labels/neuron_ids', 'volumes/raw']);
    expect(byPath['volumes/raw']).toMatchObject({ shape: [9, 40, 50], volumeDType: 'uint8', chunks: [3, 16, 16], resolution: [40, 4, 4] });
    expect(byPath['volumes/labels/neuron_ids'].volumeDType).toBe('uint64');
    expect(byPath.names.volumeDType).toBeNull();
  });

  it('picks the CREMI dataset for the layer kind and reads it exactly with its resolution', async () => {
    for (const [kind, name, path] of [
      ['image', 'raw', 'volumes/raw'],
      ['labels', 'ids', 'volumes/labels/neuron_ids'],
    ] as const) {
      const ref = loadRaw(dir, name);
      const r = await openVolume(file(), { kind });
      try {
        expect(r.details.dataset).toBe(path);
        expect(r.resolution).toEqual([40, 4, 4]);
        expect(r.dtype).toBe(ref.dtype);
        for (const box of sampleBoxes(ref.shape as Vec3, 5)) expect(sameVoxels(await r.readRegion(box), cut(ref.data, ref.shape as Vec3, box))).toBe(true);
      } finally {
        await r.close();
      }
    }
  });

  it('reads float, big-endian and 2D datasets; µm element sizes become nm', async () => {
    for (const [dataset, name] of [
      ['other/f32', 'f32'],
      ['other/be', 'be'],
      ['flat', 'flat'],
    ]) {
      const ref = loadRaw(dir, name);
      const r = await openVolume(file(), { dataset });
      expect(r.levels[0].shape).toEqual(ref.shape);
      expect(sameVoxels(await r.readRegion({ min: [0, 0, 0], max: ref.shape as Vec3 }), ref.data)).toBe(true);
      await r.close();
    }
    const um = await openVolume(join(dir, 'um.h5'));
    expect(um.resolution![0]).toBeCloseTo(50);
    expect(um.resolution![2]).toBeCloseTo(4);
    await um.close();
  });

  it('names the file and the choices for wrong paths, ambiguous files and non-volumes', async () => {
    await expect(openVolume(file(), { dataset: 'volumes/rw' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/cremi\.h5 has no dataset 'volumes\/rw'; datasets: .*volumes\/raw/),
    });
    await expect(openVolume(join(dir, 'two.h5'))).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/two\.h5 holds several datasets.*a, b/) });
    await expect(openVolume(file(), { dataset: 'multi' })).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining('2x3x4x5') });
    await expect(openVolume(file(), { dataset: 'names' })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });

  it('reports a truncated file as corrupt, naming it', async () => {
    const t = join(dir, 'truncated.h5');
    copyFileSync(file(), t);
    truncateSync(t, Math.floor(statSync(file()).size / 2));
    const err = await (async () => {
      const r = await openVolume(t, { dataset: 'volumes/labels/neuron_ids' });
      try {
        await r.readRegion({ min: [0, 0, 0], max: [9, 40, 50] });
      } finally {
        await r.close();
      }
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CORRUPT_FILE', message: expect.stringContaining('truncated.h5') });
  });

  it('imports CREMI raw and uint64 labels into the project store, exactly', async () => {
    const project = newProject(dir);
    const raw = await importVolume(project, { path: file(), kind: 'image', name: 'raw' });
    const labels = await importVolume(project, { path: file(), kind: 'labels', name: 'ids' });
    expect(raw.layer).toMatchObject({ dtype: 'uint8', shape: [9, 40, 50], resolution: [40, 4, 4], resolutionKnown: true, source: 'store' });
    expect(labels.layer).toMatchObject({ dtype: 'uint64', kind: 'labels' });
    expect(labels.warnings).toEqual([]);
    const svc = new VolumeService(project);
    expect(sameVoxels(await svc.readRegion('ids', 0, { min: [0, 0, 0], max: [9, 40, 50] }), loadRaw(dir, 'ids').data)).toBe(true);
    expect(sameVoxels(await svc.readRegion('raw', 0, { min: [0, 0, 0], max: [9, 40, 50] }), loadRaw(dir, 'raw').data)).toBe(true);
    await svc.close();
  });
});
