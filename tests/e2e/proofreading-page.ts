/// <reference lib="dom" />
import type { Page } from 'playwright-core';

/** Page helpers of the proofreading e2e test and UI benchmark (browser mode, the built app). */

export type Vec3 = [number, number, number];
export type Rgba = [number, number, number, number];

/** Waits until a frame drawn after this call shows every visible chunk, with nothing loading. */
export async function idle(page: Page): Promise<void> {
  const frames = await page.evaluate(() => {
    const v = (window as any).__tuViewer;
    v.requestRender();
    return v.stats().frames as number;
  });
  await page.waitForFunction(
    (frames) => {
      const v = (window as any).__tuViewer;
      const s = v.stats();
      if (s.frames > frames + 1 && s.complete && !s.loader.inFlight && !s.loader.queued) return true;
      v.requestRender();
      return false;
    },
    frames,
    { timeout: 30_000, polling: 50 },
  );
}

/** The GL pixel where a voxel's centre is drawn in a pane (after a fresh frame). */
export function voxelPixel(page: Page, view: 'xy' | 'xz' | 'yz', voxel: Vec3): Promise<Rgba | null> {
  return page.evaluate(
    ([view, voxel]) => {
      const v = (window as any).__tuViewer;
      const s = v.projection(view).toScreen([voxel[0] + 0.5, voxel[1] + 0.5, voxel[2] + 0.5]);
      return v.readPanePixel(view, s.x, s.y);
    },
    [view, voxel] as const,
  );
}

/** Page coordinates of a voxel centre in a pane. */
export async function voxelOnPage(page: Page, view: 'xy' | 'xz' | 'yz', voxel: Vec3): Promise<{ x: number; y: number }> {
  const b = (await page.getByTestId(`pane-${view}`).boundingBox())!;
  const s = await page.evaluate(
    ([view, voxel]) => (window as any).__tuViewer.projection(view).toScreen([voxel[0] + 0.5, voxel[1] + 0.5, voxel[2] + 0.5]),
    [view, voxel] as const,
  );
  return { x: b.x + s.x, y: b.y + s.y };
}

/** The stored voxels of a label layer (level 0, whole volume), read through the API. */
export async function labelVolume(page: Page, layerId: string, shape: Vec3): Promise<Uint32Array> {
  const b64 = await page.evaluate(
    async ([layerId, shape]) => {
      const r = await (window as any).tokenunifyApi.call('layers.region', { layerId, level: 0, box: { min: [0, 0, 0], max: shape } });
      const u8 = new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength);
      let s = '';
      for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000));
      return btoa(s);
    },
    [layerId, shape] as const,
  );
  const buf = Buffer.from(b64, 'base64');
  return new Uint32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

export function apiCall<T = any>(page: Page, method: string, params: unknown): Promise<T> {
  return page.evaluate(([method, params]) => (window as any).tokenunifyApi.call(method, params), [method, params] as const) as Promise<T>;
}

/** Label opacity 1 everywhere (selected too), so rendered label pixels equal segment colours. */
export async function opaqueLabels(page: Page, layerId: string, opacity = 1): Promise<void> {
  await page.evaluate(
    ([id, opacity]) => {
      const v = (window as any).__tuViewer;
      const d = v.displays.get()[id];
      v.displays.set({ [id]: { ...d, labels: { ...d.labels, opacity, selectedOpacity: opacity, outline: false, showOnlySelected: false } } });
    },
    [layerId, opacity] as const,
  );
}

/** Draws a brush stroke through voxels of a pane (pointer down at the first, up at the last). */
export async function stroke(page: Page, view: 'xy' | 'xz' | 'yz', voxels: Vec3[]): Promise<void> {
  const first = await voxelOnPage(page, view, voxels[0]);
  await page.mouse.move(first.x, first.y);
  await page.mouse.down();
  for (const v of voxels.slice(1)) {
    const p = await voxelOnPage(page, view, v);
    await page.mouse.move(p.x, p.y, { steps: 2 });
  }
  await page.mouse.up();
}

export const near = (a: number[], b: number[], tol = 2) => a.length >= b.length && b.every((v, i) => Math.abs(v - a[i]) <= tol);
