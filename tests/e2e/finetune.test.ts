/// <reference lib="dom" />
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchBrowser, ROOT, screenshot, serveApp, type ServedApp } from '../helpers/browser-mode';
import { apiCall, idle } from './proofreading-page';

/**
 * The proofread -> retrain loop in the browser-mode UI on a small demo project: mark segments
 * done, fine-tune a tiny model for a few steps (progress, live charts), pause and resume, the
 * live preview, segment the region in view with the new model, compare it with the previous
 * segmentation, and track VOI / ARAND against the demo ground truth through an edit.
 */

const SHAPE = [16, 128, 128] as const;
const STEPS = 6;
/** Segments marked done: fewer than the 10 objects the dialog asks for, so it warns. */
const DONE = 8;

describe.runIf(chromiumAvailable())('browser mode: fine-tune on my corrections', () => {
  let app: ServedApp;
  let browser: Browser;
  let page: Page;
  let scratch: string;
  let gtId: string;
  let run: string;
  let modelId: string;
  let fragmentsId: string;
  let flatId: string;

  /** The steps build on each other: after a failure the rest is skipped. */
  let broken = false;
  beforeEach((ctx) => {
    if (broken) ctx.skip();
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    broken = true;
    await screenshot(page, 'finetune-failure').catch(() => undefined);
    const jobs = await apiCall<any[]>(page, 'jobs.list', {}).catch(() => []);
    const ui = await page
      .evaluate(() => ({
        active: (window as any).__tuViewer.state.get().activeLabelLayer,
        session: (window as any).__tuProofreading.session.state.get(),
        layers: (window as any).__tuViewer.layers.map((l: any) => [l.id, l.name]),
      }))
      .catch((e) => String(e));
    console.error('[finetune e2e] ui:', JSON.stringify(ui));
    console.error('[finetune e2e] jobs:', JSON.stringify(jobs.map((j) => [j.kind, j.state, j.message, j.error])), '\n[serve log]', app.log().slice(-3000));
  });

  const monitor = () => page.getByTestId('training-monitor');
  const openTab = async (name: string) => {
    await page.getByRole('tab', { name }).click();
  };

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'tu-finetune-'));
    const projectDir = join(scratch, 'demo');
    execFileSync(process.execPath, [join(ROOT, 'out', 'main', 'cli.js'), 'demo', projectDir, '--size', SHAPE.join(',')], { stdio: 'pipe' });
    app = await serveApp({ projectDir });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => console.error('[pageerror]', e.message));
    await page.goto(app.url);
    await page.waitForFunction(() => (window as any).__tuViewer?.layers.length === 2, null, { timeout: 20_000 });
    await page.waitForFunction(() => (window as any).__tuProofreading?.session.state.get().indexed === true, null, { timeout: 30_000 });
    gtId = await page.evaluate(() => (window as any).__tuViewer.layers.find((l: any) => l.name === 'ground-truth').id);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('marks segments done and shows what fine-tuning would train on, with warnings', async () => {
    // One segment through the Segments panel (select its row, status Done) ...
    await page.getByTestId('segment-row').first().click();
    await page.getByTestId('segment-status').getByText('Done').click();
    // ... the other large ones through the API.
    const list = await apiCall<{ segments: { id: number; status: string }[] }>(page, 'segments.list', { layerId: gtId, sort: 'size', descending: true, limit: DONE });
    expect(list.segments.filter((s) => s.status === 'done')).toHaveLength(1);
    for (const s of list.segments) if (s.status !== 'done') await apiCall(page, 'segments.update', { layerId: gtId, id: s.id, status: 'done' });

    await openTab('Models');
    await page.getByTestId('device-summary').waitFor();
    expect(await page.getByTestId('device-summary').textContent()).toMatch(/CPU \(\d+ threads\)/);
    await page.getByTestId('open-finetune').click();
    const dialog = page.getByTestId('finetune-dialog');
    await dialog.getByTestId('ft-summary').waitFor({ timeout: 30_000 });
    const voxels = Number(await dialog.getByTestId('ft-summary').getAttribute('data-voxels'));
    const objects = Number(await dialog.getByTestId('ft-summary').getAttribute('data-objects'));
    expect(objects).toBe(DONE + (list.segments.some((s) => s.status === 'done') ? 0 : 1));
    expect(voxels).toBeGreaterThan(10_000);
    // Few objects for a real model: warned, not refused.
    expect(await dialog.getByTestId('ft-warning').count()).toBeGreaterThan(0);
    expect(await dialog.getByTestId('ft-device').textContent()).toMatch(/Runs on: CPU/);
    await dialog.getByTestId('ft-advanced-toggle').click();
    await dialog.getByTestId('ft-steps').fill(String(STEPS));
    await dialog.getByTestId('ft-validate-every').fill('3');
    await page.waitForTimeout(400);
    await screenshot(page, 'finetune-dialog');
  });

  it('fine-tunes: progress and live loss chart, pause keeps a checkpoint, resume finishes with validation curves', async () => {
    await page.getByTestId('ft-start').click();
    await monitor().waitFor({ timeout: 20_000 });
    run = (await monitor().getAttribute('data-run'))!;
    expect(run).toMatch(/^finetune-/);
    // The loss chart fills as steps finish.
    await expect.poll(async () => Number(await page.getByTestId('chart-loss').getAttribute('data-points')), { timeout: 120_000, interval: 250 }).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('run-device').textContent()).toMatch(/Device: CPU/);
    await screenshot(page, 'finetune-training');
    await page.getByTestId('run-pause').click();
    await expect.poll(() => monitor().getAttribute('data-state'), { timeout: 60_000 }).toBe('stopped');
    const paused = (await apiCall<any[]>(page, 'studio.runs', {})).find((r) => r.id === run);
    expect(paused.step).toBeGreaterThanOrEqual(2);
    expect(paused.step).toBeLessThan(STEPS);

    // The live preview runs the paused run's checkpoint on the view.
    await page.getByTestId('preview-run').click();
    await page.getByTestId('preview-status').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('preview-status').textContent()).toMatch(new RegExp(`run ${run}, step ${paused.step}`));
    await page.mouse.move(700, 20);
    await idle(page);
    await screenshot(page, 'finetune-preview');
    await page.getByTestId('preview-visible').click({ force: true });
    await expect.poll(() => page.evaluate(() => (window as any).__tuStudio.preview.state.get().visible)).toBe(false);

    await page.getByTestId('run-resume').click();
    await expect.poll(() => monitor().getAttribute('data-state'), { timeout: 180_000, interval: 500 }).toBe('finished');
    await expect.poll(async () => Number(await page.getByTestId('chart-loss').getAttribute('data-points')), { timeout: 10_000 }).toBe(STEPS);
    await expect.poll(async () => Number(await page.getByTestId('chart-val').getAttribute('data-points')), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    const done = (await apiCall<any[]>(page, 'studio.runs', {})).find((r) => r.id === run);
    expect(done).toMatchObject({ state: 'finished', step: STEPS });
    modelId = done.modelId;
    const curve = await apiCall<any[]>(page, 'pipeline.curve', { run });
    expect(curve.filter((p) => p.split === 'train').map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6]);
    await page.getByTestId('run-best').waitFor();
    await screenshot(page, 'finetune-finished');
  });

  it('shows the new model in the library with its provenance', async () => {
    await page.getByTestId('models-view').getByText(/Library/).click();
    const card = page.locator(`[data-testid="model-card"][data-model="${run}"]`);
    await card.waitFor();
    expect(await card.getAttribute('data-kind')).toBe('fine-tuned');
    await card.getByText(run, { exact: true }).click();
    await card.getByText('Training data').waitFor();
    expect(await card.textContent()).toMatch(/ground-truth: \d+ done segments/);
    await page.waitForTimeout(400); // the details' opening transition
    await screenshot(page, 'finetune-library');
  });

  it('segments the region in view with the new model into a proofreadable layer and compares it with the previous one', async () => {
    await card().getByTestId('model-segment').click();
    const dialog = page.getByTestId('segment-dialog');
    await dialog.getByTestId('seg-start').waitFor();
    await dialog.getByTestId('seg-name').fill('auto');
    await dialog.getByTestId('seg-start').click();
    await dialog.waitFor({ state: 'hidden', timeout: 180_000 });
    await page.waitForFunction(() => (window as any).__tuViewer.layers.some((l: any) => l.name === 'auto-fragments'), null, { timeout: 20_000 });
    const layers = await page.evaluate(() => (window as any).__tuViewer.layers.map((l: any) => ({ id: l.id, name: l.name, kind: l.kind })));
    expect(layers.map((l: any) => l.name)).toEqual(expect.arrayContaining(['auto-aff-z', 'auto-aff-y', 'auto-aff-x', 'auto-fragments', 'auto']));
    fragmentsId = layers.find((l: any) => l.name === 'auto-fragments').id;
    flatId = layers.find((l: any) => l.name === 'auto').id;
    // The new layer is the edited one, indexed for proofreading.
    await page.waitForFunction((id) => (window as any).__tuProofreading.session.state.get().layerId === id, fragmentsId, { timeout: 20_000 });
    await page.waitForFunction(() => (window as any).__tuProofreading.session.state.get().indexed === true, null, { timeout: 30_000 });

    await openTab('Models');
    await page.getByTestId('models-view').getByText('Quality').click();
    const compare = page.getByTestId('compare-control');
    await compare.getByText('Show A').click();
    await expect.poll(() => compare.getAttribute('data-showing')).toBe('a');
    const shown = await page.evaluate(([a, b]) => {
      const d = (window as any).__tuViewer.displays.get();
      return [d[a].visible, d[b].visible];
    }, [gtId, fragmentsId]);
    expect(shown).toEqual([true, false]);
    await idle(page);
    await screenshot(page, 'finetune-compare-previous');
    await compare.getByTestId('compare-swap').click();
    await expect.poll(() => compare.getAttribute('data-showing')).toBe('b');
    await idle(page);
    await screenshot(page, 'finetune-compare-new');
  });

  it('tracks VOI and ARAND of the new segmentation against the demo ground truth as it is edited', async () => {
    const panel = page.getByTestId('quality-panel');
    await panel.getByTestId('quality-layer').click();
    await page.getByRole('option', { name: 'auto-fragments' }).click();
    await panel.getByTestId('quality-reference').click();
    await page.getByRole('option', { name: 'ground-truth' }).click();
    await panel.getByTestId('quality-start').click();
    await panel.getByTestId('quality-state').waitFor({ timeout: 30_000 });
    const shownVoi = Number(await panel.getByTestId('quality-voi').textContent());
    // The pipeline's independent streaming evaluation of the flat layer (same segments) agrees.
    const job = await apiCall<any>(page, 'pipeline.evaluate', { gt: { layer: gtId }, seg: { layer: flatId } });
    await expect.poll(async () => (await apiCall<any[]>(page, 'jobs.list', {})).find((j) => j.id === job.id)?.state, { timeout: 60_000 }).toBe('succeeded');
    const evaluated = (await apiCall<any[]>(page, 'jobs.list', {})).find((j) => j.id === job.id).result;
    expect(Math.abs(shownVoi - evaluated.voi)).toBeLessThan(1e-4);

    // Paint a new segment into it (a few steps of training leave big segments): the split term
    // rises, a point is added to the history chart, and the value equals the tracker's.
    const splitBefore = Number(await panel.getByTestId('quality-voi-split').textContent());
    const pointsBefore = Number(await panel.getByTestId('quality-state').getAttribute('data-points'));
    const { id } = await apiCall<{ id: number }>(page, 'segments.allocate', { layerId: fragmentsId });
    await apiCall(page, 'edits.paint', { layerId: fragmentsId, segmentId: id, axis: 'z', points: [[8, 40, 30], [8, 40, 90]], radius: 6 });
    await expect.poll(async () => Number(await panel.getByTestId('quality-state').getAttribute('data-points')), { timeout: 20_000 }).toBe(pointsBefore + 1);
    await expect.poll(async () => Number(await panel.getByTestId('quality-voi-split').textContent()), { timeout: 10_000 }).toBeGreaterThan(splitBefore);
    const state = await apiCall<any>(page, 'studio.quality.get', { layerId: fragmentsId, referenceId: gtId });
    expect(Number(await panel.getByTestId('quality-voi').textContent())).toBeCloseTo(state.current.voi, 4);
    expect(state.points.at(-1).label).toMatch(/Paint/);
    await page.mouse.move(700, 20);
    await screenshot(page, 'finetune-quality');
  });

  it('shows the run and its curves again after a reload', async () => {
    await page.reload();
    await page.waitForFunction(() => (window as any).__tuViewer?.layers.length > 2, null, { timeout: 20_000 });
    await openTab('Models');
    await monitor().waitFor();
    expect(await monitor().getAttribute('data-run')).toBe(run);
    await expect.poll(async () => Number(await page.getByTestId('chart-loss').getAttribute('data-points')), { timeout: 10_000 }).toBe(STEPS);
    expect(modelId).toBeTruthy();
    await screenshot(page, 'finetune-after-reload');
  });

  function card() {
    return page.locator(`[data-testid="model-card"][data-model="${run}"]`);
  }
});
