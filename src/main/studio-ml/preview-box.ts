import type { Box, Vec3 } from '../volumes/box';

/** In-plane extent of a preview, in windows: enough to cover a view's centre, cheap enough to repeat. */
export const PREVIEW_WINDOWS = 2;

/**
 * The region a preview predicts: one window deep around the view box's middle section, and at
 * most PREVIEW_WINDOWS windows wide in y and x around its centre, inside the volume.
 */
export function previewBox(view: Box, window: Vec3, shape: Vec3): Box {
  const min: Vec3 = [0, 0, 0];
  const max: Vec3 = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    const want = Math.min(shape[a], a === 0 ? window[0] : Math.min(view.max[a] - view.min[a], PREVIEW_WINDOWS * window[a]));
    const size = Math.max(1, want);
    const centre = Math.floor((view.min[a] + view.max[a]) / 2);
    const lo = Math.max(0, Math.min(shape[a] - size, centre - Math.floor(size / 2)));
    min[a] = lo;
    max[a] = lo + size;
  }
  return { min, max };
}
