/// <reference lib="dom" />
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveCheckpoint } from '../../src/main/ml/checkpoint/index';
import { modelFromConfig } from '../../src/main/ml/model';
import { presetConfig } from '../../src/main/ml/models/segmamba';
import { indexLabelLayer, setInitialMapping } from '../../src/main/proofreading/index-layer';
import { registerModel } from '../../src/main/pipeline/models';
import { Project } from '../../src/main/store/project';
import type { Vec3 } from '../../src/main/volumes/box';
import { createLayerFromArray } from '../../src/main/volumes/create-layer';
import { getLayer } from '../../src/main/volumes/layers';
import { openVolume } from '../../src/main/volumes/readers/open';
import { chromiumAvailable, launchBrowser, ROOT, screenshot, serveApp, type ServedApp } from '../helpers/browser-mode';
import { referencePython, runPython } from '../helpers/python';

/**
 * Exports from the browser-mode UI on a small demo project: the demo's image and labels in every
 * volume format, a fragment layer with its mapping applied and as fragments + mapping, the
 * segment table, meshes and a model as ONNX; each file is read back (the app's readers, h5py /
 * zarr-python when present, onnxruntime) and compared with the layer it came from.
 */

const SHAPE: Vec3 = [16, 96, 96];
const CONFIG = presetConfig('tiny', { featureSize: [4, 8, 16, 32], hiddenSize: 32, depths: [1, 1, 1, 1], outChannels: 3 });
const segmentOf = (f: number) => (f === 0 ? 0 : 500 + (f % 4));

async function readAll(path: string, opts: { dataset?: string } = {}) {
  const r = await openVolume(path, opts);
  try {
    return { dtype: r.dtype, data: await r.readRegion({ min: [0, 0, 0], max: r.levels[0].shape }), shape: r.levels[0].shape };
  } finally {
    await r.close();
  }
}

const same = (a: ArrayBufferView, b: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe.runIf(chromiumAvailable())('browser mode: exports', () => {
  let app: ServedApp;
  let browser: Browser;
  let page: Page;
  let scratch: string;
  let projectDir: string;
  const layerData = new Map<string, { data: ArrayBufferView; uri: string }>();

  /** Waits for the next export job to finish; returns it. */
  const nextJob = async (before: Set<string>) => {
    let job: any;
    await expect
      .poll(
        async () => {
          const jobs = (await page.evaluate(() => (window as any).tokenunifyApi.call('jobs.list', {}))) as any[];
          job = jobs.find((j) => !before.has(j.id));
          return job?.state;
        },
        { timeout: 60_000 },
      )
      .toMatch(/succeeded|failed|cancelled/);
    expect(job.error).toBeNull();
    expect(job.state).toBe('succeeded');
    return job;
  };
  const jobIds = async () => new Set(((await page.evaluate(() => (window as any).tokenunifyApi.call('jobs.list', {}))) as any[]).map((j) => j.id));

  const openExport = async (layer: string) => {
    await page.locator(`[data-testid="layer-row"][data-layer="${layer}"]`).getByTestId('layer-menu').click();
    await page.getByTestId('layer-export').click();
    await page.getByTestId('export-tab-volume').waitFor();
  };
  const pick = async (testId: string, label: string) => page.getByTestId(testId).getByText(label, { exact: true }).click();

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'tu-exports-e2e-'));
    projectDir = join(scratch, 'demo');
    execFileSync(process.execPath, [join(ROOT, 'out', 'main', 'cli.js'), 'demo', projectDir, '--size', SHAPE.join(',')], { stdio: 'pipe' });
    // The demo's labels cut into fragments (each demo segment's voxels split by x parity of 16-voxel columns), a mapping, and a model.
    const project = Project.open(projectDir);
    try {
      for (const name of ['em', 'ground-truth']) {
        const l = getLayer(project, name);
        layerData.set(name, { data: (await readAll(project.path(l.uri))).data, uri: project.path(l.uri) });
      }
      const gt = layerData.get('ground-truth')!.data as Uint32Array;
      const frags = gt.map((v, i) => (v === 0 ? 0 : v * 2 + ((i % SHAPE[2]) >> 4) % 2));
      const fl = await createLayerFromArray(project, { name: 'fragments', kind: 'fragments', dtype: 'uint32', data: frags, shape: SHAPE, resolution: getLayer(project, 'em').resolution });
      const ids = [...new Set(frags)].filter((f) => f !== 0);
      setInitialMapping(project, fl.id, ids, ids.map(segmentOf));
      await indexLabelLayer(project, fl.id);
      layerData.set('fragments', { data: frags, uri: project.path(fl.uri) });
      const model = modelFromConfig(CONFIG, 'tiny');
      const w = model.initWeights(1);
      const ckpt = join(scratch, 'model.safetensors');
      saveCheckpoint(ckpt, {
        meta: { format: 'tokenunify-checkpoint', version: 1, preset: 'tiny', config: CONFIG, normalization: { kind: 'scale', offset: 0, scale: 255 }, extra: { pipeline: { crop: [16, 16, 80] } } },
        weights: new Map([...w].map(([k, data]) => [k, { shape: model.specs.find((s) => s.name === k)!.shape, data }])),
      });
      registerModel(project, { name: 'micro-affinities', preset: 'tiny', checkpoint: ckpt, provenance: { kind: 'fine-tuned' }, metrics: {} });
    } finally {
      project.close();
    }
    app = await serveApp({ projectDir });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => console.error('[pageerror]', e.message));
    await page.goto(app.url);
    await page.waitForFunction(() => (window as any).__tuViewer?.layers.length === 3, null, { timeout: 30_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('exports the image in every volume format, a region too, each read back voxel for voxel', async () => {
    const em = layerData.get('em')!.data;
    const cases = [
      ['BigTIFF', 'em.tif', {}],
      ['HDF5', 'em.h5', { dataset: 'volumes/raw' }],
      ['OME-Zarr', 'em.ome.zarr', {}],
      ['N5', 'em.n5', {}],
      ['Precomputed', 'em.precomputed', {}],
    ] as const;
    for (const [label, file, opts] of cases) {
      const before = await jobIds();
      await openExport('em');
      await pick('export-format', label);
      const out = join(scratch, file);
      await page.getByTestId('export-path').fill(out);
      if (label === 'Precomputed') await screenshot(page, 'exports-volume-dialog');
      await page.getByTestId('export-submit').click();
      const job = await nextJob(before);
      expect(job.result.path).toBe(out);
      const back = await readAll(out, opts);
      expect(back.dtype).toBe('uint8');
      expect(same(back.data, em), file).toBe(true);
    }
    // A region, as N5.
    const before = await jobIds();
    await openExport('em');
    await pick('export-format', 'N5');
    await page.getByTestId('export-path').fill(join(scratch, 'region.n5'));
    await page.getByTestId('export-roi-switch').click();
    await page.getByTestId('export-roi').fill('2:10, 0:48, 16:80');
    await page.getByTestId('export-submit').click();
    const job = await nextJob(before);
    expect(job.result.shape).toEqual([8, 48, 64]);
    const region = await readAll(join(scratch, 'region.n5'));
    const full = layerData.get('em')!.data as Uint8Array;
    let ok = true;
    for (let z = 0; z < 8; z++) for (let y = 0; y < 48; y++) for (let x = 0; x < 64; x++) ok &&= (region.data as Uint8Array)[(z * 48 + y) * 64 + x] === full[((z + 2) * SHAPE[1] + y) * SHAPE[2] + x + 16];
    expect(ok).toBe(true);
  });

  it.runIf(referencePython(['numpy', 'h5py', 'zarr']))('the files open in h5py and zarr-python (N5Store) with their voxel sizes', () => {
    const out = runPython(
      `
import sys, os, h5py, zarr, numpy as np
d = sys.argv[1]
with h5py.File(os.path.join(d, 'em.h5'), 'r') as f:
    ds = f['volumes/raw']
    a = ds[()]
    print(ds.shape, ds.dtype, list(ds.attrs['resolution']))
g = zarr.open(zarr.N5Store(os.path.join(d, 'em.n5')), mode='r')
print(g['s0'].shape, g.attrs['resolution'], np.array_equal(g['s0'][:], a))
`,
      [scratch],
    ).stdout.trim();
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^\(16, 96, 96\) uint8 \[/);
    expect(lines[1]).toMatch(/^\(16, 96, 96\) \[.*\] True$/);
  });

  it('exports fragments with the mapping applied, and as fragments + mapping', async () => {
    const frags = layerData.get('fragments')!.data as Uint32Array;
    let before = await jobIds();
    await openExport('fragments');
    await pick('export-format', 'HDF5');
    await page.getByTestId('export-path').fill(join(scratch, 'segments.h5'));
    await page.getByTestId('export-submit').click();
    await nextJob(before);
    const applied = await readAll(join(scratch, 'segments.h5'), { dataset: 'volumes/labels/neuron_ids' });
    expect(same(applied.data, frags.map(segmentOf))).toBe(true);

    before = await jobIds();
    await openExport('fragments');
    await pick('export-format', 'Precomputed');
    await pick('export-mapping', 'Fragments + mapping');
    await page.getByTestId('export-path').fill(join(scratch, 'fragments.precomputed'));
    await screenshot(page, 'exports-fragments-dialog');
    await page.getByTestId('export-submit').click();
    const job = await nextJob(before);
    expect(job.result.mapping).toBe('fragments');
    expect(same((await readAll(join(scratch, 'fragments.precomputed'))).data, frags)).toBe(true);
    const csv = readFileSync(join(scratch, 'fragments.precomputed', 'mapping.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('fragment_id,segment_id');
    for (const row of csv.slice(1)) {
      const [f, s] = row.split(',').map(Number);
      expect(s).toBe(segmentOf(f));
    }
    const props = JSON.parse(readFileSync(join(scratch, 'fragments.precomputed', 'segment_properties', 'info'), 'utf8')).inline;
    const seg = props.properties.find((p: { id: string }) => p.id === 'segment');
    expect(seg.values).toEqual(props.ids.map((f: string) => segmentOf(Number(f))));
  });

  it('exports the segment table, meshes and the model', async () => {
    let before = await jobIds();
    await openExport('fragments');
    await page.getByTestId('export-tab-segments').click();
    await page.getByTestId('export-segments-path').fill(join(scratch, 'segments.csv'));
    await page.getByTestId('export-segments-submit').click();
    expect((await nextJob(before)).result.segments).toBe(4);
    const rows = readFileSync(join(scratch, 'segments.csv'), 'utf8').trim().split('\r\n');
    expect(rows[0]).toBe('id,name,color,status,notes,voxel_count,locked,fragment_ids');
    expect(rows.slice(1).map((r) => Number(r.split(',')[0]))).toEqual([500, 501, 502, 503]);

    before = await jobIds();
    await openExport('fragments');
    await page.getByTestId('export-tab-meshes').click();
    await page.getByTestId('export-meshes-ids').fill('501, 502');
    await page.getByTestId('export-meshes-merged').click();
    await page.getByTestId('export-meshes-path').fill(join(scratch, 'meshes.ply'));
    await screenshot(page, 'exports-meshes-dialog');
    await page.getByTestId('export-meshes-submit').click();
    const meshes = await nextJob(before);
    expect(meshes.result.segments.map((s: { id: number }) => s.id)).toEqual([501, 502]);
    expect(readFileSync(join(scratch, 'meshes.ply')).subarray(0, 200).toString()).toMatch(/^ply\nformat binary_little_endian 1\.0\n/);

    before = await jobIds();
    await openExport('em');
    await page.getByTestId('export-tab-model').click();
    await page.getByTestId('export-model-path').fill(join(scratch, 'model.onnx'));
    await screenshot(page, 'exports-model-dialog');
    await page.getByTestId('export-model-submit').click();
    const model = await nextJob(before);
    expect(model.result.maxAbsDifference).toBeLessThan(1e-4);
    const session = await ort.InferenceSession.create(join(scratch, 'model.onnx'));
    expect(session.inputNames).toEqual(['raw']);
    expect(session.outputNames).toEqual(['affinities']);
    await session.release();
  });

  it('shows why an export cannot start, and leaves nothing behind', async () => {
    await openExport('em');
    await page.getByTestId('export-path').fill(join(scratch, 'em.tif'));
    await page.getByTestId('export-submit').click();
    await expect.poll(() => page.getByTestId('export-error').textContent()).toContain('already exists');
    await page.keyboard.press('Escape');
    expect(existsSync(join(scratch, 'em.tif'))).toBe(true);
    const partial = execFileSync('ls', ['-a', scratch]).toString().split('\n').filter((n) => n.includes('.partial-'));
    expect(partial).toEqual([]);
  });
});
