import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Vec3 } from '../../../src/main/volumes/box';
import { listSectionFiles } from '../../../src/main/volumes/readers/image-folder';
import { openVolume } from '../../../src/main/volumes/readers/open';
import { referencePython, skipNotice } from '../../helpers/python';
import { cut, loadRaw, runFixtures, sameVoxels, sampleBoxes, suiteDir } from '../../helpers/volumes';

const MODULES = ['numpy', 'tifffile', 'PIL'];
const py = referencePython(MODULES);
if (!py) skipNotice('section-folder reader tests against Pillow/tifffile', MODULES);

/** Folders of per-section files written by Pillow (PNG) and tifffile; names sort naturally (s2 < s10). */
const FIXTURES = `
import tifffile
from PIL import Image
def folder(name, a, ext, writer):
    d = os.path.join(out, name); os.makedirs(d)
    for i, s in enumerate(a):
        writer(os.path.join(d, f's{i}.{ext}'), s)
    save(name, a)
a = rand('uint8', (12, 33, 27)); folder('png8', a, 'png', lambda p, s: Image.fromarray(s, 'L').save(p))
a = rand('uint16', (11, 20, 31)); folder('png16', a, 'png', lambda p, s: Image.fromarray(s, 'I;16').save(p))
a = rand('float32', (10, 16, 18)); folder('tif32', a, 'tif', lambda p, s: tifffile.imwrite(p, s, compression='zlib'))
d = os.path.join(out, 'rgb'); os.makedirs(d)
Image.fromarray(rand('uint8', (8, 8, 3)), 'RGB').save(os.path.join(d, 'a.png'))
d = os.path.join(out, 'uneven'); os.makedirs(d)
Image.fromarray(rand('uint8', (8, 8)), 'L').save(os.path.join(d, 'a1.png'))
Image.fromarray(rand('uint8', (9, 8)), 'L').save(os.path.join(d, 'a2.png'))
os.makedirs(os.path.join(out, 'empty'))
with open(os.path.join(out, 'empty', 'notes.txt'), 'w') as f: f.write('x')
`;

describe.skipIf(!py)('folders of sections (PNG, TIFF) vs Pillow / tifffile', () => {
  const dir = suiteDir('tu-folder-');
  beforeAll(() => {
    runFixtures(FIXTURES, dir);
  });

  it('lists section files in natural order', () => {
    expect(listSectionFiles(join(dir, 'png8')).slice(0, 4)).toEqual(['s0.png', 's1.png', 's2.png', 's3.png']);
    expect(listSectionFiles(join(dir, 'png8'))[11]).toBe('s11.png');
  });

  it.each(['png8', 'png16', 'tif32'])('reads %s exactly, any region', async (name) => {
    const ref = loadRaw(dir, name);
    const r = await openVolume(join(dir, name));
    try {
      expect(r.format).toBe('image-folder');
      expect(r.dtype).toBe(ref.dtype);
      expect(r.levels[0].shape).toEqual(ref.shape);
      for (const box of sampleBoxes(ref.shape as Vec3, 5)) {
        expect(sameVoxels(await r.readRegion(box), cut(ref.data, ref.shape as Vec3, box))).toBe(true);
      }
    } finally {
      await r.close();
    }
  });

  it('refuses colour PNGs, sections of different sizes and folders without images', async () => {
    await expect(openVolume(join(dir, 'rgb'))).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringMatching(/a\.png.*channels/) });
    const r = await openVolume(join(dir, 'uneven'));
    await expect(r.readRegion({ min: [0, 0, 0], max: [2, 8, 8] })).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringMatching(/a2\.png is 9x8/) });
    await r.close();
    await expect(openVolume(join(dir, 'empty'))).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/empty.*no .tif/) });
  });
});
