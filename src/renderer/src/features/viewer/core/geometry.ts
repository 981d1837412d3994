/**
 * Slice-view geometry. Everything is [z, y, x]. Positions are continuous level-0 voxel
 * coordinates (voxel i covers [i, i + 1)); the zoom is nanometres per CSS pixel, shared by all
 * views, so anisotropic data is shown at its physical proportions.
 */

export type Vec3 = [number, number, number];
export type Axis = 0 | 1 | 2;
export type ViewKind = 'xy' | 'xz' | 'yz';

export const VIEW_KINDS: readonly ViewKind[] = ['xy', 'xz', 'yz'];
export const AXIS_NAMES = ['z', 'y', 'x'] as const;

/** Which volume axis runs right (h), down (v) and out of the screen (n) in each view. */
export const VIEW_AXES: Record<ViewKind, { h: Axis; v: Axis; n: Axis }> = {
  xy: { h: 2, v: 1, n: 0 },
  xz: { h: 2, v: 0, n: 1 },
  // z runs right so that YZ shares its vertical (y) axis with XY, as in CATMAID and webKnossos.
  yz: { h: 0, v: 1, n: 2 },
};

export interface Camera {
  /** Level-0 voxel coordinates of the point at every pane's centre. */
  position: Vec3;
  /** Nanometres per CSS pixel. */
  zoom: number;
}

export interface PaneSize {
  width: number;
  height: number;
}

export interface Box3 {
  min: Vec3;
  max: Vec3;
}

/** Level-0 voxel coordinates under a point of a pane (CSS pixels from its top-left corner). */
export function screenToVoxel(view: ViewKind, pane: PaneSize, cam: Camera, resolution: Vec3, sx: number, sy: number): Vec3 {
  const { h, v } = VIEW_AXES[view];
  const out = [...cam.position] as Vec3;
  out[h] = cam.position[h] + ((sx - pane.width / 2) * cam.zoom) / resolution[h];
  out[v] = cam.position[v] + ((sy - pane.height / 2) * cam.zoom) / resolution[v];
  return out;
}

/** Where a level-0 voxel coordinate appears in a pane (its normal coordinate is ignored). */
export function voxelToScreen(view: ViewKind, pane: PaneSize, cam: Camera, resolution: Vec3, voxel: Vec3): { x: number; y: number } {
  const { h, v } = VIEW_AXES[view];
  return {
    x: pane.width / 2 + ((voxel[h] - cam.position[h]) * resolution[h]) / cam.zoom,
    y: pane.height / 2 + ((voxel[v] - cam.position[v]) * resolution[v]) / cam.zoom,
  };
}

/** Moves the camera so the content follows a drag of (dx, dy) CSS pixels. */
export function panBy(cam: Camera, view: ViewKind, resolution: Vec3, dx: number, dy: number): Camera {
  const { h, v } = VIEW_AXES[view];
  const position = [...cam.position] as Vec3;
  position[h] -= (dx * cam.zoom) / resolution[h];
  position[v] -= (dy * cam.zoom) / resolution[v];
  return { ...cam, position };
}

/** Zooms by `factor` (>1 zooms in) keeping the voxel under (sx, sy) where it is on screen. */
export function zoomAbout(cam: Camera, view: ViewKind, pane: PaneSize, resolution: Vec3, sx: number, sy: number, factor: number, limits: [number, number]): Camera {
  const zoom = clamp(cam.zoom / factor, limits[0], limits[1]);
  const anchor = screenToVoxel(view, pane, cam, resolution, sx, sy);
  const { h, v } = VIEW_AXES[view];
  const position = [...cam.position] as Vec3;
  position[h] = anchor[h] - ((sx - pane.width / 2) * zoom) / resolution[h];
  position[v] = anchor[v] - ((sy - pane.height / 2) * zoom) / resolution[v];
  return { position, zoom };
}

/** Moves the slice of a view by `steps` voxels along its normal, landing on voxel centres. */
export function stepSlice(cam: Camera, view: ViewKind, steps: number, shape: Vec3): Camera {
  const n = VIEW_AXES[view].n;
  const position = [...cam.position] as Vec3;
  position[n] = clamp(Math.floor(position[n]) + steps, 0, shape[n] - 1) + 0.5;
  return { ...cam, position };
}

/** The integer slice a view shows along its normal. */
export function sliceIndex(cam: Camera, view: ViewKind, shape: Vec3): number {
  const n = VIEW_AXES[view].n;
  return clamp(Math.floor(cam.position[n]), 0, shape[n] - 1);
}

/** The level-0 voxels a pane shows (one voxel thick along the normal), clipped to the volume; null when none. */
export function visibleBox(view: ViewKind, pane: PaneSize, cam: Camera, resolution: Vec3, shape: Vec3, marginPx = 0): Box3 | null {
  const { h, v, n } = VIEW_AXES[view];
  const a = screenToVoxel(view, pane, cam, resolution, -marginPx, -marginPx);
  const b = screenToVoxel(view, pane, cam, resolution, pane.width + marginPx, pane.height + marginPx);
  const min: Vec3 = [0, 0, 0];
  const max: Vec3 = [0, 0, 0];
  for (const axis of [h, v]) {
    min[axis] = Math.max(0, Math.floor(a[axis]));
    max[axis] = Math.min(shape[axis], Math.ceil(b[axis]));
    if (max[axis] <= min[axis]) return null;
  }
  const s = Math.floor(cam.position[n]);
  if (s < 0 || s >= shape[n]) return null;
  min[n] = s;
  max[n] = s + 1;
  return { min, max };
}

/** Physical size of the volume in nm along each axis. */
export function physicalExtent(shape: Vec3, resolution: Vec3): Vec3 {
  return [shape[0] * resolution[0], shape[1] * resolution[1], shape[2] * resolution[2]];
}

/** The zoom that fits a view's plane of the volume into a pane, with a small margin. */
export function fitZoom(view: ViewKind, pane: PaneSize, shape: Vec3, resolution: Vec3): number {
  const { h, v } = VIEW_AXES[view];
  const ext = physicalExtent(shape, resolution);
  return Math.max(ext[h] / Math.max(1, pane.width), ext[v] / Math.max(1, pane.height)) * 1.05;
}

export function centreOf(shape: Vec3): Vec3 {
  return [Math.floor(shape[0] / 2) + 0.5, Math.floor(shape[1] / 2) + 0.5, Math.floor(shape[2] / 2) + 0.5];
}

export function clampPosition(p: Vec3, shape: Vec3): Vec3 {
  return [clamp(p[0], 0, shape[0] - 1e-6), clamp(p[1], 0, shape[1] - 1e-6), clamp(p[2], 0, shape[2] - 1e-6)];
}

export function floorVec(p: Vec3): Vec3 {
  return [Math.floor(p[0]), Math.floor(p[1]), Math.floor(p[2])];
}

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** A length in nm as the field writes it: nm below 1 µm, µm below 1 mm. */
export function formatLength(nm: number): string {
  if (nm >= 1e6) return `${trim(nm / 1e6)} mm`;
  if (nm >= 1000) return `${trim(nm / 1000)} µm`;
  return `${trim(nm)} nm`;
}

function trim(x: number): string {
  return Number(x.toPrecision(4)).toString();
}

/**
 * A scale bar about `targetPx` CSS pixels long whose length is a round number (1, 2 or 5 x 10^k nm).
 */
export function scaleBar(zoom: number, targetPx = 120): { nm: number; px: number; label: string } {
  const raw = targetPx * zoom;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const nice = [5, 2, 1].map((m) => m * pow).find((c) => c <= raw) ?? pow;
  return { nm: nice, px: nice / zoom, label: formatLength(nice) };
}
