import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { JobRunner } from '../../../src/main/jobs/runner';
import type { JobInfo } from '../../../src/main/jobs/types';
import type { Project } from '../../../src/main/store/project';
import type { Vec3 } from '../../../src/main/volumes/box';
import { cleanupInterruptedImports, importVolume } from '../../../src/main/volumes/import';
import { listLayers } from '../../../src/main/volumes/layers';
import { VolumeService } from '../../../src/main/volumes/service';
import { referencePython, skipNotice } from '../../helpers/python';
import { loadRaw, newProject, runFixtures, sameVoxels, suiteDir } from '../../helpers/volumes';

const MODULES = ['numpy', 'tifffile'];
const py = referencePython(MODULES);
if (!py) skipNotice('import tests (fixtures written by tifffile)', MODULES);

const FIXTURES = `
import tifffile
def tw(name, a, **kw):
    tifffile.imwrite(os.path.join(out, name), a, photometric='minisblack', compression='zlib', **kw)
img = rand('uint8', (20, 200, 180)); save('img', img); tw('img.tif', img, rowsperstrip=16)
lab = rng.integers(0, 300, size=(20, 200, 180)).astype(np.uint16); save('lab', lab); tw('lab.tif', lab)
tw('lab_wide.tif', np.zeros((20, 200, 181), np.uint16))
big = (rng.integers(0, 3, size=(20, 200, 180)).astype(np.uint64) * np.uint64(2**45 + 1)); save('lab64', big); tw('lab64.tif', big)
tw('lab_f32.tif', rand('float32', (20, 200, 180)))
neg = np.zeros((20, 200, 180), np.int16); neg[5, 6, 7] = -3; tw('lab_neg.tif', neg)
tw('slow.tif', rand('uint8', (64, 512, 512)), rowsperstrip=64)
`;

/** The project holds no layer and no leftover files from a failed or cancelled import. */
function expectUnchanged(project: Project) {
  expect(listLayers(project)).toEqual([]);
  expect(readdirSync(project.path('tmp'))).toEqual([]);
  expect(readdirSync(project.path('volumes'))).toEqual([]);
}

describe.skipIf(!py)('import: conversion, bad input, cancellation', () => {
  const dir = suiteDir('tu-import-');
  beforeAll(() => {
    runFixtures(FIXTURES, dir);
  });

  it('imports an image and its labels; labels become uint32 (uint64 stays uint64)', async () => {
    const project = newProject(dir);
    const progress: number[] = [];
    const img = await importVolume(project, { path: join(dir, 'img.tif'), kind: 'image', name: 'raw', resolution: [50, 4, 4] }, { progress: (f) => progress.push(f) });
    expect(img.layer).toMatchObject({ dtype: 'uint8', shape: [20, 200, 180], resolution: [50, 4, 4], chunkShape: [16, 128, 128], editable: true });
    expect(progress[progress.length - 1]).toBe(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const lab = await importVolume(project, { path: join(dir, 'lab.tif'), kind: 'labels', name: 'lab' });
    expect(lab.layer.dtype).toBe('uint32');
    const lab64 = await importVolume(project, { path: join(dir, 'lab64.tif'), kind: 'labels', name: 'lab64' });
    expect(lab64.layer.dtype).toBe('uint64');
    const svc = new VolumeService(project);
    const whole = { min: [0, 0, 0] as Vec3, max: [20, 200, 180] as Vec3 };
    expect(sameVoxels(await svc.readRegion('raw', 0, whole), loadRaw(dir, 'img').data)).toBe(true);
    expect(sameVoxels(await svc.readRegion('lab', 0, whole), Uint32Array.from(loadRaw(dir, 'lab').data as Uint16Array))).toBe(true);
    expect(sameVoxels(await svc.readRegion('lab64', 0, whole), loadRaw(dir, 'lab64').data)).toBe(true);
    await svc.close();
  });

  it('warns when the voxel size is unknown; it can be set later and labels inherit it', async () => {
    const project = newProject(dir);
    const { layer, warnings } = await importVolume(project, { path: join(dir, 'img.tif'), kind: 'image', name: 'raw' });
    expect(layer.resolutionKnown).toBe(false);
    expect(layer.resolution).toEqual([1, 1, 1]);
    expect(warnings[0]).toMatch(/img\.tif does not record its voxel size/);
    const svc = new VolumeService(project);
    const updated = await svc.setLayerResolution('raw', [40, 4, 4]);
    expect(updated.resolutionKnown).toBe(true);
    expect(updated.levels[1].resolution).toEqual([40 * updated.levels[1].factors[0], 4 * updated.levels[1].factors[1], 4 * updated.levels[1].factors[2]]);
    const group = JSON.parse(readFileSync(join(project.path(layer.uri), 'zarr.json'), 'utf8'));
    expect(group.attributes.ome.multiscales[0].datasets[0].coordinateTransformations[0].scale).toEqual([40, 4, 4]);
    // labels without metadata take the voxel size of the image they overlay
    const lab = await importVolume(project, { path: join(dir, 'lab.tif'), kind: 'labels', name: 'lab' });
    expect(lab.layer).toMatchObject({ resolution: [40, 4, 4], resolutionKnown: true });
    expect(lab.warnings[0]).toMatch(/using 40x4x4 nm from layer 'raw'/);
    await svc.close();
  });

  it('refuses bad input with messages naming the file, leaving the project unchanged', async () => {
    const project = newProject(dir);
    const trunc = join(dir, 'trunc.tif');
    copyFileSync(join(dir, 'img.tif'), trunc);
    truncateSync(trunc, statSync(trunc).size - 5000);
    await expect(importVolume(project, { path: trunc, kind: 'image', name: 'x' })).rejects.toMatchObject({ code: 'CORRUPT_FILE', message: expect.stringContaining('trunc.tif') });
    expectUnchanged(project);
    await expect(importVolume(project, { path: join(dir, 'nope.tif'), kind: 'image', name: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('nope.tif') });
    await expect(importVolume(project, { path: join(dir, 'lab_f32.tif'), kind: 'labels', name: 'x' })).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringMatching(/lab_f32\.tif.*float32.*integers/) });
    await expect(importVolume(project, { path: join(dir, 'lab_neg.tif'), kind: 'labels', name: 'x' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/lab_neg\.tif.*negative label id \(-3\)/) });
    await expect(importVolume(project, { path: join(dir, 'img.tif'), kind: 'image', name: 'x', inPlace: true })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('not chunked') });
    await expect(importVolume(project, { path: join(dir, 'img.tif'), kind: 'image', name: 'x', resolution: [0, 4, 4] })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expectUnchanged(project);
    await importVolume(project, { path: join(dir, 'img.tif'), kind: 'image', name: 'raw' });
    await expect(importVolume(project, { path: join(dir, 'lab_wide.tif'), kind: 'labels', name: 'wide' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/20x200x181 but image layer 'raw' is 20x200x180/),
    });
    await expect(importVolume(project, { path: join(dir, 'img.tif'), kind: 'image', name: 'raw' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(listLayers(project).map((l) => l.name)).toEqual(['raw']);
  });

  it('a cancelled import (in-thread) leaves no half layer behind', async () => {
    const project = newProject(dir);
    const abort = new AbortController();
    const run = importVolume(project, { path: join(dir, 'slow.tif'), kind: 'image', name: 'slow' }, { signal: abort.signal, progress: (f) => f > 0 && abort.abort() });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    expectUnchanged(project);
  });

  it('a cancelled import job (worker thread) leaves no half layer behind; a finished one registers its layer', async () => {
    const project = newProject(dir);
    const runner = new JobRunner();
    const job = runner.start(project, 'volumes.import', { path: join(dir, 'slow.tif'), kind: 'image', name: 'slow' });
    let asked = false;
    runner.on('updated', (j: JobInfo) => {
      if (!asked && j.id === job.id && j.state === 'running' && j.progress > 0) {
        asked = true;
        runner.cancel(job.id);
      }
    });
    const done = await runner.wait(job.id);
    expect(done.state).toBe('cancelled');
    expectUnchanged(project);
    const ok = await runner.run<{ layer: { name: string } }>(project, 'volumes.import', { path: join(dir, 'img.tif'), kind: 'image', name: 'img' });
    expect(ok.layer.name).toBe('img');
    expect(listLayers(project).map((l) => l.name)).toEqual(['img']);
  });

  it('cleans what an interrupted process left and deletes layers with their files', async () => {
    const project = newProject(dir);
    mkdirSync(project.path('tmp', 'import-dead.ome.zarr', '0'), { recursive: true });
    mkdirSync(project.path('volumes', 'orphan.ome.zarr'), { recursive: true });
    const { layer } = await importVolume(project, { path: join(dir, 'img.tif'), kind: 'image', name: 'raw' });
    expect((await cleanupInterruptedImports(project)).sort()).toEqual(['tmp/import-dead.ome.zarr', 'volumes/orphan.ome.zarr']);
    expect(existsSync(project.path(layer.uri))).toBe(true);
    const svc = new VolumeService(project);
    await svc.readSlice('raw', 0, 'z', 3);
    await svc.deleteLayer('raw');
    expect(existsSync(project.path(layer.uri))).toBe(false);
    expectUnchanged(project);
    await svc.close();
  });
});
