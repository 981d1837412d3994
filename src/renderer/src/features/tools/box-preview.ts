import type { PaneProjection } from '../viewer/tools/types';
import { BitmapCanvas, drawVoxelBitmap } from '../proofreading/overlay-draw';
import { previewSlice, type BoxValues, type SliceBitmap } from '../proofreading/preview-slice';

/**
 * A box preview from the server (fill / interpolate mask, split groups) drawn in every pane:
 * each pane's cut is computed once per slice and kept as a canvas.
 */
export class BoxPreviewLayer {
  private readonly cuts = new Map<string, { key: string; bitmap: SliceBitmap | null; canvas: BitmapCanvas }>();
  private preview: BoxValues | null = null;
  private revision = 0;

  constructor(private readonly colorOf: (value: number) => readonly [number, number, number, number]) {}

  set(preview: BoxValues | null): void {
    this.preview = preview;
    this.revision++;
    this.cuts.clear();
  }

  get current(): BoxValues | null {
    return this.preview;
  }

  /** Whether a voxel is non-zero in the preview. */
  covers(voxel: readonly number[]): boolean {
    const p = this.preview;
    if (!p) return false;
    const { min, max } = p.box;
    if (!voxel.every((c, a) => c >= min[a] && c < max[a])) return false;
    const size = [max[0] - min[0], max[1] - min[1], max[2] - min[2]];
    return p.values[((voxel[0] - min[0]) * size[1] + (voxel[1] - min[1])) * size[2] + (voxel[2] - min[2])] !== 0;
  }

  draw(ctx: CanvasRenderingContext2D, pane: PaneProjection, alpha: number): void {
    const p = this.preview;
    if (!p) return;
    const [h, v, n] = pane.axes;
    const key = `${this.revision}:${pane.slice}`;
    let cut = this.cuts.get(pane.view);
    if (!cut || cut.key !== key) {
      cut = { key, bitmap: previewSlice(p, { h, v, n }, pane.slice, this.colorOf), canvas: cut?.canvas ?? new BitmapCanvas() };
      this.cuts.set(pane.view, cut);
    }
    const bm = cut.bitmap;
    if (!bm) return;
    drawVoxelBitmap(ctx, pane, bm, cut.canvas.get(key, () => bm), alpha);
    // Outline the preview's box so it is found even when small.
    ctx.strokeStyle = 'rgba(255,255,255,0.55)';
    ctx.setLineDash([5, 4]);
    ctx.lineWidth = 1;
    const a = pane.toScreen(p.box.min);
    const b = pane.toScreen(p.box.max);
    ctx.strokeRect(Math.min(a.x, b.x), Math.min(a.y, b.y), Math.abs(b.x - a.x), Math.abs(b.y - a.y));
    ctx.setLineDash([]);
  }
}
