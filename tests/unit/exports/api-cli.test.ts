import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handlers } from '../../../src/main/api/handlers';
import { createRouter } from '../../../src/main/api/router';
import { commandHelp } from '../../../src/main/cli/command';
import { runCommand as run } from '../../helpers/cli';
import { AppContext } from '../../../src/main/context';
import { saveCheckpoint } from '../../../src/main/ml/checkpoint/index';
import { modelFromConfig } from '../../../src/main/ml/model';
import { presetConfig } from '../../../src/main/ml/models/segmamba';
import { registerModel } from '../../../src/main/pipeline/models';
import { Project } from '../../../src/main/store/project';
import type { Vec3 } from '../../../src/main/volumes/box';
import { exportCliCommand, exportMeshesCommand, exportModelCommand, exportSegmentsCommand } from '../../../src/main/exports/cli';
import { openVolume } from '../../../src/main/volumes/readers/open';
import { cut, sameVoxels } from '../../helpers/volumes';
import { fragmentProject } from './helpers';

const SHAPE: Vec3 = [8, 40, 48];
const RES: Vec3 = [40, 8, 8];
const CONFIG = presetConfig('tiny', { featureSize: [4, 8, 16, 32], hiddenSize: 32, depths: [1, 1, 1, 1], outChannels: 3 });


/** A project with fragments + labels (indexed) and a registered model, closed so the CLI can open it. */
async function makeProject(root: string): Promise<Awaited<ReturnType<typeof fragmentProject>>> {
  const project = Project.create(root);
  try {
    const fx = await fragmentProject(project, SHAPE, RES);
    const model = modelFromConfig(CONFIG, 'tiny');
    const w = model.initWeights(3);
    const ckpt = join(root, '..', 'model.safetensors');
    saveCheckpoint(ckpt, {
      meta: { format: 'tokenunify-checkpoint', version: 1, preset: 'tiny', config: CONFIG, normalization: { kind: 'scale', offset: 0, scale: 255 }, extra: { pipeline: { crop: [16, 16, 80] } } },
      weights: new Map([...w].map(([k, data]) => [k, { shape: model.specs.find((s) => s.name === k)!.shape, data }])),
    });
    registerModel(project, { name: 'micro', preset: 'tiny', checkpoint: ckpt, provenance: {}, metrics: {} });
    return fx;
  } finally {
    project.close();
  }
}

describe('export CLI commands (jobs in worker threads)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tu-excli-'));
  const p = join(dir, 'project');
  let fx: Awaited<ReturnType<typeof makeProject>>;
  beforeAll(async () => {
    fx = await makeProject(p);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('export: every format from the file name, a region, --fragments with its mapping file', async () => {
    for (const out of ['a.tif', 'a.h5', 'a.ome.zarr', 'a.n5', 'a.precomputed']) {
      const r = await run(exportCliCommand, [p, 'frags', join(dir, out), '--roi', '1:7,5:,:40', '--json']);
      expect(r.code, out).toBe(0);
      expect(r.json[0]).toMatchObject({ shape: [6, 35, 40], mapping: 'applied' });
      const back = await openVolume(join(dir, out), out.endsWith('.h5') ? { dataset: 'volumes/labels/neuron_ids' } : {});
      const roi = { min: [1, 5, 0] as Vec3, max: [7, 40, 40] as Vec3 };
      expect(sameVoxels(await back.readRegion({ min: [0, 0, 0], max: [6, 35, 40] }), cut(fx.mapped, SHAPE, roi)), out).toBe(true);
      await back.close();
    }
    const frag = await run(exportCliCommand, [p, 'frags', join(dir, 'f.h5'), '--fragments']);
    expect(frag.out.join('\n')).toMatch(/wrote .*f\.h5 \+ .*f\.h5\.mapping\.csv \(hdf5, 8x40x48, mapping fragments/);
    const sharded = await run(exportCliCommand, [p, 'plain', join(dir, 's.precomputed'), '--sharded', '--meshes', '1001', '--json']);
    expect(sharded.json[0].format).toBe('precomputed');
    expect(JSON.parse(readFileSync(join(dir, 's.precomputed', 'info'), 'utf8'))).toMatchObject({ mesh: 'mesh', scales: [expect.objectContaining({ sharding: expect.anything() })] });
    await expect(run(exportCliCommand, [p, 'frags', join(dir, 'x.png')])).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('--format') });
    await expect(run(exportCliCommand, [p, 'plain', join(dir, 'y.tif'), '--fragments'])).rejects.toMatchObject({ message: expect.stringContaining("'plain'") });
  });

  it('export-segments, export-meshes and export-model', async () => {
    const seg = await run(exportSegmentsCommand, [p, 'frags', join(dir, 'segments.csv')]);
    expect(seg.out.join('\n')).toMatch(/wrote .*segments\.csv \(5 segments, csv/);
    expect(readFileSync(join(dir, 'segments.csv'), 'utf8').split('\r\n')[0]).toBe('id,name,color,status,notes,voxel_count,locked,fragment_ids');
    const mesh = await run(exportMeshesCommand, [p, 'plain', join(dir, 'meshes'), '--segments', '1001,1002', '--format', 'obj', '--json']);
    expect(mesh.json[0].files).toEqual([join(dir, 'meshes', 'plain_1001.obj'), join(dir, 'meshes', 'plain_1002.obj')]);
    await expect(run(exportMeshesCommand, [p, 'plain', join(dir, 'm2')])).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('--segments') });
    const model = await run(exportModelCommand, [p, 'micro', join(dir, 'micro.onnx')]);
    expect(model.code).toBe(0);
    expect(model.out.join('\n')).toMatch(/wrote .*micro\.onnx .*input raw \[1, 1, 16, 16, 80\], output affinities \[1, 3, 16, 16, 80\], matches the engine/);
  });

  it('every command has --help', () => {
    for (const cmd of [exportCliCommand, exportSegmentsCommand, exportMeshesCommand, exportModelCommand]) {
      const help = commandHelp(cmd);
      expect(help).toContain(`usage: tokenunify ${cmd.name}`);
      expect(help).toContain('--overwrite');
    }
    expect(commandHelp(exportCliCommand)).toContain('tiff, hdf5, zarr, n5 or precomputed');
  });
});

describe('export API (router, jobs)', () => {
  const root = mkdtempSync(join(tmpdir(), 'tu-exapi-'));
  let ctx: AppContext;
  let call: (method: string, params?: unknown) => Promise<any>;
  afterAll(async () => {
    await ctx?.dispose();
    rmSync(root, { recursive: true, force: true });
  });

  beforeAll(async () => {
    await makeProject(join(root, 'p'));
    ctx = new AppContext({ mode: 'browser', userDataDir: join(root, 'user') });
    const dispatch = createRouter(handlers, ctx);
    call = async (method, params = {}) => {
      const r = await dispatch(method, params);
      if (!r.ok) throw Object.assign(new Error(r.error.message), r.error);
      return r.result;
    };
    await call('projects.open', { path: join(root, 'p') });
  });

  it('lists the formats and runs each export as a job whose result names the files', async () => {
    const formats = await call('exports.formats');
    expect(formats.map((f: { format: string }) => f.format)).toEqual(['tiff', 'zarr', 'hdf5', 'n5', 'precomputed']);
    const jobs = [
      await call('exports.volume', { layerId: 'frags', path: join(root, 'v.n5'), format: 'n5', mapping: 'fragments', roi: { min: [0, 0, 0], max: [4, 20, 20] } }),
      await call('exports.segments', { layerId: 'plain', path: join(root, 'seg.json') }),
      await call('exports.meshes', { layerId: 'plain', path: join(root, 'm.ply'), segments: [1001], merged: true }),
      await call('exports.model', { model: 'micro', path: join(root, 'm.onnx'), verify: false }),
    ];
    expect(jobs.map((j) => j.kind)).toEqual(['exports.volume', 'exports.segments', 'exports.meshes', 'exports.model']);
    const done = await Promise.all(jobs.map((j) => ctx.jobs.wait(j.id)));
    expect(done.map((d) => [d.state, d.error])).toEqual(done.map(() => ['succeeded', null]));
    expect(done[0].result).toMatchObject({ mapping: 'fragments', shape: [4, 20, 20] });
    expect(existsSync(join(root, 'v.n5', 'mapping.csv'))).toBe(true);
    expect(done[1].result).toMatchObject({ format: 'json', segments: 5 });
    expect(done[2].result).toMatchObject({ format: 'ply', files: [join(root, 'm.ply')] });
    expect(done[3].result).toMatchObject({ maxAbsDifference: null, files: [join(root, 'm.onnx')] });
  });

  it('answers mistakes at once, before a job starts', async () => {
    await expect(call('exports.volume', { layerId: 'nope', path: join(root, 'x.tif'), format: 'tiff' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(call('exports.volume', { layerId: 'plain', path: join(root, 'x.tif'), format: 'tiff', mapping: 'fragments' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(call('exports.volume', { layerId: 'plain', path: join(root, 'v.n5'), format: 'n5' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(call('exports.volume', { layerId: 'plain', path: join(root, 'nofolder', 'x.tif'), format: 'tiff' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(call('exports.volume', { layerId: 'plain', path: join(root, 'x.jpg'), format: 'jpeg' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(call('exports.model', { model: 'nope', path: join(root, 'n.onnx') })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(call('exports.meshes', { layerId: 'plain', path: join(root, 'q'), segments: [] })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(readdirSync(root).filter((n) => n.startsWith('x.') || n.includes('.partial-'))).toEqual([]);
  });

  it('a cancelled export job leaves no file', async () => {
    const job = await call('exports.volume', { layerId: 'plain', path: join(root, 'big.zarr'), format: 'zarr', levels: 1 });
    await call('jobs.cancel', { id: job.id });
    const done = await ctx.jobs.wait(job.id);
    expect(done.state).toBe('cancelled');
    expect(existsSync(join(root, 'big.zarr'))).toBe(false);
    expect(readdirSync(root).filter((n) => n.includes('.partial-'))).toEqual([]);
  });
});
