import { copyFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/main/errors';
import type { Vec3 } from '../../../src/main/volumes/box';
import { openVolume } from '../../../src/main/volumes/readers/open';
import { referencePython, skipNotice } from '../../helpers/python';
import { cut, expectReaderMatches, loadRaw, runFixtures, sameVoxels, suiteDir } from '../../helpers/volumes';

const MODULES = ['numpy', 'tifffile', 'numcodecs', 'PIL'];
const py = referencePython(MODULES);
if (!py) skipNotice('TIFF reader tests against tifffile/libtiff', MODULES);

const DTYPES = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'uint64', 'int64', 'float32', 'float64'];

/** Every file is written by tifffile or Pillow+libtiff; codecs tifffile lacks here are encoded by hand per the TIFF spec. */
const FIXTURES = `
import tifffile, zlib, numcodecs
from PIL import Image
def tw(path, data, **kw):
    kw.setdefault('photometric', 'minisblack')  # else tifffile takes (3|4, h, w) stacks for planar RGB
    tifffile.imwrite(path, data, **kw)
shape = (5, 37, 41)
for dt in ${JSON.stringify(DTYPES)}:
    a = rand(dt, shape); save('zlib_' + dt, a)
    tw(f'{out}/zlib_{dt}.tif', a, compression='zlib', rowsperstrip=7)
    b = rand(dt, (3, 20, 23)); save('none_' + dt, b)
    tw(f'{out}/none_{dt}.tif', b)
a = rand('uint16', (4, 33, 29)); save('bigtiff', a)
tw(f'{out}/bigtiff.tif', a, bigtiff=True, rowsperstrip=5, compression='zlib')
a = rand('uint8', (3, 50, 45)); save('tiled', a)
tw(f'{out}/tiled.tif', a, tile=(16, 16), compression='zlib')
a = rand('float32', (2, 40, 70)); save('tiled_raw_f32', a)
tw(f'{out}/tiled_raw_f32.tif', a, tile=(16, 32))
for dt in ['uint8', 'uint16', 'int16', 'uint32']:
    a = rand(dt, shape); save('pred2_' + dt, a)
    tw(f'{out}/pred2_{dt}.tif', a, compression='zlib', predictor=True, rowsperstrip=8)
a = rand('uint16', shape); save('be_pred_u16', a)
tw(f'{out}/be_pred_u16.tif', a, byteorder='>', compression='zlib', predictor=True, rowsperstrip=8)
a = rand('float64', shape); save('be_f64', a)
tw(f'{out}/be_f64.tif', a, byteorder='>')

def strips(a, rps, encode, predict=None):
    for page in a:
        p = predict(page) if predict else page
        for r in range(0, page.shape[0], rps):
            yield encode(np.ascontiguousarray(p[r:r + rps]).tobytes())
def float_predict(page):
    # TIFF Technote 3: each row's bytes regrouped by significance (MSB first), then differenced
    h, w = page.shape
    n = page.dtype.itemsize
    be = np.ascontiguousarray(page.astype(page.dtype.newbyteorder('>'))).view(np.uint8).reshape(h, w, n)
    planes = be.transpose(0, 2, 1).reshape(h, w * n)
    d = planes.copy()
    d[:, 1:] = planes[:, 1:] - planes[:, :-1]
    return d
def int_predict(page):
    d = page.copy()
    d[:, 1:] = page[:, 1:] - page[:, :-1]
    return d
def set_codes(path, compression, predictor):
    # tifffile only writes codecs it has: store the data under deflate/a stand-in tag 316, then
    # put the real Compression value and turn tag 316 into Predictor (317; sort order unchanged)
    with tifffile.TiffFile(path, mode='r+') as t:
        offsets = []
        for p in t.pages:
            if compression != 8:
                p.tags['Compression'].overwrite(compression)
            if 316 in p.tags:
                offsets.append(p.tags[316].offset)
    with open(path, 'r+b') as f:
        for o in offsets:
            f.seek(o)
            f.write((317).to_bytes(2, 'little'))
def write_encoded(name, a, rps, encode, compression, predictor, predict=None):
    extratags = [(316, 'H', 1, predictor, False)] if predictor != 1 else []
    tw(f'{out}/{name}.tif', strips(a, rps, encode, predict), shape=a.shape, dtype=a.dtype,
                     compression='zlib', rowsperstrip=rps, extratags=extratags)
    set_codes(f'{out}/{name}.tif', compression, predictor)
# tifffile refuses the predictor for 64-bit integers: difference them here (libtiff semantics, wrapping)
a = rand('uint64', shape); save('pred2_uint64', a)
write_encoded('pred2_uint64', a, 8, zlib.compress, 8, 2, int_predict)
def tiles(a, th, tw, encode, predict):
    for page in a:
        for y in range(0, page.shape[0], th):
            for x in range(0, page.shape[1], tw):
                t = np.zeros((th, tw), a.dtype)
                part = page[y:y + th, x:x + tw]
                t[:part.shape[0], :part.shape[1]] = part
                yield encode(np.ascontiguousarray(predict(t)).tobytes())
a = rand('uint64', (2, 40, 70)); save('tiled_pred_u64', a)
tw(f'{out}/tiled_pred_u64.tif', tiles(a, 16, 32, zlib.compress, int_predict), shape=a.shape, dtype=a.dtype,
                 compression='zlib', tile=(16, 32), extratags=[(316, 'H', 1, 2, False)])
set_codes(f'{out}/tiled_pred_u64.tif', 8, 2)
for dt in ['float32', 'float64']:
    a = rand(dt, shape); save('pred3_' + dt, a)
    write_encoded('pred3_' + dt, a, 8, zlib.compress, 8, 3, float_predict)
zstd = numcodecs.Zstd(level=3)
a = rand('uint16', shape); save('zstd_u16', a)
write_encoded('zstd_u16', a, 6, zstd.encode, 50000, 1)
a = rand('int32', shape); save('zstd_pred_i32', a)
write_encoded('zstd_pred_i32', a, 6, zstd.encode, 50000, 2, int_predict)
for mode, dt in [('L', 'uint8'), ('I;16', 'uint16')]:
    a = (rand(dt, (3, 37, 41)) // 7 * 7).astype(dt)  # some repetition for the codecs to find
    for comp, tag in [('tiff_lzw', 'lzw'), ('packbits', 'packbits')]:
        save(f'{tag}_{dt}', a)
        ims = [Image.fromarray(s, mode) for s in a]
        ims[0].save(f'{out}/{tag}_{dt}.tif', compression=comp, save_all=True, append_images=ims[1:])
a = rand('uint8', (4, 30, 20)); save('imagej', a)
tw(f'{out}/imagej.tif', a, imagej=True, resolution=(1 / 0.004, 1 / 0.005), metadata={'spacing': 0.05, 'unit': 'um'})
tifffile.imwrite(f'{out}/rgb.tif', rand('uint8', (2, 10, 10, 3)), photometric='rgb')
with tifffile.TiffWriter(f'{out}/mixed.tif') as w:
    w.write(rand('uint8', (10, 10)))
    w.write(rand('uint8', (12, 10)))
tw(f'{out}/float16.tif', rand('float16', (2, 8, 8)))
`;

describe.skipIf(!py)('TIFF reader vs tifffile / libtiff', () => {
  const dir = suiteDir('tu-tiff-');
  beforeAll(() => {
    runFixtures(FIXTURES, dir);
  });

  const expectExact = async (name: string) => expect((await expectReaderMatches(dir, `${name}.tif`, name)).format).toBe('tiff');

  it.each(DTYPES)('reads deflate stacks (odd strip height) and uncompressed stacks of %s exactly', async (dt) => {
    await expectExact(`zlib_${dt}`);
    await expectExact(`none_${dt}`);
  });

  it('reads BigTIFF, tiled (compressed and raw) and horizontal-predictor files, uint64 included', async () => {
    for (const n of ['bigtiff', 'tiled', 'tiled_raw_f32', 'tiled_pred_u64', 'pred2_uint8', 'pred2_uint16', 'pred2_int16', 'pred2_uint32', 'pred2_uint64']) await expectExact(n);
  });

  it('reads big-endian files, with and without predictor', async () => {
    await expectExact('be_pred_u16');
    await expectExact('be_f64');
  });

  it('reads the floating-point predictor, zstd, LZW and PackBits', async () => {
    for (const n of ['pred3_float32', 'pred3_float64', 'zstd_u16', 'zstd_pred_i32', 'lzw_uint8', 'lzw_uint16', 'packbits_uint8', 'packbits_uint16']) await expectExact(n);
  });

  it('reads voxel size from ImageJ metadata; none from plain files', async () => {
    const r = await openVolume(join(dir, 'imagej.tif'));
    expect(r.resolution).not.toBeNull();
    expect(r.resolution![0]).toBeCloseTo(50, 6);
    expect(r.resolution![1]).toBeCloseTo(5, 6);
    expect(r.resolution![2]).toBeCloseTo(4, 6);
    await r.close();
    await expectExact('imagej');
    const plain = await openVolume(join(dir, 'zlib_uint8.tif'));
    expect(plain.resolution).toBeNull();
    await plain.close();
  });

  it('refuses RGB, float16 and unequal pages with messages naming the file', async () => {
    await expect(openVolume(join(dir, 'rgb.tif'))).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringMatching(/rgb\.tif.*samples per pixel/) });
    await expect(openVolume(join(dir, 'float16.tif'))).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringMatching(/float16\.tif.*16-bit float/) });
    await expect(openVolume(join(dir, 'mixed.tif'))).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringMatching(/mixed\.tif.*12x10/) });
  });

  it('reads only the strips a region needs: a truncated file still serves its intact start', async () => {
    const src = join(dir, 'zlib_uint16.tif');
    const cutFile = join(dir, 'truncated.tif');
    copyFileSync(src, cutFile);
    truncateSync(cutFile, statSync(src).size - 64);
    const ref = loadRaw(dir, 'zlib_uint16');
    const r = await openVolume(cutFile);
    try {
      const first = { min: [0, 0, 0] as Vec3, max: [2, 37, 41] as Vec3 };
      expect(sameVoxels(await r.readRegion(first), cut(ref.data, [5, 37, 41], first))).toBe(true);
      const err = await r.readRegion({ min: [4, 30, 0], max: [5, 37, 41] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ code: 'CORRUPT_FILE', message: expect.stringMatching(/truncated\.tif.*(strip|end of the file)/) });
    } finally {
      await r.close();
    }
  });

  it('refuses files that are not TIFFs or have a broken header', async () => {
    const text = join(dir, 'notes.tif');
    writeFileSync(text, 'hello, not an image');
    await expect(openVolume(text)).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining('notes.tif') });
    const broken = join(dir, 'broken.tif');
    writeFileSync(broken, Buffer.from([0x49, 0x49, 42, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0]));
    await expect(openVolume(broken)).rejects.toMatchObject({ code: 'CORRUPT_FILE', message: expect.stringContaining('broken.tif') });
    await expect(openVolume(join(dir, 'absent.tif'))).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('absent.tif') });
  });
});
