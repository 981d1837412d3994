import type { Vec3 } from '../viewer/core/geometry';
import type { PaneProjection } from '../viewer/tools/types';
import { bitmapRect } from '../tools/common';

export interface VoxelBitmap {
  h0: number;
  v0: number;
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** Keeps a canvas holding an RGBA voxel bitmap, re-filled only when its key changes. */
export class BitmapCanvas {
  private canvas: HTMLCanvasElement | null = null;
  private key: unknown = undefined;

  get(key: unknown, bitmap: () => VoxelBitmap): HTMLCanvasElement {
    if (this.canvas && Object.is(key, this.key)) return this.canvas;
    const bm = bitmap();
    const c = this.canvas ?? document.createElement('canvas');
    if (c.width !== bm.width || c.height !== bm.height) {
      c.width = Math.max(1, bm.width);
      c.height = Math.max(1, bm.height);
    }
    c.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(bm.data), Math.max(1, bm.width), Math.max(1, bm.height)), 0, 0);
    this.canvas = c;
    this.key = key;
    return c;
  }
}

/** Draws a voxel bitmap over a pane, one screen rectangle per voxel (no smoothing). */
export function drawVoxelBitmap(ctx: CanvasRenderingContext2D, pane: PaneProjection, bm: VoxelBitmap, canvas: HTMLCanvasElement, alpha = 1): void {
  const r = bitmapRect(pane, bm.h0, bm.v0, bm.width, bm.height);
  ctx.imageSmoothingEnabled = false;
  ctx.globalAlpha = alpha;
  ctx.drawImage(canvas, r.x, r.y, r.w, r.h);
  ctx.globalAlpha = 1;
}

/** A small marker (seed, annotation) at a voxel centre; hollow when on a neighbouring slice. */
export function drawMarker(ctx: CanvasRenderingContext2D, pane: PaneProjection, voxel: Vec3, color: string, opts: { onSlice: boolean; radius?: number; label?: string }): void {
  const p = pane.toScreen([voxel[0] + 0.5, voxel[1] + 0.5, voxel[2] + 0.5]);
  const r = opts.radius ?? 5;
  ctx.beginPath();
  ctx.arc(p.x, p.y, opts.onSlice ? r : r * 0.7, 0, Math.PI * 2);
  if (opts.onSlice) {
    ctx.fillStyle = color;
    ctx.fill();
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = 'rgba(255,255,255,0.95)';
    ctx.stroke();
  } else {
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = color;
    ctx.stroke();
  }
  if (opts.label) {
    ctx.font = '600 11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = 'rgba(0,0,0,0.6)';
    const w = ctx.measureText(opts.label).width;
    ctx.fillRect(p.x + r + 3, p.y - 8, w + 6, 16);
    ctx.fillStyle = '#fff';
    ctx.fillText(opts.label, p.x + r + 6, p.y);
  }
}
