/// <reference lib="dom" />
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segmentColor } from '../../src/renderer/src/features/viewer/core/segment-ids';
import { chromiumAvailable, launchBrowser, ROOT, screenshot, serveApp, type ServedApp } from '../helpers/browser-mode';
import { apiCall, idle, labelVolume, near, opaqueLabels, stroke, voxelOnPage, voxelPixel, type Vec3 } from './proofreading-page';

/**
 * Proofreading in the browser-mode UI on a small demo project: brush stroke, 2D fill, merge,
 * split by seeds, undo of all four, redo, page reload. After each step the stored voxels are
 * read back through the API and compared voxel by voxel with what the step must produce, and
 * rendered pixels are compared with the segment colours.
 */

const SHAPE: Vec3 = [16, 128, 128];
const Z = 8;
const RADIUS = 3;

const index = (z: number, y: number, x: number) => (z * SHAPE[1] + y) * SHAPE[2] + x;

/** Voxels of slice z whose in-plane neighbourhood of `margin` is all `id` (safe click targets). */
function interior(vol: Uint32Array, z: number, id: number, margin = 3): Vec3[] {
  const out: Vec3[] = [];
  for (let y = margin; y < SHAPE[1] - margin; y++)
    for (let x = margin; x < SHAPE[2] - margin; x++) {
      let ok = true;
      for (let dy = -margin; dy <= margin && ok; dy++) for (let dx = -margin; dx <= margin && ok; dx++) ok = vol[index(z, y + dy, x + dx)] === id;
      if (ok) out.push([z, y, x]);
    }
  return out;
}

/** Segments of slice z by how many voxels have a safe interior, largest first. */
function bigInSlice(vol: Uint32Array, z: number, exclude: number[]): number[] {
  const counts = new Map<number, number>();
  for (let i = index(z, 0, 0); i < index(z + 1, 0, 0); i++) if (vol[i] !== 0) counts.set(vol[i], (counts.get(vol[i]) ?? 0) + 1);
  return [...counts.entries()]
    .filter(([id]) => !exclude.includes(id))
    .sort((a, b) => b[1] - a[1])
    .map(([id]) => id)
    .filter((id) => interior(vol, z, id).length > 20);
}

/** The 4-connected region of the seed's id in its z slice (what a 2D fill in XY changes). */
function region2d(vol: Uint32Array, seed: Vec3): Set<number> {
  const id = vol[index(...seed)];
  const out = new Set<number>([index(...seed)]);
  const stack: [number, number][] = [[seed[1], seed[2]]];
  while (stack.length) {
    const [y, x] = stack.pop()!;
    for (const [ny, nx] of [
      [y + 1, x],
      [y - 1, x],
      [y, x + 1],
      [y, x - 1],
    ]) {
      if (ny < 0 || nx < 0 || ny >= SHAPE[1] || nx >= SHAPE[2]) continue;
      const i = index(seed[0], ny, nx);
      if (vol[i] !== id || out.has(i)) continue;
      out.add(i);
      stack.push([ny, nx]);
    }
  }
  return out;
}

/** Indices where two volumes differ. */
function diff(a: Uint32Array, b: Uint32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out.push(i);
  return out;
}

/** The point nearest the middle of a set (robust click target away from the pane edges). */
function central(points: Vec3[]): Vec3 {
  const my = points.reduce((s, p) => s + p[1], 0) / points.length;
  const mx = points.reduce((s, p) => s + p[2], 0) / points.length;
  return points.reduce((best, p) => (Math.hypot(p[1] - my, p[2] - mx) < Math.hypot(best[1] - my, best[2] - mx) ? p : best));
}

function farthestPair(points: Vec3[]): [Vec3, Vec3] {
  let best: [Vec3, Vec3] = [points[0], points[0]];
  let d = -1;
  const step = Math.max(1, Math.floor(points.length / 300));
  for (let i = 0; i < points.length; i += step)
    for (let j = i + step; j < points.length; j += step) {
      const e = (points[i][1] - points[j][1]) ** 2 + (points[i][2] - points[j][2]) ** 2;
      if (e > d) {
        d = e;
        best = [points[i], points[j]];
      }
    }
  return best;
}

describe.runIf(chromiumAvailable())('browser mode: proofreading', () => {
  let app: ServedApp;
  let browser: Browser;
  let page: Page;
  let scratch: string;
  let layerId: string;
  let original: Uint32Array;
  /** The volume after each edit, in order. */
  const states: Uint32Array[] = [];
  const probes: { voxel: Vec3; label: string }[] = [];

  const state = () => page.evaluate(() => (window as any).__tuProofreading.session.state.get());
  const history = () => apiCall<{ state: { applied: number; undone: number } }>(page, 'history.list', { limit: 1 });
  const volume = () => labelVolume(page, layerId, SHAPE);
  const settled = async (applied: number) => {
    await expect.poll(async () => (await history()).state.applied, { timeout: 20_000 }).toBe(applied);
    await expect.poll(async () => (await state()).pending, { timeout: 20_000 }).toBe(0);
    await expect.poll(() => page.evaluate(() => (window as any).__tuProofreading.session.strokes.length)).toBe(0);
  };
  /** Rendered colour of a voxel in XY, with the pointer parked off the panes (no hover highlight). */
  const colourAt = async (voxel: Vec3) => {
    await page.mouse.move(700, 20);
    await idle(page);
    return (await voxelPixel(page, 'xy', voxel))!.slice(0, 3);
  };
  /** The stored voxels may be drawn a few frames after the API answered (the chunk is refetched): poll. */
  const expectColour = async (voxel: Vec3, id: number, what: string) => {
    const want = segmentColor(BigInt(id));
    let px = await colourAt(voxel);
    for (const end = Date.now() + 10_000; !near(px, want) && Date.now() < end; ) px = await colourAt(voxel);
    expect(near(px, want), `${what}: pixel ${px} vs colour of ${id} ${want}`).toBe(true);
  };
  const clickVoxel = async (voxel: Vec3, modifiers: ('Shift' | 'Alt' | 'Control')[] = []) => {
    const p = await voxelOnPage(page, 'xy', voxel);
    for (const m of modifiers) await page.keyboard.down(m);
    await page.mouse.click(p.x, p.y);
    for (const m of modifiers.reverse()) await page.keyboard.up(m);
  };
  const tool = async (key: string, id: string) => {
    await page.mouse.move(700, 20);
    await page.keyboard.press(key);
    await expect.poll(() => page.evaluate(() => (window as any).__tuViewer.state.get().activeTool)).toBe(id);
  };

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'tu-proofreading-'));
    const projectDir = join(scratch, 'demo');
    execFileSync(process.execPath, [join(ROOT, 'out', 'main', 'cli.js'), 'demo', projectDir, '--size', SHAPE.join(',')], { stdio: 'pipe' });
    app = await serveApp({ projectDir });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => console.error('[pageerror]', e.message));
    await page.goto(app.url);
    await page.waitForFunction(() => (window as any).__tuViewer?.layers.length === 2, null, { timeout: 20_000 });
    await page.waitForFunction(() => (window as any).__tuProofreading?.session.state.get().indexed === true, null, { timeout: 30_000 });
    layerId = await page.evaluate(() => (window as any).__tuViewer.layers.find((l: any) => l.name === 'ground-truth').id);
    await opaqueLabels(page, layerId);
    original = await volume();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('lists the segments, with the tools and the 3D pane in place', async () => {
    await page.getByRole('tab', { name: 'Segments' }).click();
    await expect.poll(() => page.getByTestId('segment-row').count()).toBeGreaterThan(5);
    const total = Number((await page.getByTestId('segment-total').textContent())!.split(' ')[0]);
    expect(total).toBe(new Set(original.filter((v) => v !== 0)).size);
    for (const t of ['brush', 'eraser', 'fill', 'merge', 'split', 'interpolate', 'annotate']) expect(await page.getByTestId(`tool-${t}`).count()).toBe(1);
    expect(await page.getByTestId('mesh-view').count()).toBe(1);
    await page.keyboard.press('?');
    await page.getByTestId('help-overlay').getByText('Undo the last edit (any tool, survives restarts)').waitFor();
    await page.getByTestId('help-overlay').getByText('Brush, Eraser, Fill: new segment id').waitFor();
    await page.waitForTimeout(400); // the modal's opening transition
    await screenshot(page, 'proofreading-help');
    await page.keyboard.press('Escape');
    await screenshot(page, 'proofreading-open');
  });

  it('paints a brush stroke with a new segment id: drawn at once, stored exactly under the brush', async () => {
    await tool('b', 'brush');
    await page.keyboard.press('n');
    await expect.poll(async () => (await state()).activeSegment).not.toBeNull();
    const id = (await state()).activeSegment as number;
    await page.evaluate((r) => (window as any).__tuProofreading.session.state.set({ brushRadius: r }), RADIUS);
    const from: Vec3 = [Z, 30, 20];
    const to: Vec3 = [Z, 30, 60];
    await stroke(page, 'xy', [from, [Z, 30, 40], to]);
    await settled(1);
    const after = await volume();
    const changed = diff(original, after);
    const sizes = await apiCall<{ voxelCount: number }[]>(page, 'segments.get', { layerId, ids: [id] });
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.length).toBe(sizes[0].voxelCount);
    for (const i of changed) {
      const z = Math.floor(i / (SHAPE[1] * SHAPE[2]));
      const y = Math.floor(i / SHAPE[2]) % SHAPE[1];
      const x = i % SHAPE[2];
      expect(after[i]).toBe(id);
      expect(z).toBe(Z);
      // Inside the capsule of radius r around the stroke (plus a voxel for pointer rounding).
      const dx = x < 20 ? 20 - x : x > 60 ? x - 60 : 0;
      expect(Math.hypot(y - 30, dx)).toBeLessThanOrEqual(RADIUS + 1.01);
    }
    // The core of the stroke is all painted.
    for (let x = 20; x <= 60; x++) for (let y = 30 - (RADIUS - 1); y <= 30 + RADIUS - 1; y++) expect(after[index(Z, y, x)], `voxel ${[Z, y, x]}`).toBe(id);
    await expectColour([Z, 30, 40], id, 'stroke');
    await screenshot(page, 'proofreading-stroke');
    states.push(after);
    probes.push({ voxel: [Z, 30, 40], label: 'stroke' });
  });

  it('previews a 2D fill as an overlay, then writes exactly the connected region', async () => {
    const before = states[states.length - 1];
    const [c] = bigInSlice(before, Z, []);
    const seed = central(interior(before, Z, c));
    const expected = region2d(before, seed);
    const strokeId = (await state()).activeSegment;
    await tool('f', 'fill');
    await page.keyboard.press('n');
    await expect.poll(async () => (await state()).activeSegment).not.toBe(strokeId);
    const fillId = (await state()).activeSegment as number;
    await clickVoxel(seed);
    await page.getByTestId('fill-confirm').waitFor();
    expect(await page.getByTestId('fill-confirm-text').textContent()).toBe(`Fill ${expected.size.toLocaleString('en-US')} voxels with segment ${fillId}?`);
    await page.mouse.move(700, 20);
    await screenshot(page, 'proofreading-fill-preview');
    await page.keyboard.press('Enter');
    await settled(2);
    const after = await volume();
    const changed = diff(before, after);
    expect(changed.length).toBe(expected.size);
    for (const i of changed) {
      expect(expected.has(i)).toBe(true);
      expect(after[i]).toBe(fillId);
    }
    await expect.poll(() => page.getByTestId('fill-confirm').count()).toBe(0);
    await expectColour(seed, fillId, 'filled region');
    states.push(after);
    probes.push({ voxel: seed, label: 'fill' });
  });

  it('merges a second selected segment into the first after a confirmation naming both', async () => {
    const before = states[states.length - 1];
    const [a, b] = bigInSlice(before, Z, []);
    const pa = central(interior(before, Z, a));
    const pb = central(interior(before, Z, b));
    await tool('m', 'merge');
    await clickVoxel(pa);
    await clickVoxel(pb);
    await page.getByTestId('merge-confirm').waitFor();
    expect(await page.getByTestId('merge-confirm-text').textContent()).toBe(`Merge segment ${b} into ${a}?`);
    const sel = await page.evaluate((id) => (window as any).__tuViewer.state.get().selections[id].map(Number), layerId);
    expect(sel).toEqual([a, b]);
    await page.mouse.move(700, 20);
    await screenshot(page, 'proofreading-merge-confirm');
    await page.keyboard.press('Enter');
    await settled(3);
    const after = await volume();
    const changed = diff(before, after);
    expect(changed.length).toBe(before.filter((v) => v === b).length);
    for (const i of changed) {
      expect(before[i]).toBe(b);
      expect(after[i]).toBe(a);
    }
    await expectColour(pb, a, 'merged segment');
    states.push(after);
    probes.push({ voxel: pb, label: 'merge' });
  });

  it('splits a segment by seeds in two groups, previewed first', async () => {
    const before = states[states.length - 1];
    const [d] = bigInSlice(before, Z, [before[index(...probes[2].voxel)]]);
    const [s1, s2] = farthestPair(interior(before, Z, d, 2));
    await tool('s', 'split');
    // The watershed follows the EM image.
    await page.getByRole('tab', { name: 'Tools' }).click();
    await page.getByTestId('split-source').click();
    await page.getByRole('option', { name: 'em (image)' }).click();
    await expect.poll(() => page.evaluate(() => (window as any).__tuProofreading.tools.split.state.get().sourceLayerId)).not.toBeNull();
    await clickVoxel(s1);
    await clickVoxel(s2, ['Shift']);
    await page.getByTestId('split-confirm').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('split-confirm-text').textContent()).toMatch(new RegExp(`^Split segment ${d} into 2 parts: `));
    await page.mouse.move(700, 20);
    await screenshot(page, 'proofreading-split-preview');
    await page.keyboard.press('Enter');
    await settled(4);
    const after = await volume();
    const changed = diff(before, after);
    expect(changed.length).toBeGreaterThan(0);
    const parts = new Set(changed.map((i) => after[i]));
    expect(parts.size).toBe(1);
    const e = [...parts][0];
    expect(e).not.toBe(d);
    expect(original.includes(e)).toBe(false);
    for (const i of changed) expect(before[i]).toBe(d);
    expect(after[index(...s1)]).toBe(d);
    expect(after[index(...s2)]).toBe(e);
    await expectColour(s2, e, 'split-off part');
    await expectColour(s1, d, 'remaining part');
    states.push(after);
    probes.push({ voxel: s2, label: 'split' });
  });

  it('shows the selected segments as meshes in the 3D pane', async () => {
    await tool('Escape', 'navigate');
    const a = states[3][index(...probes[2].voxel)];
    await clickVoxel(probes[2].voxel);
    await expect.poll(() => page.evaluate((id) => (window as any).__tuViewer.state.get().selections[id].map(Number), layerId)).toEqual([a]);
    await expect.poll(() => page.getByTestId('mesh-view').getAttribute('data-meshes'), { timeout: 20_000 }).toBe('1');
    expect(Number(await page.getByTestId('mesh-view').getAttribute('data-triangles'))).toBeGreaterThan(100);
    expect(await page.getByTestId('mesh-status').textContent()).toMatch(/^3D · 1 segment · [\d,]+ triangles$/);
    // The mesh is drawn in the segment's colour somewhere in the pane.
    const colour = segmentColor(BigInt(a));
    const found = await page.evaluate((colour) => {
      const c = document.querySelector('[data-testid="mesh-view"]') as HTMLCanvasElement;
      const gl = c.getContext('webgl2')!;
      const px = new Uint8Array(c.width * c.height * 4);
      gl.readPixels(0, 0, c.width, c.height, gl.RGBA, gl.UNSIGNED_BYTE, px);
      let lit = 0;
      for (let i = 0; i < px.length; i += 4) {
        // Shaded colour: a positive multiple of the segment colour.
        const k = px[i] / Math.max(1, colour[0]);
        if (k > 0.3 && Math.abs(px[i + 1] - colour[1] * k) < 12 && Math.abs(px[i + 2] - colour[2] * k) < 12 && px[i] + px[i + 1] + px[i + 2] > 60) lit++;
      }
      return lit;
    }, colour);
    expect(found).toBeGreaterThan(200);
    await screenshot(page, 'proofreading-3d');
  });

  it('undoes all four edits with Ctrl+Z: the voxels are the original ones again', async () => {
    const triangles = await page.getByTestId('mesh-view').getAttribute('data-triangles');
    await page.mouse.move(700, 20);
    for (let i = 0; i < 4; i++) await page.keyboard.press('Control+z');
    await settled(0);
    const now = await volume();
    expect(diff(original, now).length).toBe(0);
    // The merge is undone: the selected segment's mesh is fetched again and shrinks.
    await expect.poll(async () => Number(await page.getByTestId('mesh-view').getAttribute('data-triangles')), { timeout: 20_000 }).toBeLessThan(Number(triangles));
    for (const p of probes) await expectColour(p.voxel, original[index(...p.voxel)], `undone ${p.label}`);
  });

  it('redoes them with Ctrl+Shift+Z and Ctrl+Y', async () => {
    await page.keyboard.press('Control+Shift+z');
    await page.keyboard.press('Control+Shift+z');
    await page.keyboard.press('Control+y');
    await page.keyboard.press('Control+y');
    await settled(4);
    expect(diff(states[3], await volume()).length).toBe(0);
    for (const p of probes) await expectColour(p.voxel, states[3][index(...p.voxel)], `redone ${p.label}`);
    await page.getByRole('tab', { name: 'History' }).click();
    await expect.poll(() => page.getByTestId('history-entry').count()).toBe(4);
    await screenshot(page, 'proofreading-history');
  });

  it('keeps everything after a page reload', async () => {
    await page.reload();
    await page.waitForFunction(() => (window as any).__tuViewer?.layers.length === 2, null, { timeout: 20_000 });
    await page.waitForFunction(() => (window as any).__tuProofreading?.session.state.get().indexed === true, null, { timeout: 30_000 });
    await opaqueLabels(page, layerId);
    expect(diff(states[3], await volume()).length).toBe(0);
    for (const p of probes) await expectColour(p.voxel, states[3][index(...p.voxel)], `after reload: ${p.label}`);
    const h = await history();
    expect(h.state).toMatchObject({ applied: 4, undone: 0 });
    await page.getByRole('tab', { name: 'History' }).click();
    await expect.poll(() => page.getByTestId('history-entry').count()).toBe(4);
    expect(await page.locator('[data-testid="history-entry"][data-undone="true"]').count()).toBe(0);
  });

  it('refuses to paint over a locked segment, with a visible message, changing nothing', async () => {
    const before = await volume();
    const [target] = bigInSlice(before, Z, []);
    const p = central(interior(before, Z, target));
    await page.getByRole('tab', { name: 'Segments' }).click();
    await page.getByTestId('segment-search').fill(String(target));
    await expect.poll(() => page.locator(`[data-testid="segment-row"][data-segment="${target}"]`).count()).toBe(1);
    await page.locator(`[data-testid="segment-row"][data-segment="${target}"]`).getByTestId('segment-lock').click();
    await expect.poll(async () => (await apiCall<{ locked: boolean }[]>(page, 'segments.get', { layerId, ids: [target] }))[0].locked).toBe(true);
    await tool('b', 'brush');
    const previous = (await state()).activeSegment;
    await page.keyboard.press('n');
    await expect.poll(async () => (await state()).activeSegment).not.toBe(previous);
    await stroke(page, 'xy', [p, [p[0], p[1], p[2] + 2]]);
    await expect.poll(() => page.getByTestId('pr-notice').textContent()).toMatch(new RegExp(`segment ${target} is locked`));
    expect(await page.getByTestId('pr-notice').getAttribute('data-tone')).toBe('error');
    await screenshot(page, 'proofreading-locked');
    await expect.poll(() => page.evaluate(() => (window as any).__tuProofreading.session.strokes.length)).toBe(0);
    expect(diff(before, await volume()).length).toBe(0);
    expect((await history()).state.applied).toBe(4);
    await page.locator(`[data-testid="segment-row"][data-segment="${target}"]`).getByTestId('segment-lock').click();
  });

  it('places to-do points and bookmarks with comments, listed and jumpable', async () => {
    await tool('t', 'annotate');
    await clickVoxel([Z, 100, 100]);
    await page.getByRole('tab', { name: 'Notes' }).click();
    await expect.poll(() => page.getByTestId('annotation-row').count()).toBe(1);
    await page.getByTestId('annotation-text').first().fill('check this branch');
    await page.getByTestId('annotation-text').first().press('Enter');
    await clickVoxel([Z, 20, 110], ['Shift']);
    await expect.poll(() => page.getByTestId('annotation-row').count()).toBe(2);
    await expect
      .poll(async () => (await apiCall<{ kind: string; text: string; position: number[] }[]>(page, 'annotations.list', {})).map((a) => [a.kind, a.text, a.position.join(',')]))
      .toEqual([
        ['todo', 'check this branch', `${Z},100,100`],
        ['bookmark', '', `${Z},20,110`],
      ]);
    await page.getByTestId('annotation-jump').first().click();
    await expect.poll(() => page.evaluate(() => (window as any).__tuViewer.state.get().position)).toEqual([Z + 0.5, 100.5, 100.5]);
    await page.mouse.move(700, 20);
    await screenshot(page, 'proofreading-notes');
  });

  it('interpolates a shape painted on two slices into the slices between', async () => {
    await page.evaluate(() => (window as any).__tuViewer.moveTo([4.5, 64.5, 64.5]));
    await tool('b', 'brush');
    const previous = (await state()).activeSegment;
    await page.keyboard.press('n');
    await expect.poll(async () => (await state()).activeSegment).not.toBe(previous);
    const id = (await state()).activeSegment as number;
    await page.evaluate(() => (window as any).__tuProofreading.session.state.set({ brushRadius: 5 }));
    const applied = (await history()).state.applied;
    await stroke(page, 'xy', [[4, 60, 60], [4, 66, 66]]);
    await settled(applied + 1);
    await page.evaluate(() => (window as any).__tuViewer.moveTo([10.5, 64.5, 64.5]));
    await stroke(page, 'xy', [[10, 60, 60], [10, 66, 66]]);
    await settled(applied + 2);
    await tool('i', 'interpolate');
    await page.getByRole('tab', { name: 'Tools' }).click();
    await page.getByTestId('interpolate-overwrite').click();
    await page.evaluate(() => (window as any).__tuViewer.moveTo([4.5, 64.5, 64.5]));
    await idle(page);
    await clickVoxel([4, 63, 63]);
    await page.evaluate(() => (window as any).__tuViewer.moveTo([10.5, 64.5, 64.5]));
    await idle(page);
    await clickVoxel([10, 63, 63]);
    await page.getByTestId('interpolate-confirm').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('interpolate-confirm-text').textContent()).toMatch(new RegExp(`^Interpolate segment ${id} between slices 4 and 10: `));
    await page.mouse.move(700, 20);
    await screenshot(page, 'proofreading-interpolate');
    await page.keyboard.press('Enter');
    await settled(applied + 3);
    const vol = await volume();
    for (let z = 5; z <= 9; z++) for (const [y, x] of [[63, 63], [60, 60], [66, 66]]) expect(vol[index(z, y, x)], `z ${z} y ${y} x ${x}`).toBe(id);
  });

  it('erases, picks the segment under the pointer with Alt+click, sizes the brush with [ ] and Shift+wheel', async () => {
    await page.evaluate(() => (window as any).__tuViewer.moveTo([8.5, 64.5, 64.5]));
    await tool('b', 'brush');
    await page.evaluate(() => (window as any).__tuProofreading.session.state.set({ brushRadius: 3 }));
    await page.keyboard.press(']');
    await page.keyboard.press(']');
    await page.keyboard.press('[');
    await expect.poll(async () => (await state()).brushRadius).toBe(4);
    const c = await voxelOnPage(page, 'xy', [Z, 64, 64]);
    await page.mouse.move(c.x, c.y);
    await page.keyboard.down('Shift');
    await page.mouse.wheel(0, -100);
    await page.keyboard.up('Shift');
    await expect.poll(async () => (await state()).brushRadius).toBe(5);
    expect((await page.evaluate(() => (window as any).__tuViewer.state.get().position))[0], 'Shift+wheel in the brush does not step slices').toBe(8.5);

    const before = await volume();
    const [target] = bigInSlice(before, Z, []);
    const p = central(interior(before, Z, target));
    await clickVoxel(p, ['Alt']);
    await expect.poll(async () => (await state()).activeSegment).toBe(target);
    expect(await page.getByTestId('hud-segment').textContent()).toBe(`segment ${target}`);

    await tool('e', 'eraser');
    const applied = (await history()).state.applied;
    await page.evaluate(() => (window as any).__tuProofreading.session.state.set({ brushRadius: 1 }));
    await stroke(page, 'xy', [p, [p[0], p[1], p[2] + 1]]);
    await settled(applied + 1);
    const after = await volume();
    const changed = diff(before, after);
    expect(changed.length).toBeGreaterThan(0);
    for (const i of changed) expect(after[i]).toBe(0);
    expect(after[index(...p)]).toBe(0);
  });

  it('bounds a 3D fill by its voxel budget, and asks before edits over the confirmation threshold', async () => {
    const before = await volume();
    // A segment no edit touched, spanning several sections.
    const count = (vol: Uint32Array, id: number) => vol.reduce((n, v) => n + (v === id ? 1 : 0), 0);
    const target = bigInSlice(before, Z, []).find((id) => count(before, id) === count(original, id) && before.slice(0, index(Z - 2, 0, 0)).includes(id))!;
    expect(target).toBeDefined();
    const p = central(interior(before, Z, target));
    await tool('f', 'fill');
    await page.keyboard.press('d');
    await expect.poll(async () => (await state()).fillMode).toBe('3d');
    await page.evaluate(() => (window as any).__tuProofreading.session.state.set({ fillMaxVoxels: 50, fillBoxRadius: 64 }));
    const previous = (await state()).activeSegment;
    await page.keyboard.press('n');
    await expect.poll(async () => (await state()).activeSegment).not.toBe(previous);
    await clickVoxel(p);
    await expect.poll(() => page.getByTestId('pr-notice').textContent()).toMatch(/50/);
    expect(await page.getByTestId('fill-confirm').count()).toBe(0);

    // A budget large enough, and a confirmation threshold below the region's size.
    const size = before.filter((v) => v === target).length;
    await page.evaluate(() => (window as any).__tuProofreading.session.state.set({ fillMaxVoxels: 1_000_000 }));
    await apiCall(page, 'proofreading.setSettings', { confirmVoxels: 100 });
    await clickVoxel(p);
    await page.getByTestId('fill-confirm').waitFor();
    const applied = (await history()).state.applied;
    await page.keyboard.press('Enter');
    await page.getByTestId('confirm-edit-apply').waitFor();
    await screenshot(page, 'proofreading-confirm-large');
    await page.getByTestId('confirm-edit-apply').click();
    await settled(applied + 1);
    await apiCall(page, 'proofreading.setSettings', { confirmVoxels: 1_000_000 });
    const after = await volume();
    const changed = diff(before, after);
    const id = (await state()).activeSegment as number;
    // The 3D region of the segment connected to the seed inside the box: at most all of it.
    expect(changed.length).toBeGreaterThan(100);
    expect(changed.length).toBeLessThanOrEqual(size);
    for (const i of changed) {
      expect(before[i]).toBe(target);
      expect(after[i]).toBe(id);
    }
    expect(changed.some((i) => Math.floor(i / (SHAPE[1] * SHAPE[2])) !== Z), 'the fill reaches other sections').toBe(true);
  });
});
