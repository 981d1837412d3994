/// <reference lib="dom" />
/**
 * The proofread -> retrain loop clicked through the browser-mode UI on real data
 * (../shared/data/cardona2010, 30x512x512): import raw + neurites, mark segments done, fine-tune
 * `tiny` for a few steps from the dialog, segment the region in view with the new model, and
 * score it against the labels in the Quality view. Prints timings, saves screenshots under
 * test-output/screenshots/cardona-*.png, fails loudly on any step that does not happen.
 *
 *   npm run build && npx tsx bench/finetune-loop-ui.ts [--steps 8] [--done 30]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCall, idle } from '../tests/e2e/proofreading-page';
import { launchBrowser, ROOT, screenshot, serveApp } from '../tests/helpers/browser-mode';

const DATA = join(ROOT, '..', 'shared', 'data', 'cardona2010');
const argv = process.argv.slice(2);
const opt = (name: string, dflt: number) => (argv.includes(`--${name}`) ? Number(argv[argv.indexOf(`--${name}`) + 1]) : dflt);
const STEPS = opt('steps', 8);
const DONE = opt('done', 30);

if (!existsSync(join(DATA, 'raw.tif'))) {
  console.log(`SKIPPED: ${DATA} not found`);
  process.exit(0);
}

async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(v)})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'tu-loop-ui-'));
const project = join(scratch, 'cardona');
const cli = join(ROOT, 'out', 'main', 'cli.js');
const t0 = Date.now();
const lap = (label: string, since: number) => console.log(`${label}: ${((Date.now() - since) / 1000).toFixed(1)} s`);
console.log(`machine: ${cpus()[0].model}, ${cpus().length} cores; ${STEPS} fine-tuning steps, ${DONE} segments marked done`);
execFileSync(process.execPath, [cli, 'import', project, join(DATA, 'raw.tif'), '--as', 'image', '--name', 'raw', '--resolution', '50,4,4'], { stdio: 'pipe' });
execFileSync(process.execPath, [cli, 'import', project, join(DATA, 'neurites.tif'), '--as', 'labels', '--name', 'neurites', '--resolution', '50,4,4'], { stdio: 'pipe' });
lap('import raw + neurites (CLI)', t0);

const app = await serveApp({ projectDir: project });
const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (e) => console.error('[pageerror]', e.message));
  let t = Date.now();
  await page.goto(app.url);
  await page.waitForFunction(() => (window as any).__tuViewer?.layers.length === 2, null, { timeout: 60_000 });
  await page.waitForFunction(() => (window as any).__tuProofreading?.session.state.get().indexed === true, null, { timeout: 120_000 });
  lap('open the project in the UI (segments indexed)', t);
  const labelsId: string = await page.evaluate(() => (window as any).__tuViewer.layers.find((l: any) => l.name === 'neurites').id);

  // One segment through the Segments panel, the next largest through the API.
  await page.getByTestId('segment-row').first().click();
  await page.getByTestId('segment-status').getByText('Done').click();
  const list = await apiCall<{ segments: { id: number; status: string }[] }>(page, 'segments.list', { layerId: labelsId, sort: 'size', descending: true, limit: DONE });
  for (const s of list.segments) if (s.status !== 'done') await apiCall(page, 'segments.update', { layerId: labelsId, id: s.id, status: 'done' });

  await page.getByRole('tab', { name: 'Models' }).click();
  await page.getByTestId('open-finetune').click();
  const dialog = page.getByTestId('finetune-dialog');
  t = Date.now();
  await dialog.getByTestId('ft-summary').waitFor({ timeout: 120_000 });
  lap('training data summary in the dialog', t);
  const objects = Number(await dialog.getByTestId('ft-summary').getAttribute('data-objects'));
  const voxels = Number(await dialog.getByTestId('ft-summary').getAttribute('data-voxels'));
  console.log(`dialog: ${objects} objects, ${voxels} labelled voxels; ${await dialog.getByTestId('ft-device').textContent()}`);
  if (objects < DONE) throw new Error(`the dialog counts ${objects} objects, expected at least ${DONE}`);
  await dialog.getByTestId('ft-advanced-toggle').click();
  await dialog.getByTestId('ft-steps').fill(String(STEPS));
  await dialog.getByTestId('ft-validate-every').fill(String(Math.max(1, Math.floor(STEPS / 2))));
  await page.waitForTimeout(400);
  await screenshot(page, 'cardona-finetune-dialog');

  t = Date.now();
  await page.getByTestId('ft-start').click();
  const monitor = page.getByTestId('training-monitor');
  await monitor.waitFor({ timeout: 60_000 });
  const run = (await monitor.getAttribute('data-run'))!;
  await until('two loss points', async () => Number(await page.getByTestId('chart-loss').getAttribute('data-points')), (n) => n >= 2, 600_000);
  await screenshot(page, 'cardona-finetune-training');
  await until('the run to finish', () => monitor.getAttribute('data-state'), (s) => s === 'finished', 1_800_000);
  lap(`fine-tune ${STEPS} steps from the dialog (data snapshot, graph, validation)`, t);
  const done = (await apiCall<any[]>(page, 'studio.runs', {})).find((r) => r.id === run);
  console.log(`run ${run}: ${done.step} steps, best validation ${JSON.stringify(done.best)}`);
  await screenshot(page, 'cardona-finetune-finished');

  await page.getByTestId('models-view').getByText(/Library/).click();
  const card = page.locator(`[data-testid="model-card"][data-model="${run}"]`);
  await card.waitFor({ timeout: 30_000 });
  await card.getByTestId('model-segment').click();
  const seg = page.getByTestId('segment-dialog');
  await seg.getByTestId('seg-start').waitFor();
  await seg.getByTestId('seg-name').fill('auto');
  t = Date.now();
  await seg.getByTestId('seg-start').click();
  const job = await until(
    'the segmentation job',
    async () => (await apiCall<any[]>(page, 'jobs.list', {})).find((j) => j.kind === 'studio.segment'),
    (j) => !!j && j.state !== 'queued' && j.state !== 'running',
    1_800_000,
  );
  if (job.state !== 'succeeded') throw new Error(`segmentation ${job.state}: ${job.error}`);
  await page.waitForFunction(() => (window as any).__tuViewer.layers.some((l: any) => l.name === 'auto-fragments'), null, { timeout: 60_000 });
  await page.waitForFunction(() => (window as any).__tuProofreading.session.state.get().indexed === true, null, { timeout: 120_000 });
  lap('segment the region in view with the new model (infer, watershed, agglomerate, index)', t);
  await idle(page);
  await screenshot(page, 'cardona-segmented');

  await page.getByRole('tab', { name: 'Models' }).click();
  await page.getByTestId('models-view').getByText('Quality').click();
  const panel = page.getByTestId('quality-panel');
  await panel.getByTestId('quality-layer').click();
  await page.getByRole('option', { name: 'auto-fragments' }).click();
  await panel.getByTestId('quality-reference').click();
  await page.getByRole('option', { name: 'neurites' }).click();
  t = Date.now();
  await panel.getByTestId('quality-start').click();
  await panel.getByTestId('quality-state').waitFor({ timeout: 120_000 });
  lap('quality vs neurites in the UI', t);
  const voi = await panel.getByTestId('quality-voi').textContent();
  const arand = await panel.getByTestId('quality-arand').textContent().catch(() => '?');
  console.log(`quality of auto-fragments vs neurites (labels as they are): VOI ${voi}, ARAND ${arand}`);
  await page.mouse.move(700, 20);
  await screenshot(page, 'cardona-quality');
  lap('whole walkthrough', t0);
} finally {
  await browser.close();
  await app.stop();
  rmSync(scratch, { recursive: true, force: true });
}
