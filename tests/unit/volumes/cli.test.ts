import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCommand as run } from '../../helpers/cli';
import { Project } from '../../../src/main/store/project';
import { voxelCount, type Vec3 } from '../../../src/main/volumes/box';
import { exportCliCommand } from '../../../src/main/exports/cli';
import { importCliCommand, layersReport } from '../../../src/main/volumes/cli-commands';
import { createLayerFromArray } from '../../../src/main/volumes/create-layer';
import { exportLayer } from '../../../src/main/exports/index';
import { openVolume } from '../../../src/main/volumes/readers/open';
import { sameVoxels, suiteDir } from '../../helpers/volumes';


describe('CLI: import, export, layer listing', () => {
  const dir = suiteDir('tu-vcli-');
  const shape: Vec3 = [6, 50, 40];
  const image = new Uint8Array(voxelCount(shape)).map((_, i) => (i * 7) % 251);
  const labels = new Uint16Array(voxelCount(shape)).map((_, i) => Math.floor(i / 300));

  beforeAll(async () => {
    // Source files made by the app itself (no Python needed here): a source project exports TIFFs and a Zarr.
    const src = Project.create(join(dir, 'src'));
    await createLayerFromArray(src, { name: 'img', kind: 'image', dtype: 'uint8', data: image, shape, resolution: [50, 4, 4] });
    await createLayerFromArray(src, { name: 'lab', kind: 'image', dtype: 'uint16', data: labels, shape, resolution: [50, 4, 4] });
    await exportLayer(src, 'img', join(dir, 'img.tif'), { format: 'tiff' });
    await exportLayer(src, 'lab', join(dir, 'lab.tif'), { format: 'tiff' });
    await exportLayer(src, 'img', join(dir, 'img.zarr'), { format: 'zarr' });
    src.close();
  });

  it('imports into a new project folder, labels too, and lists the layers for info --json', async () => {
    const p = join(dir, 'p1');
    const a = await run(importCliCommand, [p, join(dir, 'img.tif'), '--as', 'image', '--name', 'raw']);
    expect(a.code).toBe(0);
    expect(a.err.join('\n')).toContain('created project');
    expect(a.out.join('\n')).toMatch(/imported 'raw' image uint8 6x50x40, 50x4x4 nm, \d level\(s\)/);
    const b = await run(importCliCommand, [p, join(dir, 'lab.tif'), '--as', 'labels', '--name', 'seg', '--resolution', '50,4,4', '--json']);
    expect(b.code).toBe(0);
    expect(b.json[0]).toMatchObject({ layer: { name: 'seg', kind: 'labels', dtype: 'uint32' }, warnings: [] });
    const c = await run(importCliCommand, [p, join(dir, 'img.zarr'), '--as', 'image', '--name', 'inplace']);
    expect(c.out.join('\n')).toMatch(/opened 'inplace'.*read in place from/);
    const project = Project.open(p);
    try {
      const rows = layersReport(project);
      expect(rows.map((r) => [r.name, r.kind, r.dtype, r.shape, r.resolution, r.source])).toEqual([
        ['raw', 'image', 'uint8', shape, [50, 4, 4], 'store'],
        ['seg', 'labels', 'uint32', shape, [50, 4, 4], 'store'],
        ['inplace', 'image', 'uint8', shape, [50, 4, 4], 'external'],
      ]);
      expect(rows[0].levels.length).toBeGreaterThanOrEqual(1);
      expect(rows[0].levels[0]).toMatchObject({ shape, chunkShape: rows[0].chunkShape, factors: [1, 1, 1] });
    } finally {
      project.close();
    }
  });

  it('exports a layer and a region to BigTIFF with the original voxels', async () => {
    const p = join(dir, 'p1');
    const whole = await run(exportCliCommand, [p, 'seg', join(dir, 'seg-out.tif'), '--format', 'tiff']);
    expect(whole.code).toBe(0);
    expect(whole.out.join('\n')).toMatch(/wrote .*seg-out\.tif \(tiff, 6x50x40/);
    const back = await openVolume(join(dir, 'seg-out.tif'));
    expect(sameVoxels(await back.readRegion({ min: [0, 0, 0], max: shape }), Uint32Array.from(labels))).toBe(true);
    await back.close();
    const part = await run(exportCliCommand, [p, 'raw', join(dir, 'part.tif'), '--roi', '1:3,:,10:20', '--json']);
    expect(part.json[0]).toMatchObject({ format: 'tiff', shape: [2, 50, 10] });
    const roi = await openVolume(join(dir, 'part.tif'));
    const got = await roi.readRegion({ min: [0, 0, 0], max: [2, 50, 10] });
    await roi.close();
    expect(got[0]).toBe(image[1 * 50 * 40 + 10]);
  });

  it('rejects bad arguments with clear messages and leaves no output', async () => {
    const p = join(dir, 'p1');
    await expect(run(importCliCommand, [p, join(dir, 'img.tif'), '--as', 'mask'])).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('--as') });
    await expect(run(importCliCommand, [p, join(dir, 'img.tif'), '--resolution', '1,2'])).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('--resolution') });
    await expect(run(importCliCommand, [p, join(dir, 'img.tif'), '--in-place'])).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('not chunked') });
    await expect(run(importCliCommand, [p, join(dir, 'img.zarr'), '--copy', '--dataset', 'nope'])).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('nope') });
    await expect(run(exportCliCommand, [p, 'raw', join(dir, 'bad.tif'), '--roi', '0:99,:,:'])).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(run(exportCliCommand, [p, 'raw', join(dir, 'bad.out')])).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('--format') });
    expect(existsSync(join(dir, 'bad.tif'))).toBe(false);
  });
});
