import type { Vec3 } from '../viewer/core/geometry';
import type { OverlayPainter } from '../viewer/tools/types';
import { BitmapCanvas, drawVoxelBitmap } from './overlay-draw';
import type { PendingStroke, ProofreadingSession } from './session';

const STROKE_ALPHA = 0.7;

/**
 * Draws the brush strokes not yet visible in the label textures: the whole stroke in views of
 * its plane, the line where it is cut in the two other views.
 */
export function strokePainter(session: ProofreadingSession): OverlayPainter {
  const canvases = new WeakMap<PendingStroke, BitmapCanvas>();
  return (ctx, pane) => {
    const layerId = session.state.get().layerId;
    for (const stroke of session.strokes) {
      if (stroke.layerId !== layerId) continue;
      const mask = stroke.mask;
      const [h, v, n] = pane.axes;
      if (n === mask.normal) {
        if (pane.slice !== mask.slice || mask.size === 0 || h !== mask.h || v !== mask.v) continue;
        let c = canvases.get(stroke);
        if (!c) canvases.set(stroke, (c = new BitmapCanvas()));
        const bm = mask.bitmap;
        drawVoxelBitmap(ctx, pane, bm, c.get(mask.revision, () => bm), STROKE_ALPHA);
        continue;
      }
      // Another view: its plane (axis n at pane.slice) cuts the stroke's plane in a line.
      const cut = mask.lineRuns(n, pane.slice);
      if (!cut || cut.runs.length === 0) continue;
      const [r, g, b, a] = mask.color;
      ctx.fillStyle = `rgba(${r}, ${g}, ${b}, ${(a / 255) * STROKE_ALPHA})`;
      for (const [start, end] of cut.runs) {
        const p0: Vec3 = [0, 0, 0];
        const p1: Vec3 = [0, 0, 0];
        p0[mask.normal] = p1[mask.normal] = mask.slice;
        p0[n] = pane.slice;
        p1[n] = pane.slice;
        p0[cut.along] = start;
        p1[cut.along] = end;
        p1[mask.normal] = mask.slice + 1;
        const a0 = pane.toScreen(p0);
        const a1 = pane.toScreen(p1);
        ctx.fillRect(Math.min(a0.x, a1.x), Math.min(a0.y, a1.y), Math.abs(a1.x - a0.x), Math.abs(a1.y - a0.y));
      }
    }
  };
}
