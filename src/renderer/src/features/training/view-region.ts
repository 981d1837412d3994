import type { ViewerController } from '../viewer/viewer-controller';

export interface VoxelBox {
  min: [number, number, number];
  max: [number, number, number];
}

/**
 * The region the user looks at: the XY pane's visible rectangle (the whole plane when there is
 * no XY pane), `depth` sections around the current one, inside the volume.
 */
export function visibleBox(controller: ViewerController, depth: number): VoxelBox | null {
  const world = controller.world;
  if (!world) return null;
  const shape = world.shape;
  const pos = controller.state.get().position;
  const p = controller.projection('xy');
  let y0 = 0;
  let y1 = shape[1];
  let x0 = 0;
  let x1 = shape[2];
  if (p && p.width > 0 && p.height > 0) {
    const a = p.toVoxel(0, 0);
    const b = p.toVoxel(p.width, p.height);
    y0 = Math.max(0, Math.floor(Math.min(a[1], b[1])));
    y1 = Math.min(shape[1], Math.ceil(Math.max(a[1], b[1])));
    x0 = Math.max(0, Math.floor(Math.min(a[2], b[2])));
    x1 = Math.min(shape[2], Math.ceil(Math.max(a[2], b[2])));
    if (y1 <= y0 || x1 <= x0) return null;
  }
  const d = Math.min(depth, shape[0]);
  const z0 = Math.max(0, Math.min(shape[0] - d, Math.floor(pos[0]) - Math.floor(d / 2)));
  return { min: [z0, y0, x0], max: [z0 + d, y1, x1] };
}

export function formatBox(b: VoxelBox): string {
  return `z ${b.min[0]}-${b.max[0]}, y ${b.min[1]}-${b.max[1]}, x ${b.min[2]}-${b.max[2]}`;
}
