/**
 * The proofread -> retrain loop on real data (issue 8), through the app's API:
 *   1. quality against a reference: the first full computation, then per edit the incremental
 *      update (only the chunks an edit rewrote; mapping only for merges) against a full
 *      recomputation of the same metrics (read both volumes + native metrics), and the replay
 *      of the edit history;
 *   2. training data from proofreading: planning (counts, split) and the frozen snapshot;
 *   3. fine-tuning `tiny` on the corrections for a few steps (s/step), the live preview
 *      (first call builds the network, then cached), segmenting a region with the new model,
 *      and its VOI / ARAND against the labels.
 *
 *   npx tsx bench/finetune-loop.bench.ts [--steps N] [--no-train]
 *
 * Data: ../shared/data/cardona2010 (raw.tif 30x512x512 uint8, neurites.tif instance ids); the
 * benchmark is skipped with a notice when it is absent. Labels are scored as they are (ids that
 * split into several 3D pieces count as one object).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { handlers } from '../src/main/api/handlers';
import { createRouter } from '../src/main/api/router';
import { AppContext } from '../src/main/context';
import { evaluateSegmentation } from '../src/main/segmentation/index';
import { stopPreviewWorker } from '../src/main/studio-ml/preview';
import { qualityService } from '../src/main/studio-ml/quality/service';
import type { Vec3 } from '../src/main/volumes/box';
import { volumeService } from '../src/main/volumes/handlers';

const DATA = join(import.meta.dirname, '..', '..', 'shared', 'data', 'cardona2010');
const argv = process.argv.slice(2);
const STEPS = Number(argv[argv.indexOf('--steps') + 1]) > 0 && argv.includes('--steps') ? Number(argv[argv.indexOf('--steps') + 1]) : 20;
const TRAIN = !argv.includes('--no-train');
const EDITS = 20;

if (!existsSync(join(DATA, 'raw.tif'))) {
  console.log(`SKIPPED: ${DATA} not found (the benchmark needs the cardona2010 volume)`);
  process.exit(0);
}

const work = mkdtempSync(join(tmpdir(), 'tu-loop-bench-'));
const ctx = new AppContext({ mode: 'browser', userDataDir: join(work, 'user') });
const dispatch = createRouter(handlers, ctx);
async function call(method: string, params: unknown = {}): Promise<any> {
  const r = await dispatch(method, params);
  if (!r.ok) throw new Error(`${method}: ${r.error.message}`);
  return r.result;
}
async function job(info: { id: string }): Promise<any> {
  const done = await ctx.jobs.wait(info.id);
  if (done.state !== 'succeeded') throw new Error(`${done.title}: ${done.state} ${done.error ?? ''}`);
  return done.result;
}
const ms = (t0: number) => Date.now() - t0;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows: [string, string][] = [];
const row = (k: string, v: string) => {
  rows.push([k, v]);
  console.log(`${k}: ${v}`);
};

try {
  console.log(`machine: ${cpus()[0].model}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  await call('projects.create', { path: join(work, 'p') });
  const project = ctx.requireProject();
  await job(await call('layers.import', { path: join(DATA, 'raw.tif'), as: 'image', name: 'raw', resolution: [50, 4, 4] }));
  await job(await call('layers.import', { path: join(DATA, 'neurites.tif'), as: 'labels', name: 'neurites', resolution: [50, 4, 4] }));
  await job(await call('layers.import', { path: join(DATA, 'neurites.tif'), as: 'labels', name: 'proofread', resolution: [50, 4, 4] }));
  const layers = await call('layers.list');
  const id = (name: string) => layers.find((l: any) => l.name === name).id;
  const shape = layers.find((l: any) => l.name === 'raw').shape as Vec3;
  for (const name of ['neurites', 'proofread']) {
    const prep = await call('proofreading.prepare', { layerId: id(name) });
    if (prep.job) await job(prep.job);
  }
  const quality = qualityService(ctx);

  // 1. quality: first computation, incremental updates vs full recomputation, history replay.
  let t0 = Date.now();
  const started = await call('studio.quality.start', { layerId: id('proofread'), referenceId: id('neurites') });
  row('quality: first full computation (30x512x512, 64^3 chunks)', `${ms(t0)} ms`);
  const incremental: { paint: number[]; merge: number[] } = { paint: [], merge: [] };
  const chunks: number[] = [];
  const full: number[] = [];
  const service = volumeService(project);
  const box = { min: [0, 0, 0] as Vec3, max: shape };
  const segs = (await call('segments.list', { layerId: id('proofread'), sort: 'size', descending: true, limit: 2 * EDITS })).segments.map((s: any) => s.id);
  for (let e = 0; e < EDITS; e++) {
    if (e % 2 === 0) {
      const { id: fresh } = await call('segments.allocate', { layerId: id('proofread') });
      const y = 40 + 20 * e;
      await call('edits.paint', { layerId: id('proofread'), segmentId: fresh, axis: 'z', points: [[e % shape[0], y, 60], [e % shape[0], y, 300]], radius: 6 });
    } else await call('edits.merge', { layerId: id('proofread'), target: segs[e], source: segs[e + EDITS], confirm: true });
    await quality.settled();
    const state = await call('studio.quality.get', { layerId: id('proofread'), referenceId: id('neurites') });
    incremental[e % 2 === 0 ? 'paint' : 'merge'].push(state.lastUpdate.milliseconds);
    if (e % 2 === 0) chunks.push(state.lastUpdate.chunks);
    const t2 = Date.now();
    const seg = await service.readRegion(id('proofread'), 0, box);
    const ref = await service.readRegion(id('neurites'), 0, box);
    const m = await evaluateSegmentation(ref as Uint32Array, seg as Uint32Array);
    full.push(ms(t2));
    if (Math.abs(m.voi - state.current.voi) > 1e-9) throw new Error(`incremental VOI ${state.current.voi} differs from full ${m.voi}`);
  }
  row(
    `quality: update after an edit, median of ${EDITS / 2} brush strokes / ${EDITS / 2} merges (plain layer: voxels rewritten)`,
    `${median(incremental.paint)} ms (${median(chunks)} chunks re-counted) / ${median(incremental.merge)} ms, vs ${median(full)} ms for a full recomputation of the same values (native metrics on the whole volume); equal to 1e-9`,
  );
  quality.stop(id('proofread'), id('neurites'));
  t0 = Date.now();
  const replayed = await call('studio.quality.start', { layerId: id('proofread'), referenceId: id('neurites') });
  row(`quality: start with the history replayed (${replayed.points.length - 1} edits)`, `${ms(t0)} ms (first start without edits: ${started.lastUpdate.milliseconds} ms)`);
  row('quality: VOI before the edits -> after', `${replayed.points[0].metrics.voi.toFixed(4)} -> ${replayed.current.voi.toFixed(4)} (ARAND ${replayed.points[0].metrics.arand.toFixed(4)} -> ${replayed.current.arand.toFixed(4)})`);

  // 2. training data from proofreading.
  const done = (await call('segments.list', { layerId: id('neurites'), sort: 'size', descending: true, limit: 60 })).segments.map((s: any) => s.id);
  for (const s of done) await call('segments.update', { layerId: id('neurites'), id: s, status: 'done' });
  t0 = Date.now();
  const summary = await call('studio.trainingData', { labels: id('neurites'), image: id('raw') });
  row('training data: plan (60 done segments)', `${ms(t0)} ms: ${summary.labeledVoxels} labelled voxels, ${summary.objects} objects; train ${summary.train.voxels} / validation ${summary.validation.voxels} voxels; warnings: ${summary.warnings.length}`);

  if (TRAIN) {
    // 3. fine-tune, preview, segment, score.
    t0 = Date.now();
    const ft = await call('studio.finetune', { labels: id('neurites'), image: id('raw'), name: 'bench', preset: 'tiny', crop: [16, 80, 80], steps: STEPS, validateEvery: Math.max(1, Math.floor(STEPS / 2)) });
    const result = await job(ft.job);
    row(`fine-tune tiny, ${STEPS} steps, 16x80x80 crops`, `${(ms(t0) / 1000).toFixed(1)} s in all (snapshot, graph, validation included), ${result.stepSeconds?.toFixed(2)} s/step; best validation VOI ${result.best?.voi?.toFixed(3)} ARAND ${result.best?.arand?.toFixed(3)} at threshold ${result.best?.threshold}`);
    const view = { min: [8, 128, 128], max: [24, 384, 384] };
    t0 = Date.now();
    const p1 = await call('studio.preview', { run: 'bench', image: id('raw'), box: view, segment: true });
    const first = ms(t0);
    t0 = Date.now();
    await call('studio.preview', { run: 'bench', image: id('raw'), box: view, segment: true });
    row('live preview of the checkpoint on a view region', `${first} ms first (network built), ${ms(t0)} ms again; region ${p1.box.min.join(',')} - ${p1.box.max.join(',')}`);
    t0 = Date.now();
    const region = { min: [0, 0, 0], max: [30, 256, 256] };
    const seg = await job(await call('studio.segment', { model: result.modelId, image: id('raw'), name: 'auto', region }));
    row('segment 30x256x256 with the new model (affinities, fragments, mapping, index)', `${(ms(t0) / 1000).toFixed(1)} s; ${seg.segmentation.segments} segments from ${seg.fragments.count} fragments at threshold ${seg.threshold}`);
    const q = await call('studio.quality.start', { layerId: seg.fragments.id, referenceId: id('neurites'), region });
    row('its quality vs the neurite labels (region)', `VOI ${q.current.voi.toFixed(3)} (split ${q.current.voiSplit.toFixed(3)}, merge ${q.current.voiMerge.toFixed(3)}), ARAND ${q.current.arand.toFixed(3)}`);
  }
  console.log('\n| measurement | result |\n| --- | --- |');
  for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
} finally {
  await stopPreviewWorker();
  await ctx.dispose();
  rmSync(work, { recursive: true, force: true });
}
