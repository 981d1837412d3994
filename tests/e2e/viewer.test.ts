/// <reference lib="dom" />
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLayerFromArray } from '../../src/main/volumes/create-layer';
import { openVolume } from '../../src/main/volumes/readers/open';
import { writeBigTiff } from '../../src/main/exports/tiff-writer';
import { Project } from '../../src/main/store/project';
import { segmentColor } from '../../src/renderer/src/features/viewer/core/segment-ids';
import { chromiumAvailable, launchBrowser, screenshot, serveApp, type ServedApp } from '../helpers/browser-mode';
import { idle, voxelPixel } from './proofreading-page';
import { referencePython, runPython, skipNotice } from '../helpers/python';

/**
 * The slice viewer in browser mode (Debian chromium, SwiftShader WebGL2): a project with a
 * known voxel pattern, checked pixel by pixel through the rendered frame, plus the layers UI
 * (import, export, delete), navigation, status bar, selection, GPU id mapping and the tool
 * plugin interface that proofreading builds on.
 */

const SHAPE: [number, number, number] = [40, 256, 320];
const RES: [number, number, number] = [40, 8, 8];
const BIG = 1n << 40n;

/** Image: constant on 16x16 in-plane blocks, changing with z. */
const imageValue = (z: number, y: number, x: number) => ((z * 37 + (y >> 4) * 11 + (x >> 4) * 5) % 200) + 30;
/** Labels: 32x32 blocks, new ids every 8 sections, a background (0) line every 32 voxels in x. */
const labelValue = (z: number, y: number, x: number) => (x % 32 === 0 ? 0 : 1 + (z >> 3) * 10000 + (y >> 5) * 100 + (x >> 5));

function fill<T extends Uint8Array | Uint32Array | BigUint64Array>(out: T, f: (z: number, y: number, x: number) => number | bigint): T {
  let i = 0;
  for (let z = 0; z < SHAPE[0]; z++) for (let y = 0; y < SHAPE[1]; y++) for (let x = 0; x < SHAPE[2]; x++) (out as unknown as (number | bigint)[])[i++] = f(z, y, x);
  return out;
}




async function setDisplays(page: Page, patch: Record<string, Record<string, unknown>>): Promise<void> {
  await page.evaluate((patch) => {
    const v = (window as any).__tuViewer;
    const all = v.displays.get();
    const next: Record<string, unknown> = {};
    for (const layer of v.layers) {
      const p = patch[layer.name];
      if (!p) continue;
      const d = all[layer.id];
      next[layer.id] = { ...d, ...(p.visible !== undefined ? { visible: p.visible } : {}), ...(d.kind === 'image' ? { image: { ...d.image, ...p } } : { labels: { ...d.labels, ...p } }) };
    }
    v.displays.set(next);
  }, patch);
}

function layerId(page: Page, name: string): Promise<string> {
  return page.evaluate((name) => (window as any).__tuViewer.layers.find((l: { name: string }) => l.name === name).id, name);
}

function viewerState(page: Page): Promise<{ position: number[]; zoom: number; levels: Record<string, number> }> {
  return page.evaluate(() => {
    const v = (window as any).__tuViewer;
    const s = v.state.get();
    return { position: s.position, zoom: s.zoom, levels: v.stats().levels };
  });
}

async function paneCentre(page: Page, view: string): Promise<{ x: number; y: number }> {
  const b = (await page.getByTestId(`pane-${view}`).boundingBox())!;
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
}

/** Page coordinates of a voxel centre in a pane. */
async function voxelOnPage(page: Page, view: 'xy' | 'xz' | 'yz', voxel: [number, number, number]): Promise<{ x: number; y: number }> {
  const b = (await page.getByTestId(`pane-${view}`).boundingBox())!;
  const s = await page.evaluate(
    ([view, voxel]) => (window as any).__tuViewer.projection(view).toScreen([voxel[0] + 0.5, voxel[1] + 0.5, voxel[2] + 0.5]),
    [view, voxel] as const,
  );
  return { x: b.x + s.x, y: b.y + s.y };
}

const near = (a: number[], b: number[], tol = 1) => a.every((v, i) => Math.abs(v - b[i]) <= tol);

describe.runIf(chromiumAvailable())('browser mode: slice viewer and layers', () => {
  let app: ServedApp;
  let browser: Browser;
  let page: Page;
  let scratch: string;
  let projectDir: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'tu-viewer-'));
    projectDir = join(scratch, 'project');
    const project = Project.create(projectDir, 'Viewer e2e');
    try {
      const n = SHAPE[0] * SHAPE[1] * SHAPE[2];
      await createLayerFromArray(project, { name: 'pattern', kind: 'image', dtype: 'uint8', shape: SHAPE, resolution: RES, data: fill(new Uint8Array(n), imageValue) });
      await createLayerFromArray(project, { name: 'blocks', kind: 'labels', dtype: 'uint32', shape: SHAPE, resolution: RES, data: fill(new Uint32Array(n), labelValue) });
      await createLayerFromArray(project, {
        name: 'big-ids',
        kind: 'labels',
        dtype: 'uint64',
        shape: SHAPE,
        resolution: RES,
        data: fill(new BigUint64Array(n), (z, y, x) => (labelValue(z, y, x) === 0 ? 0n : BIG + BigInt(labelValue(z, y, x)))),
      });
    } finally {
      project.close();
    }
    app = await serveApp({ projectDir });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => console.error('[pageerror]', e.message));
    await page.goto(app.url);
    await page.getByTestId('viewer-canvas').waitFor();
    await page.waitForFunction(() => (window as any).__tuViewer?.layers.length === 3, null, { timeout: 20_000 });
    await idle(page);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('opens the project in the 2x2 layout with every layer listed', async () => {
    expect(await page.getByTestId('layer-row').count()).toBe(3);
    for (const v of ['xy', 'xz', 'yz', '3d']) expect(await page.getByTestId(`pane-${v}`).isVisible()).toBe(true);
    const s = await viewerState(page);
    expect(s.position).toEqual([20.5, 128.5, 160.5]);
    await screenshot(page, 'viewer-open');
  });

  it('renders image voxels with the display window, in every view', async () => {
    await setDisplays(page, { pattern: { min: 0, max: 255, gamma: 1, invert: false, opacity: 1 }, blocks: { visible: false }, 'big-ids': { visible: false } });
    await idle(page);
    const probes: [number, number, number][] = [
      [20, 100, 100],
      [20, 40, 250],
      [20, 200, 30],
    ];
    for (const p of probes) {
      const px = await voxelPixel(page, 'xy', p);
      const v = imageValue(...p);
      expect(px, `xy voxel ${p}`).not.toBeNull();
      expect(near(px!.slice(0, 3), [v, v, v]), `xy voxel ${p}: got ${px}, want ${v}`).toBe(true);
    }
    // Side views cut the same voxels: XZ at y = 128, YZ at x = 160.
    for (const [view, p] of [
      ['xz', [5, 128, 200]],
      ['xz', [33, 128, 40]],
      ['yz', [12, 70, 160]],
    ] as const) {
      const px = await voxelPixel(page, view, [...p] as [number, number, number]);
      const v = imageValue(p[0], p[1], p[2]);
      expect(near(px!.slice(0, 3), [v, v, v]), `${view} voxel ${p}: got ${px}, want ${v}`).toBe(true);
    }
    // Gamma and inversion follow the shader's formula: out = (1 - t)^(1/gamma).
    await setDisplays(page, { pattern: { min: 0, max: 255, gamma: 2, invert: true } });
    const v = imageValue(20, 100, 100);
    const want = Math.round(255 * (1 - v / 255) ** 0.5);
    const px = await voxelPixel(page, 'xy', [20, 100, 100]);
    expect(near(px!.slice(0, 3), [want, want, want], 2), `inverted gamma: got ${px}, want ${want}`).toBe(true);
    await setDisplays(page, { pattern: { gamma: 1, invert: false } });
  });

  it('matches the composited page pixels (page.screenshot) too', async () => {
    const voxel: [number, number, number] = [20, 40, 250];
    const at = await voxelOnPage(page, 'xy', voxel);
    const png = decode(await page.screenshot());
    const dpr = png.width / 1440;
    const i = (Math.round(at.y * dpr) * png.width + Math.round(at.x * dpr)) * png.channels;
    const v = imageValue(...voxel);
    expect(near([png.data[i], png.data[i + 1], png.data[i + 2]] as number[], [v, v, v])).toBe(true);
  });

  it('steps slices with the wheel (Shift x10) and the keyboard, and zooms about the pointer with Ctrl+wheel', async () => {
    await setDisplays(page, { pattern: { min: 0, max: 255, gamma: 1, invert: false }, blocks: { visible: false }, 'big-ids': { visible: false } });
    const c = await paneCentre(page, 'xy');
    await page.mouse.move(c.x + 37, c.y - 23);
    await page.mouse.wheel(0, 100);
    await expect.poll(async () => (await viewerState(page)).position[0]).toBe(21.5);
    await page.keyboard.down('Shift');
    await page.mouse.wheel(0, 100);
    await page.keyboard.up('Shift');
    await expect.poll(async () => (await viewerState(page)).position[0]).toBe(31.5);
    await page.keyboard.press(',');
    await page.keyboard.press('PageUp');
    await expect.poll(async () => (await viewerState(page)).position[0]).toBe(29.5);
    await idle(page);
    const px = await voxelPixel(page, 'xy', [29, 100, 100]);
    const v = imageValue(29, 100, 100);
    expect(near(px!.slice(0, 3), [v, v, v]), `after scrolling to z=29: ${px} vs ${v}`).toBe(true);

    // The status bar follows the slice under a still pointer.
    await expect.poll(() => page.getByTestId('status-voxel').textContent()).toMatch(/^z 29 /);
    const before = (await page.getByTestId('status-voxel').textContent())!;
    const zoom0 = (await viewerState(page)).zoom;
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -200);
    await page.keyboard.up('Control');
    await expect.poll(async () => (await viewerState(page)).zoom).toBeLessThan(zoom0 / 1.3);
    expect(await page.getByTestId('status-voxel').textContent(), 'the voxel under the pointer stays put').toBe(before);
    await idle(page);
    await screenshot(page, 'viewer-zoomed-in');
  });

  it('chooses coarser levels when zoomed out and still shows the right values', async () => {
    await page.evaluate(() => (window as any).__tuViewer.state.set({ zoom: 40, position: [20.5, 128.5, 160.5] }));
    await idle(page);
    const s = await viewerState(page);
    expect(s.levels.xy).toBe(2);
    // 16x16 blocks stay constant under 4x4 mean downsampling.
    const px = await voxelPixel(page, 'xy', [20, 24, 40]);
    const v = imageValue(20, 24, 40);
    expect(near(px!.slice(0, 3), [v, v, v]), `level 2: ${px} vs ${v}`).toBe(true);
    await page.getByTestId('fit-view').click();
    await idle(page);
  });

  it('overlays labels in their hashed colours, 32-bit and 64-bit ids alike', async () => {
    await setDisplays(page, { blocks: { visible: true, opacity: 1, outline: false, showOnlySelected: false } });
    await idle(page);
    for (const voxel of [
      [20, 100, 100],
      [20, 40, 250],
    ] as [number, number, number][]) {
      const id = labelValue(...voxel);
      const px = await voxelPixel(page, 'xy', voxel);
      expect(near(px!.slice(0, 3), segmentColor(BigInt(id))), `label ${id}: ${px} vs ${segmentColor(BigInt(id))}`).toBe(true);
    }
    // Background (id 0) shows the image underneath.
    const bg: [number, number, number] = [20, 100, 96];
    const v = imageValue(...bg);
    expect(near((await voxelPixel(page, 'xy', bg))!.slice(0, 3), [v, v, v])).toBe(true);

    await setDisplays(page, { blocks: { visible: false }, 'big-ids': { visible: true, opacity: 1 } });
    await idle(page);
    const voxel: [number, number, number] = [20, 100, 100];
    const id = BIG + BigInt(labelValue(...voxel));
    const px = await voxelPixel(page, 'xy', voxel);
    expect(near(px!.slice(0, 3), segmentColor(id)), `uint64 label ${id}: ${px}`).toBe(true);
    expect(segmentColor(id)).not.toEqual(segmentColor(BigInt(labelValue(...voxel))));
    await setDisplays(page, { 'big-ids': { visible: false }, blocks: { visible: true, opacity: 0.5 } });
    await idle(page);
    await screenshot(page, 'viewer-labels');
  });

  it('shows voxel, physical position, intensity and segment id under the pointer', async () => {
    const voxel: [number, number, number] = [20, 100, 100];
    const at = await voxelOnPage(page, 'xy', voxel);
    await page.mouse.move(at.x, at.y);
    await expect.poll(() => page.getByTestId('status-voxel').textContent()).toBe('z 20  y 100  x 100');
    expect(await page.getByTestId('status-physical').textContent()).toBe('800 nm, 800 nm, 800 nm');
    expect(await page.getByTestId('status-value-pattern').getByTestId('status-intensity').textContent()).toBe(String(imageValue(...voxel)));
    expect(await page.getByTestId('status-value-blocks').getByTestId('status-segment').textContent()).toBe(String(labelValue(...voxel)));
    await screenshot(page, 'viewer-status-bar');
  });

  it('selects segments by click (Ctrl+click adds), shows only selected, outlines', async () => {
    const a: [number, number, number] = [20, 100, 100];
    const b: [number, number, number] = [20, 40, 250];
    const pa = await voxelOnPage(page, 'xy', a);
    const pb = await voxelOnPage(page, 'xy', b);
    await page.mouse.click(pa.x, pa.y);
    await page.keyboard.down('Control');
    await page.mouse.click(pb.x, pb.y);
    await page.keyboard.up('Control');
    const blocks = await layerId(page, 'blocks');
    await expect
      .poll(() => page.evaluate((id) => ((window as any).__tuViewer.state.get().selections[id] ?? []).map(String), blocks))
      .toEqual([String(labelValue(...a)), String(labelValue(...b))]);
    expect(await page.getByTestId('selected-segments').locator('[data-segment]').count()).toBe(2);

    await setDisplays(page, { blocks: { showOnlySelected: true, opacity: 1, selectedOpacity: 1 } });
    const other: [number, number, number] = [20, 200, 30];
    const v = imageValue(...other);
    expect(near((await voxelPixel(page, 'xy', other))!.slice(0, 3), [v, v, v]), 'unselected segment hidden').toBe(true);
    expect(near((await voxelPixel(page, 'xy', a))!.slice(0, 3), segmentColor(BigInt(labelValue(...a))))).toBe(true);
    await screenshot(page, 'viewer-only-selected');

    await setDisplays(page, { blocks: { showOnlySelected: false, outline: true } });
    // Inside an unselected block: no fill. On its boundary (x = 161 next to the 0 line at 160): its colour.
    expect(near((await voxelPixel(page, 'xy', [20, 200, 40]))!.slice(0, 3), [imageValue(20, 200, 40), imageValue(20, 200, 40), imageValue(20, 200, 40)])).toBe(true);
    const edge: [number, number, number] = [20, 200, 161];
    const edgePx = (await voxelPixel(page, 'xy', edge))!;
    expect(near(edgePx.slice(0, 3), segmentColor(BigInt(labelValue(...edge)))), `outline pixel ${edgePx}`).toBe(true);
    await screenshot(page, 'viewer-outlines');
    await setDisplays(page, { blocks: { outline: false, opacity: 1 } });
    await page.keyboard.press('Escape');
    await expect.poll(() => page.evaluate((id) => ((window as any).__tuViewer.state.get().selections[id] ?? []).length, blocks)).toBe(0);
  });

  it('applies a fragment -> segment mapping on the GPU (merges change the mapping, not voxels)', async () => {
    const a: [number, number, number] = [20, 100, 100];
    const b: [number, number, number] = [20, 40, 250];
    const blocks = await layerId(page, 'blocks');
    const idA = labelValue(...a);
    const idB = labelValue(...b);
    await page.mouse.move(5, 300); // no hover highlight
    await page.evaluate(([layer, fa, fb]) => (window as any).__tuViewer.labels(layer).setMapping([[BigInt(fa), BigInt(fb)]]), [blocks, idA, idB] as const);
    expect(near((await voxelPixel(page, 'xy', a))!.slice(0, 3), segmentColor(BigInt(idB))), 'merged fragment takes the segment colour').toBe(true);
    const at = await voxelOnPage(page, 'xy', a);
    await page.mouse.move(at.x, at.y + 1);
    await page.mouse.move(at.x, at.y);
    await expect.poll(() => page.getByTestId('status-value-blocks').getByTestId('status-segment').textContent()).toBe(`${idA} → ${idB}`);
    await page.evaluate(([layer, fa]) => (window as any).__tuViewer.labels(layer).updateMapping([[BigInt(fa), null]]), [blocks, idA] as const);
    expect(near((await voxelPixel(page, 'xy', a))!.slice(0, 3), segmentColor(BigInt(idA)))).toBe(true);
  });

  it('shows locally patched voxels at once and refetches the stored truth on invalidate', async () => {
    await setDisplays(page, { blocks: { visible: true, opacity: 1, outline: false, showOnlySelected: false }, 'big-ids': { visible: false } });
    await page.mouse.move(5, 300);
    const blocks = await layerId(page, 'blocks');
    const a: [number, number, number] = [20, 100, 100];
    const box = { min: [20, 98, 98], max: [21, 102, 102] };
    await page.evaluate(([layer, box]) => (window as any).__tuViewer.patchVoxels(layer, box, new Uint32Array(16).fill(777)), [blocks, box] as const);
    expect(near((await voxelPixel(page, 'xy', a))!.slice(0, 3), segmentColor(777n)), 'patched voxel').toBe(true);
    expect(near((await voxelPixel(page, 'xy', [20, 96, 100]))!.slice(0, 3), segmentColor(BigInt(labelValue(20, 96, 100)))), 'outside the patch').toBe(true);
    await page.evaluate(([layer, box]) => (window as any).__tuViewer.invalidate(layer, box), [blocks, box] as const);
    await idle(page);
    expect(near((await voxelPixel(page, 'xy', a))!.slice(0, 3), segmentColor(BigInt(labelValue(...a)))), 'refetched').toBe(true);
  });

  it('lets a plugin tool receive voxel coordinates, draw an overlay and own a hotkey', async () => {
    await page.evaluate(() => {
      const v = (window as any).__tuViewer;
      (window as any).__toolEvents = [];
      v.extensions.tools.register({
        id: 'probe',
        label: 'Probe',
        hotkey: 'B',
        cursor: 'crosshair',
        pointer(e: any) {
          if (e.type === 'down' || e.type === 'click') (window as any).__toolEvents.push({ type: e.type, voxel: e.voxelIndex, view: e.pane.view });
          return e.type === 'down';
        },
        drawOverlay(ctx: CanvasRenderingContext2D, pane: any) {
          const s = pane.toScreen([20.5, 100.5, 100.5]);
          ctx.fillStyle = 'rgb(255, 0, 255)';
          ctx.fillRect(s.x - 4, s.y - 4, 8, 8);
        },
      });
    });
    await page.getByTestId('tool-probe').waitFor();
    await page.mouse.move(10, 10);
    await page.keyboard.press('b');
    await expect.poll(() => page.evaluate(() => (window as any).__tuViewer.state.get().activeTool)).toBe('probe');
    const target: [number, number, number] = [20, 60, 70];
    const at = await voxelOnPage(page, 'xy', target);
    const posBefore = (await viewerState(page)).position;
    await page.mouse.move(at.x, at.y);
    await page.mouse.down();
    await page.mouse.move(at.x + 40, at.y + 40);
    await page.mouse.up();
    const events = await page.evaluate(() => (window as any).__toolEvents);
    expect(events[0]).toEqual({ type: 'down', voxel: target, view: 'xy' });
    expect((await viewerState(page)).position, 'a consumed drag does not pan').toEqual(posBefore);
    const dot = await voxelOnPage(page, 'xy', [20, 100, 100]);
    const png = decode(await page.screenshot());
    const dpr = png.width / 1440;
    const i = (Math.round(dot.y * dpr) * png.width + Math.round(dot.x * dpr)) * png.channels;
    expect([png.data[i], png.data[i + 1], png.data[i + 2]]).toEqual([255, 0, 255]);
    await page.keyboard.press('?');
    await page.getByTestId('help-overlay').getByText('Probe tool').waitFor();
    await screenshot(page, 'viewer-help');
    await page.keyboard.press('Escape');
    await page.getByTestId('tool-navigate').click();
  });

  it('goes to a typed coordinate, switches layouts, saves a view as PNG', async () => {
    await page.keyboard.press('g');
    await page.getByTestId('goto-input').fill('10, 50, 300');
    await page.getByTestId('goto-input').press('Enter');
    await expect.poll(async () => (await viewerState(page)).position).toEqual([10.5, 50.5, 300.5]);
    await page.keyboard.press('2');
    await expect.poll(() => page.getByTestId('pane-xy').count()).toBe(0);
    expect(await page.getByTestId('pane-xz').isVisible()).toBe(true);
    await idle(page);
    const px = await voxelPixel(page, 'xz', [12, 50, 100]);
    expect(px).not.toBeNull();
    await screenshot(page, 'viewer-single-xz');
    const download = page.waitForEvent('download');
    await page.getByTestId('screenshot').click();
    const file = join(scratch, 'view.png');
    await (await download).saveAs(file);
    const png = decode(readFileSync(file));
    const pane = (await page.getByTestId('pane-xz').boundingBox())!;
    expect(png.width).toBe(Math.round(pane.width));
    expect(png.height).toBe(Math.round(pane.height));
    await page.keyboard.press('4');
    await expect.poll(() => page.getByTestId('pane-xy').count()).toBe(1);
  });

  it('imports a TIFF through the dialog, exports a layer as TIFF, deletes a layer with confirmation', async () => {
    // Image layers must match the project's labels voxel for voxel.
    const small: [number, number, number] = [...SHAPE];
    const n = small[0] * small[1] * small[2];
    const data = new Uint8Array(n);
    for (let i = 0; i < n; i++) data[i] = (i * 7) % 251;
    const tif = join(scratch, 'stack.tif');
    const py = referencePython(['numpy', 'tifffile']);
    if (py) {
      runPython(`import sys, numpy as np, tifffile; a = (np.arange(${n}, dtype=np.int64) * 7 % 251).astype(np.uint8).reshape(${small.join(',')}); tifffile.imwrite(sys.argv[1], a)`, [tif]);
    } else {
      // Without tifffile, the project's own BigTIFF writer makes the file.
      await writeBigTiff(tif, { dtype: 'uint8', shape: small, resolution: null, sourceChunkShape: small }, async (box) => {
        const out = new Uint8Array((box.max[0] - box.min[0]) * (box.max[1] - box.min[1]) * (box.max[2] - box.min[2]));
        let k = 0;
        for (let z = box.min[0]; z < box.max[0]; z++)
          for (let y = box.min[1]; y < box.max[1]; y++) for (let x = box.min[2]; x < box.max[2]; x++) out[k++] = data[(z * small[1] + y) * small[2] + x];
        return out;
      });
    }
    await page.getByTestId('open-import').click();
    await page.getByTestId('import-path').fill(tif);
    await page.getByTestId('import-inspect').click();
    await page.getByTestId('import-summary').waitFor();
    expect(await page.getByTestId('import-summary').textContent()).toContain('40 × 256 × 320');
    await page.getByTestId('import-name').fill('imported');
    for (const [axis, v] of [
      ['z', '30'],
      ['y', '5'],
      ['x', '5'],
    ])
      await page.getByTestId(`import-res-${axis}`).fill(v);
    await screenshot(page, 'viewer-import-dialog');
    await page.getByTestId('import-submit').click();
    await page.locator('[data-testid="layer-row"][data-layer="imported"]').waitFor({ timeout: 30_000 });
    const layers = await page.evaluate(() => (window as any).tokenunifyApi.call('layers.list', {}));
    const imported = layers.find((l: { name: string }) => l.name === 'imported');
    expect(imported).toMatchObject({ shape: small, resolution: [30, 5, 5], dtype: 'uint8', kind: 'image' });

    // Export the imported layer back to TIFF and compare voxel for voxel.
    const row = page.locator('[data-testid="layer-row"][data-layer="imported"]');
    await row.getByTestId('layer-menu').click();
    await page.getByTestId('layer-export').click();
    const out = join(scratch, 'exported.tif');
    await page.getByTestId('export-path').fill(out);
    await screenshot(page, 'viewer-export-dialog');
    await page.getByTestId('export-submit').click();
    await expect
      .poll(async () => (await page.evaluate(() => (window as any).tokenunifyApi.call('jobs.list', {}))).find((j: { kind: string }) => j.kind === 'volumes.export')?.state, { timeout: 30_000 })
      .toBe('succeeded');
    expect(existsSync(out)).toBe(true);
    const reader = await openVolume(out);
    try {
      const back = await reader.readRegion({ min: [0, 0, 0], max: small });
      expect(Buffer.from(back.buffer, back.byteOffset, back.byteLength).equals(Buffer.from(data))).toBe(true);
    } finally {
      await reader.close();
    }

    await row.getByTestId('layer-menu').click();
    await page.getByTestId('layer-delete').click();
    expect(await page.getByTestId('delete-layer-submit').isDisabled()).toBe(true);
    await page.getByTestId('delete-layer-confirm').fill('imported');
    await page.getByTestId('delete-layer-submit').click();
    await expect.poll(() => page.locator('[data-testid="layer-row"][data-layer="imported"]').count(), { timeout: 10_000 }).toBe(0);
    await screenshot(page, 'viewer-after-delete');
  });

  it('lists the datasets of an HDF5 file and reads the chosen one (CREMI layout)', async () => {
    const py = referencePython(['numpy', 'h5py']);
    if (!py) {
      skipNotice('HDF5 dataset picker', ['numpy', 'h5py']);
      return;
    }
    const h5 = join(scratch, 'sample.hdf');
    runPython(
      `import sys, numpy as np, h5py
with h5py.File(sys.argv[1], 'w') as f:
    r = f.create_dataset('volumes/raw', data=np.zeros((${SHAPE.join(',')}), np.uint8))
    r.attrs['resolution'] = (40.0, 8.0, 8.0)
    l = f.create_dataset('volumes/labels/neuron_ids', data=np.ones((${SHAPE.join(',')}), np.uint64))
    l.attrs['resolution'] = (40.0, 8.0, 8.0)
    f.create_dataset('notes', data=np.arange(3))`,
      [h5],
    );
    await page.getByTestId('open-import').click();
    await page.getByTestId('import-path').fill(h5);
    await page.getByTestId('import-inspect').click();
    await page.getByTestId('import-dataset').waitFor();
    await page.getByTestId('import-dataset').click();
    const options = page.getByRole('option');
    await expect.poll(() => options.count()).toBeGreaterThanOrEqual(2);
    const texts = await options.allTextContents();
    expect(texts.some((t) => t.includes('volumes/raw'))).toBe(true);
    await page.getByRole('option', { name: /neuron_ids/ }).click();
    await expect.poll(() => page.getByTestId('import-summary').textContent()).toContain('uint64');
    expect(await page.getByTestId('import-summary').textContent()).toContain('40 × 8 × 8 nm');
    expect(await page.getByTestId('import-name').inputValue()).toBe('neuron_ids');
    expect(await page.getByTestId('import-kind').locator('input:checked').getAttribute('value')).toBe('labels');
    await screenshot(page, 'viewer-import-hdf5');
    await page.keyboard.press('Escape');
  });

  it('names the file when an import cannot be read', async () => {
    await page.getByTestId('open-import').click();
    const bogus = join(scratch, 'not-there.tif');
    await page.getByTestId('import-path').fill(bogus);
    await page.getByTestId('import-inspect').click();
    await page.getByTestId('import-error').waitFor();
    expect(await page.getByTestId('import-error').textContent()).toContain(bogus);
    await page.keyboard.press('Escape');
  });
});
