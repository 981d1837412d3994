import type { ViewAxis } from '@shared/api/proofreading';
import type { Vec3 } from '../viewer/core/geometry';
import type { ToolShortcut, ViewerHost, ViewerPointerEvent } from '../viewer/tools/types';
import type { ProofreadingSession } from '../proofreading/session';

export const AXIS_NAME: readonly ViewAxis[] = ['z', 'y', 'x'];

/** The voxel under the pointer, on the pane's own slice. */
export function paneVoxel(e: ViewerPointerEvent): Vec3 {
  const v = [...e.voxelIndex] as Vec3;
  v[e.pane.axes[2]] = e.pane.slice;
  return v;
}

/** The segment of the edited layer under the pointer, from the viewer's cached chunks (null: not loaded). */
export function segmentUnder(e: ViewerPointerEvent, session: ProofreadingSession): number | null {
  const layerId = session.state.get().layerId;
  const v = e.pick().find((p) => p.layerId === layerId);
  return v?.segment === null || v?.segment === undefined ? null : Number(v.segment);
}

export function backToNavigate(cancel?: (host: ViewerHost) => boolean): ToolShortcut {
  return {
    key: 'Escape',
    label: 'Esc',
    description: 'cancel; again: back to Navigate',
    run: (host) => {
      if (cancel?.(host)) return;
      host.setActiveTool('navigate');
    },
  };
}

export function newSegmentShortcut(session: ProofreadingSession): ToolShortcut {
  return { key: 'n', label: 'N', description: 'new segment id', run: () => void session.newSegment() };
}

/** Alt+click anywhere in a painting tool: the segment under the pointer becomes the active one. */
export function eyedropper(e: ViewerPointerEvent, session: ProofreadingSession): boolean {
  if (e.type !== 'down' || !e.altKey) return false;
  if (e.inside) void session.pickActiveSegment(e.voxelIndex);
  return true;
}

/** Screen rectangle of a voxel-aligned bitmap (h0, v0, width x height voxels) in a pane. */
export function bitmapRect(pane: { toScreen(v: Vec3): { x: number; y: number }; axes: [number, number, number] }, h0: number, v0: number, width: number, height: number): { x: number; y: number; w: number; h: number } {
  const corner = (ph: number, pv: number) => {
    const v: Vec3 = [0, 0, 0];
    v[pane.axes[0]] = ph;
    v[pane.axes[1]] = pv;
    return pane.toScreen(v);
  };
  const a = corner(h0, v0);
  const b = corner(h0 + width, v0 + height);
  return { x: a.x, y: a.y, w: b.x - a.x, h: b.y - a.y };
}
