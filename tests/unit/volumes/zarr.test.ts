import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Vec3 } from '../../../src/main/volumes/box';
import { importVolume } from '../../../src/main/volumes/import';
import { openVolume } from '../../../src/main/volumes/readers/open';
import { VolumeService } from '../../../src/main/volumes/service';
import { referencePython, skipNotice } from '../../helpers/python';
import { cut, expectReaderMatches, loadRaw, newProject, runFixtures, sameVoxels, suiteDir } from '../../helpers/volumes';

const MODULES = ['numpy', 'zarr', 'numcodecs'];
const py = referencePython(MODULES);
if (!py) skipNotice('Zarr reader tests against zarr-python 2.13 and a spec-following v3 writer', MODULES);

/**
 * Zarr v2 stores come from zarr-python 2.13. It cannot write v3, so the v3 stores (plain,
 * sharded, OME-Zarr 0.5) are written by the small writer below, following the v3 spec.
 */
const FIXTURES = `
import zarr, numcodecs, gzip
a = rand('uint16', (10, 33, 47)); save('v2_blosc', a)
zarr.save_array(os.path.join(out, 'v2_blosc.zarr'), a, chunks=(4, 16, 16))
a = rand('int32', (7, 21, 19)); save('v2_forder', a)
z = zarr.open(os.path.join(out, 'v2_forder.zarr'), mode='w', shape=a.shape, chunks=(3, 10, 10), dtype=a.dtype, order='F', compressor=numcodecs.Zlib(5))
z[:] = a
a = rand('uint64', (5, 20, 30)); save('v2_u64', a)
z = zarr.open(os.path.join(out, 'v2_u64.zarr'), mode='w', shape=a.shape, chunks=(5, 8, 16), dtype=a.dtype, compressor=numcodecs.GZip(5), dimension_separator='/')
z[:] = a
def axes(unit):
    return [{'name': n, 'type': 'space', 'unit': unit} for n in 'zyx']
l0 = rand('uint8', (8, 64, 60)); l1 = rand('uint8', (8, 32, 30)); save('ome_l0', l0); save('ome_l1', l1)
g = zarr.open_group(os.path.join(out, 'ome_v2.zarr'), mode='w')
g.create_dataset('0', data=l0, chunks=(4, 32, 32)); g.create_dataset('1', data=l1, chunks=(4, 32, 32))
g.attrs['multiscales'] = [{'version': '0.4', 'axes': axes('nanometer'), 'datasets': [
    {'path': '0', 'coordinateTransformations': [{'type': 'scale', 'scale': [40, 4, 4]}]},
    {'path': '1', 'coordinateTransformations': [{'type': 'scale', 'scale': [40, 8, 8]}]}]}]
g = zarr.open_group(os.path.join(out, 'ome_czyx.zarr'), mode='w')
g.create_dataset('s0', data=l0[None], chunks=(1, 4, 32, 32))
g.attrs['multiscales'] = [{'version': '0.4', 'axes': [{'name': 'c', 'type': 'channel'}] + axes('nanometer'), 'datasets': [
    {'path': 's0', 'coordinateTransformations': [{'type': 'scale', 'scale': [1, 50, 4, 4]}]}]}]
g = zarr.open_group(os.path.join(out, 'group.zarr'), mode='w')
g.create_dataset('raw', data=l0[:2], chunks=(2, 32, 32)); g.create_dataset('seg', data=l0[:2].astype(np.uint32))
z = zarr.open(os.path.join(out, 'xyz.zarr'), mode='w', shape=(4, 5, 6), dtype='u1')
z.attrs['_ARRAY_DIMENSIONS'] = ['x', 'y', 'z']

def blocks(shape, chunks):
    return np.ndindex(*[-(-s // c) for s, c in zip(shape, chunks)])
def padded(a, idx, chunks, fill):
    b = np.full(chunks, fill, a.dtype)
    part = a[tuple(slice(i * c, (i + 1) * c) for i, c in zip(idx, chunks))]
    b[tuple(slice(0, p) for p in part.shape)] = part
    return b
BYTES = {'name': 'bytes', 'configuration': {'endian': 'little'}}
GZIP = {'name': 'gzip', 'configuration': {'level': 5}}
def v3_meta(path, a, grid_chunks, codecs, attrs=None):
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, 'zarr.json'), 'w') as f:
        json.dump({'zarr_format': 3, 'node_type': 'array', 'shape': list(a.shape), 'data_type': a.dtype.name,
                   'chunk_grid': {'name': 'regular', 'configuration': {'chunk_shape': list(grid_chunks)}},
                   'chunk_key_encoding': {'name': 'default', 'configuration': {'separator': '/'}},
                   'fill_value': 0, 'codecs': codecs, 'attributes': attrs or {}}, f)
def write_key(path, idx, data):
    p = os.path.join(path, 'c', *map(str, idx)); os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, 'wb') as f: f.write(data)
def v3_array(path, a, chunks):
    v3_meta(path, a, chunks, [BYTES, GZIP])
    for idx in blocks(a.shape, chunks):
        b = padded(a, idx, chunks, 0)
        if b.any():  # all-fill chunks are simply absent
            write_key(path, idx, gzip.compress(b.astype(b.dtype.newbyteorder('<')).tobytes()))
def v3_sharded(path, a, shard, inner):
    v3_meta(path, a, shard, [{'name': 'sharding_indexed', 'configuration': {'chunk_shape': list(inner),
            'codecs': [BYTES, GZIP], 'index_codecs': [BYTES], 'index_location': 'end'}}])
    per = [s // i for s, i in zip(shard, inner)]
    for sidx in blocks(a.shape, shard):
        s = padded(a, sidx, shard, 0)
        index = np.full(per + [2], 2**64 - 1, np.uint64)
        parts, offset = [], 0
        for iidx in np.ndindex(*per):
            b = padded(s, iidx, inner, 0)
            if not b.any(): continue
            enc = gzip.compress(b.astype(b.dtype.newbyteorder('<')).tobytes())
            index[iidx] = (offset, len(enc)); parts.append(enc); offset += len(enc)
        if parts:
            write_key(path, sidx, b''.join(parts) + index.astype('<u8').tobytes())
a = rand('float32', (6, 30, 41)); a[0:4, 0:16, 0:16] = 0; save('v3_gzip', a)
v3_array(os.path.join(out, 'v3_gzip.zarr'), a, (4, 16, 16))
a = rand('uint32', (5, 40, 50)); a[0:2, 0:16, 0:16] = 0; save('v3_sharded', a)
v3_sharded(os.path.join(out, 'v3_sharded.zarr'), a, (4, 32, 32), (2, 16, 16))
root = os.path.join(out, 'ome_v3.zarr'); os.makedirs(root)
with open(os.path.join(root, 'zarr.json'), 'w') as f:
    json.dump({'zarr_format': 3, 'node_type': 'group', 'attributes': {'ome': {'version': '0.5', 'multiscales': [{'axes': axes('micrometer'), 'datasets': [
        {'path': '0', 'coordinateTransformations': [{'type': 'scale', 'scale': [0.04, 0.004, 0.004]}]},
        {'path': '1', 'coordinateTransformations': [{'type': 'scale', 'scale': [0.04, 0.008, 0.008]}]}]}]}}}, f)
v3_array(os.path.join(root, '0'), l0, (4, 32, 32)); v3_array(os.path.join(root, '1'), l1, (4, 32, 32))
`;

describe.skipIf(!py)('Zarr / OME-Zarr reader (zarr-python 2.13 and a v3 spec writer)', () => {
  const dir = suiteDir('tu-zarr-');
  beforeAll(() => {
    runFixtures(FIXTURES, dir);
  });

  it('reads zarr-python v2 arrays: blosc, Fortran order with zlib, uint64 with gzip and "/" keys', async () => {
    const a = await expectReaderMatches(dir, 'v2_blosc.zarr', 'v2_blosc');
    expect(a.format).toBe('zarr');
    expect(a.levels[0].chunkShape).toEqual([4, 16, 16]);
    await expectReaderMatches(dir, 'v2_forder.zarr', 'v2_forder');
    await expectReaderMatches(dir, 'v2_u64.zarr', 'v2_u64');
  });

  it('reads v3 arrays (gzip, absent chunks = fill value) and sharded v3 arrays', async () => {
    await expectReaderMatches(dir, 'v3_gzip.zarr', 'v3_gzip');
    const s = await expectReaderMatches(dir, 'v3_sharded.zarr', 'v3_sharded');
    expect(s.levels[0].chunkShape).toEqual([2, 16, 16]);
  });

  it('reads OME-Zarr multiscales (NGFF 0.4 on v2, 0.5 on v3) with voxel sizes in nm', async () => {
    for (const path of ['ome_v2.zarr', 'ome_v3.zarr']) {
      const r = await expectReaderMatches(dir, path, 'ome_l0');
      expect(r.format).toBe('ome-zarr');
      expect(r.levels.length).toBe(2);
      expect(r.resolution!.map((v) => Math.round(v * 1000) / 1000)).toEqual([40, 4, 4]);
      expect(r.levels[1].factors).toEqual([1, 2, 2]);
      expect(r.levels[1].resolution.map((v) => Math.round(v * 1000) / 1000)).toEqual([40, 8, 8]);
      await expectReaderMatches(dir, path, 'ome_l1', { level: 1 });
    }
    const c = await expectReaderMatches(dir, 'ome_czyx.zarr', 'ome_l0');
    expect(c.resolution).toEqual([50, 4, 4]);
  });

  it('asks for an array inside plain groups and refuses axis orders other than z,y,x', async () => {
    await expect(openVolume(join(dir, 'group.zarr'))).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/group\.zarr.*raw, seg/) });
    const r = await openVolume(join(dir, 'group.zarr'), { dataset: 'seg' });
    expect(r.dtype).toBe('uint32');
    await r.close();
    await expect(openVolume(join(dir, 'xyz.zarr'))).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringMatching(/xyz\.zarr.*x,y,z/) });
  });

  it('opens a store in place as a read-only layer; slices decode in the worker pool', async () => {
    const project = newProject(dir);
    const { layer } = await importVolume(project, { path: join(dir, 'ome_v3.zarr'), kind: 'image', name: 'ome', inPlace: true });
    expect(layer).toMatchObject({ source: 'external', format: 'ome-zarr', editable: false, shape: [8, 64, 60] });
    expect(layer.levels.length).toBe(2);
    const svc = new VolumeService(project);
    const ref = loadRaw(dir, 'ome_l0');
    const shape: Vec3 = [8, 64, 60];
    const z = await svc.readSlice(layer.id, 0, 'z', 5);
    expect(sameVoxels(z.data, cut(ref.data, shape, { min: [5, 0, 0], max: [6, 64, 60] }))).toBe(true);
    const x = await svc.readSlice(layer.id, 0, 'x', 33, { min: [1, 10], max: [7, 50] });
    expect([x.height, x.width, ...x.axes]).toEqual([6, 40, 'z', 'y']);
    expect(sameVoxels(x.data, cut(ref.data, shape, { min: [1, 10, 33], max: [7, 50, 34] }))).toBe(true);
    await expect(svc.writeChunk(layer.id, 0, [0, 0, 0], new Uint8Array(4 * 32 * 32))).rejects.toMatchObject({ code: 'READ_ONLY' });
    await svc.close();
  });

  it('reports a damaged chunk as corrupt, naming the store', async () => {
    writeFileSync(join(dir, 'v3_gzip.zarr', 'c', '1', '1', '1'), 'not gzip');
    const r = await openVolume(join(dir, 'v3_gzip.zarr'));
    await expect(r.readRegion({ min: [4, 16, 16], max: [6, 30, 32] })).rejects.toMatchObject({ code: 'CORRUPT_FILE', message: expect.stringContaining('v3_gzip.zarr') });
    await r.close();
  });
});
