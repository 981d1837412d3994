/// <reference lib="dom" />
/**
 * Proofreading UI benchmark (issue 4): in headless Debian chromium (SwiftShader WebGL2) on a
 * demo project, the latency from a pointer event to the first frame whose pixels show it:
 *   - brush: a pointermove during a stroke -> the stroke drawn in the XY pane's overlay
 *     (the optimistic drawing; the edit is sent at pointer-up),
 *   - baseline, same page and run: a bare canvas whose pointermove handler draws a square at
 *     once (the floor for any canvas overlay: the next frame),
 *   - commit: pointer-up -> the server's answer to edits.paint -> the first frame whose WebGL
 *     label pixels show the stored stroke (chunk refetched and redrawn).
 * Pixels are read back in requestAnimationFrame callbacks queued after the event's handlers
 * (2D canvas getImageData for overlays, WebGL readPixels for labels).
 *
 *   npx electron-vite build && npx tsx bench/proofreading-ui.bench.ts [--size 32,256,256] [--moves 80] [--strokes 20]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { launchBrowser, ROOT, serveApp } from '../tests/helpers/browser-mode';
import { idle, opaqueLabels, voxelOnPage, type Vec3 } from '../tests/e2e/proofreading-page';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '32,256,256' },
    moves: { type: 'string', default: '80' },
    strokes: { type: 'string', default: '20' },
  },
});
const SHAPE = values.size!.split(',').map(Number) as Vec3;
const MOVES = Number(values.moves);
const STROKES = Number(values.strokes);
const Z = Math.floor(SHAPE[0] / 2);

function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
const ms = (x: number) => `${x.toFixed(1)} ms`;

/** In the page: record, for each armed pointer event, ms until a probe pixel changes. */
async function installProbe(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as any;
    w.__lat = { samples: [] as number[], armed: null as null | { read: () => number[]; before: number[] } };
    // Bubble phase on window: runs after the viewer's (or the baseline canvas') own handler,
    // so the rAF queued here runs after the one that draws.
    window.addEventListener('pointermove', (e) => {
      const armed = w.__lat.armed;
      if (!armed || !(e.buttons & 1)) return;
      w.__lat.armed = null;
      const t0 = e.timeStamp;
      const check = () => {
        const now = armed.read();
        if (now.some((v: number, i: number) => Math.abs(v - armed.before[i]) > 10)) w.__lat.samples.push(performance.now() - t0);
        else requestAnimationFrame(check);
      };
      requestAnimationFrame(check);
    });
  });
}

/** Arms the probe on a pixel (CSS px relative to the canvas) of a 2D canvas found by selector. */
async function arm2d(page: Page, selector: string, x: number, y: number): Promise<void> {
  await page.evaluate(
    ([selector, x, y]) => {
      const c = document.querySelector(selector) as HTMLCanvasElement;
      const dpr = c.width / c.getBoundingClientRect().width;
      const ctx = c.getContext('2d')!;
      const read = () => Array.from(ctx.getImageData(Math.floor(x * dpr), Math.floor(y * dpr), 1, 1).data);
      // Read before the event: a handler that draws at once has drawn by the time a window listener runs.
      (window as any).__lat.armed = { read, before: read() };
    },
    [selector, x, y] as const,
  );
}

async function samples(page: Page): Promise<number> {
  return page.evaluate(() => (window as any).__lat.samples.length);
}

/**
 * Pointer moves in dragged strokes (one stroke per row of 10 moves, rows `stepPx` apart, so
 * each move paints a fresh spot), measuring the latency of each move.
 */
async function measureMoves(page: Page, n: number, start: { x: number; y: number }, stepPx: number, arm: (x: number, y: number) => Promise<void>): Promise<number[]> {
  await page.evaluate(() => ((window as any).__lat.samples = []));
  for (let i = 0; i < n; i++) {
    const col = i % 10;
    const y = start.y + Math.floor(i / 10) * stepPx;
    if (col === 0) {
      await page.mouse.move(start.x, y);
      await page.mouse.down();
    }
    const x = start.x + (col + 1) * stepPx;
    await arm(x, y);
    const before = await samples(page);
    await page.mouse.move(x, y);
    await page.waitForFunction((k) => (window as any).__lat.samples.length > k, before, { timeout: 10_000, polling: 5 });
    if (col === 9 || i === n - 1) await page.mouse.up();
  }
  return page.evaluate(() => (window as any).__lat.samples as number[]);
}

async function main() {
  const scratch = mkdtempSync(join(tmpdir(), 'tu-prui-bench-'));
  const projectDir = join(scratch, 'demo');
  execFileSync(process.execPath, [join(ROOT, 'out', 'main', 'cli.js'), 'demo', projectDir, '--size', SHAPE.join(',')], { stdio: 'ignore' });
  const app = await serveApp({ projectDir });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => console.error('[pageerror]', e.message));
    // tsx keeps function names with a helper the page does not have.
    await page.addInitScript('window.__name = (f) => f');
    await page.goto(app.url);
    await page.waitForFunction(() => (window as any).__tuViewer?.layers.length === 2, null, { timeout: 30_000 });
    await page.waitForFunction(() => (window as any).__tuProofreading?.session.state.get().indexed === true, null, { timeout: 120_000 });
    const layerId: string = await page.evaluate(() => (window as any).__tuViewer.layers.find((l: any) => l.name === 'ground-truth').id);
    await page.evaluate((p) => (window as any).__tuViewer.moveTo(p), [Z + 0.5, SHAPE[1] / 2, SHAPE[2] / 2]);
    await opaqueLabels(page, layerId, 0.6);
    await idle(page);
    await installProbe(page);
    const pane = (await page.getByTestId('pane-xy').boundingBox())!;
    const ppv: number = await page.evaluate(() => (window as any).__tuViewer.projection('xy').pixelsPerVoxel.h);
    const step = Math.max(12 * ppv, 14);
    const origin = await voxelOnPage(page, 'xy', [Z, Math.floor(SHAPE[1] * 0.2), Math.floor(SHAPE[2] * 0.15)]);

    // Baseline: a bare canvas over the XY pane drawing at once in its pointermove handler.
    const baseline = async (n: number) => {
      await page.evaluate((r) => {
        const c = document.createElement('canvas');
        c.id = 'baseline-canvas';
        Object.assign(c.style, { position: 'fixed', left: `${r.x}px`, top: `${r.y}px`, width: `${r.width}px`, height: `${r.height}px`, zIndex: '1000' });
        c.width = Math.round(r.width * devicePixelRatio);
        c.height = Math.round(r.height * devicePixelRatio);
        const ctx = c.getContext('2d')!;
        ctx.scale(devicePixelRatio, devicePixelRatio);
        c.addEventListener('pointerdown', (e) => c.setPointerCapture(e.pointerId));
        c.addEventListener('pointermove', (e) => {
          if (!(e.buttons & 1)) return;
          ctx.fillStyle = 'rgb(255, 0, 200)';
          ctx.fillRect(e.offsetX - 6, e.offsetY - 6, 12, 12);
        });
        document.body.appendChild(c);
      }, pane);
      const s = await measureMoves(page, n, origin, step, (x, y) => arm2d(page, '#baseline-canvas', x - pane.x, y - pane.y + 3));
      await page.evaluate(() => document.getElementById('baseline-canvas')?.remove());
      return s;
    };

    // The brush: the probe is a pixel two voxels below the pointer (inside the new disk, off the cursor ring and dot).
    await page.mouse.move(700, 20);
    await page.keyboard.press('b');
    await page.keyboard.press('n');
    await page.waitForFunction(() => (window as any).__tuProofreading.session.state.get().activeSegment !== null);
    await page.evaluate(() => (window as any).__tuProofreading.session.state.set({ brushRadius: 4 }));
    // Each round paints fresh rows (a stroke over its own stored voxels would hardly change pixels).
    const rows = (n: number) => Math.ceil(n / 10) + 1;
    let row = 0;
    const brush = (n: number) => {
      const start = { x: origin.x, y: origin.y + row * step };
      row += rows(n);
      return measureMoves(page, n, start, step, (x, y) => arm2d(page, '[data-testid="pane-xy"] canvas', x - pane.x, y - pane.y + 2 * ppv));
    };
    const overlay: number[] = [];
    const base: number[] = [];
    // Interleaved so that load changes hit both alike.
    for (let round = 0; round < 4; round++) {
      base.push(...(await baseline(Math.ceil(MOVES / 4))));
      overlay.push(...(await brush(Math.ceil(MOVES / 4))));
      await page.waitForFunction(() => (window as any).__tuProofreading.session.state.get().pending === 0 && (window as any).__tuProofreading.session.strokes.length === 0, null, { timeout: 30_000 });
    }
    // Diagnostic: the same with the label layer hidden, so that moving onto another segment does
    // not make the viewer redraw its slices (hover highlight) in the frame that draws the stroke.
    const setLabelsVisible = (visible: boolean) =>
      page.evaluate(
        ([id, visible]) => {
          const v = (window as any).__tuViewer;
          v.displays.set({ [id]: { ...v.displays.get()[id], visible } });
        },
        [layerId, visible] as const,
      );
    await setLabelsVisible(false);
    const hidden = await brush(Math.ceil(MOVES / 4));
    await setLabelsVisible(true);
    await page.waitForFunction(() => (window as any).__tuProofreading.session.state.get().pending === 0 && (window as any).__tuProofreading.session.strokes.length === 0, null, { timeout: 30_000 });

    // Commit: pointer-up -> server answer -> first frame whose WebGL label pixels show the stored
    // stroke (read with gl.readPixels right after the viewer's own draw, forcing no extra frame)
    // -> the overlay copy of the stroke dropped.
    await page.evaluate(() => {
      const w = window as any;
      const v = w.__tuViewer;
      const session = w.__tuProofreading.session;
      const gl = (document.querySelector('[data-testid="viewer-canvas"]') as HTMLCanvasElement).getContext('webgl2')!;
      const edit = session.edit.bind(session);
      w.__commit = { samples: [] as { answer: number; labels: number; overlay: number }[], armed: null as null | { x: number; y: number; before: number[] }, answered: 0 };
      session.edit = async (...args: unknown[]) => {
        const r = await edit(...args);
        w.__commit.answered = performance.now();
        return r;
      };
      /** The GL pixel at CSS (x, y) of the XY pane, as drawn in the frame just rendered. */
      w.__commit.glPixel = (x: number, y: number) => {
        const canvas = gl.canvas as HTMLCanvasElement;
        const cr = canvas.getBoundingClientRect();
        const pr = (document.querySelector('[data-testid="pane-xy"]') as HTMLElement).getBoundingClientRect();
        const dpr = canvas.width / cr.width;
        const px = new Uint8Array(4);
        gl.readPixels(Math.floor((pr.left - cr.left + x) * dpr), canvas.height - 1 - Math.floor((pr.top - cr.top + y) * dpr), 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
        return Array.from(px);
      };
      window.addEventListener('pointerup', (e) => {
        const armed = w.__commit.armed;
        if (!armed) return;
        w.__commit.armed = null;
        w.__commit.answered = 0;
        const t0 = e.timeStamp;
        let labels = 0;
        let overlay = 0;
        const finish = () => {
          if (!labels || !overlay || !w.__commit.answered) return false;
          w.__commit.samples.push({ answer: w.__commit.answered - t0, labels, overlay });
          return true;
        };
        const off = v.onFrame(() => {
          const now = w.__commit.glPixel(armed.x, armed.y);
          if (!labels && now.some((c: number, k: number) => Math.abs(c - armed.before[k]) > 10)) {
            labels = performance.now() - t0;
            off();
            finish();
          }
        });
        const watchOverlay = () => {
          if (!overlay && session.strokes.length === 0) {
            overlay = performance.now() - t0;
            finish();
          } else if (!overlay) requestAnimationFrame(watchOverlay);
        };
        requestAnimationFrame(watchOverlay);
      });
    });
    for (let i = 0; i < STROKES; i++) {
      // Right of the area the pointer moves painted.
      const y = Math.floor(SHAPE[1] * 0.2) + (i % 5) * 10;
      const x = Math.floor(SHAPE[2] * 0.75) + Math.floor(i / 5) * 14;
      const a = await voxelOnPage(page, 'xy', [Z, y, x]);
      const b = await voxelOnPage(page, 'xy', [Z, y, x + 6]);
      await page.mouse.move(a.x, a.y);
      await page.mouse.down();
      await page.mouse.move(b.x, b.y);
      await page.evaluate(
        ([px, py]) => {
          const v = (window as any).__tuViewer;
          (window as any).__commit.armed = { x: px, y: py, before: v.readPanePixel('xy', px, py) };
          void v;
        },
        [a.x - pane.x, a.y - pane.y] as const,
      );
      await page.mouse.up();
      await page.waitForFunction((k) => (window as any).__commit.samples.length > k, i, { timeout: 30_000, polling: 20 });
    }
    const commit: { answer: number; labels: number; overlay: number }[] = await page.evaluate(() => (window as any).__commit.samples);

    // Context: how often the page gets a frame at all (software WebGL shares the 2 cores).
    const frameInterval: number = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const times: number[] = [];
          const tick = (t: number) => {
            times.push(t);
            if (times.length < 40) requestAnimationFrame(tick);
            else {
              const d = times.slice(1).map((x, i) => x - times[i]).sort((a, b) => a - b);
              resolve(d[Math.floor(d.length / 2)]);
            }
          };
          requestAnimationFrame(tick);
        }),
    );

    const chrome = browser.version();
    console.log(`machine: ${cpus()[0].model}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load ${loadavg()[0].toFixed(1)}; node ${process.version}; chromium ${chrome} headless, SwiftShader WebGL2; viewport 1440x900, 2x2 layout`);
    console.log(`demo project ${SHAPE.join('x')} (uint32 labels), brush radius 4 voxels, ${overlay.length} pointer moves per case; idle requestAnimationFrame interval p50 ${ms(frameInterval)}`);
    const bp50 = pct(base, 0.5);
    const bp95 = pct(base, 0.95);
    const op50 = pct(overlay, 0.5);
    const op95 = pct(overlay, 0.95);
    console.log(`baseline: bare canvas drawing in its pointermove handler -> pixels   p50 ${ms(bp50)}  p95 ${ms(bp95)}`);
    console.log(`brush stroke: pointermove -> stroke pixels in the overlay            p50 ${ms(op50)}  p95 ${ms(op95)}  (${(op50 / bp50).toFixed(2)}x / ${(op95 / bp95).toFixed(2)}x baseline)`);
    console.log(`  diagnostic, labels hidden (no slice redraw on hover changes)          p50 ${ms(pct(hidden, 0.5))}  p95 ${ms(pct(hidden, 0.95))}  (${hidden.length} moves)`);
    const answers = commit.map((c) => c.answer);
    const labels = commit.map((c) => c.labels);
    const dropped = commit.map((c) => c.overlay);
    console.log(`commit (${commit.length} strokes): pointer-up -> edits.paint answered            p50 ${ms(pct(answers, 0.5))}  p95 ${ms(pct(answers, 0.95))}`);
    console.log(`commit: pointer-up -> first frame with the stored labels (WebGL pixels)  p50 ${ms(pct(labels, 0.5))}  p95 ${ms(pct(labels, 0.95))}`);
    console.log(`commit: pointer-up -> overlay copy of the stroke dropped                  p50 ${ms(pct(dropped, 0.5))}  p95 ${ms(pct(dropped, 0.95))}`);
  } finally {
    await browser.close();
    await app.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
