import type { PaintRequest } from '@shared/api/proofreading';
import type { Vec3, ViewKind } from '../viewer/core/geometry';
import type { PaneProjection, ViewerHost, ViewerPointerEvent, ViewerTool, ViewerWheelEvent } from '../viewer/tools/types';
import { PlaneMask } from '../proofreading/plane-mask';
import type { PendingStroke, ProofreadingSession } from '../proofreading/session';
import { forEachStrokeVoxel, stepRadius } from '@shared/brush-geometry';
import { AXIS_NAME, backToNavigate, eyedropper, newSegmentShortcut, paneVoxel } from './common';

/** A long stroke is committed in pieces this often (each piece is one undoable edit). */
export const STROKE_FLUSH_MS = 4000;
const ERASE_COLOR: [number, number, number, number] = [12, 12, 14, 170];

interface ActiveStroke {
  view: ViewKind;
  layerId: string;
  segmentId: number;
  normal: number;
  slice: number;
  radius: number;
  points: Vec3[];
  pending: PendingStroke;
  startedAt: number;
}

/**
 * Brush and eraser in the plane of the view they are used in. The stroke is drawn into the
 * overlay at once (pointer to pixels in one frame) and sent as one `edits.paint` at pointer-up
 * (long strokes every STROKE_FLUSH_MS); the overlay stays until the viewer shows the stored voxels.
 */
export class BrushTool implements ViewerTool {
  readonly id: string;
  readonly label: string;
  readonly hotkey: string;
  readonly cursor = 'none';
  readonly shortcuts;
  private hover: { view: ViewKind; voxel: Vec3 } | null = null;
  private stroke: ActiveStroke | null = null;

  constructor(
    private readonly session: ProofreadingSession,
    readonly erase: boolean,
  ) {
    this.id = erase ? 'eraser' : 'brush';
    this.label = erase ? 'Eraser' : 'Brush';
    this.hotkey = erase ? 'E' : 'B';
    this.shortcuts = [
      { key: '[', label: '[', description: 'smaller brush', run: (h: ViewerHost) => this.resize(-1, h) },
      { key: ']', label: ']', description: 'larger brush', run: (h: ViewerHost) => this.resize(1, h) },
      newSegmentShortcut(session),
      backToNavigate(),
    ];
  }

  deactivate(): void {
    this.finish();
    this.hover = null;
  }

  pointer(e: ViewerPointerEvent, host: ViewerHost): boolean {
    if (e.type === 'leave') {
      this.hover = null;
      host.requestOverlay();
      return false;
    }
    this.hover = { view: e.pane.view, voxel: paneVoxel(e) };
    if (eyedropper(e, this.session)) return true;
    if (e.type === 'down') {
      this.begin(e);
      host.requestOverlay();
      return true;
    }
    if (e.type === 'move') {
      if (this.stroke && e.pane.view === this.stroke.view && e.buttons & 1) this.extend(paneVoxel(e));
      host.requestOverlay();
      return this.stroke !== null;
    }
    if (e.type === 'up') {
      if (!this.stroke) return false;
      if (e.pane.view === this.stroke.view) this.extend(paneVoxel(e));
      this.finish();
      return true;
    }
    return false;
  }

  wheel(e: ViewerWheelEvent, host: ViewerHost): boolean {
    if (!e.shiftKey || e.ctrlKey) return false;
    const d = e.deltaY !== 0 ? e.deltaY : e.native.deltaX;
    if (d === 0) return true;
    this.resize(d < 0 ? 1 : -1, host);
    return true;
  }

  drawOverlay(ctx: CanvasRenderingContext2D, pane: PaneProjection): void {
    if (!this.hover || this.hover.view !== pane.view) return;
    const r = this.session.state.get().brushRadius + 0.5;
    const v = this.hover.voxel;
    const c = pane.toScreen([v[0] + 0.5, v[1] + 0.5, v[2] + 0.5]);
    const [red, green, blue] = this.erase ? [255, 255, 255] : this.session.colorOf(this.session.state.get().activeSegment);
    ctx.beginPath();
    ctx.ellipse(c.x, c.y, Math.max(1.5, r * pane.pixelsPerVoxel.h), Math.max(1.5, r * pane.pixelsPerVoxel.v), 0, 0, Math.PI * 2);
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = `rgb(${red}, ${green}, ${blue})`;
    if (this.erase) ctx.setLineDash([4, 3]);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = 'rgba(255,255,255,0.9)';
    ctx.fillRect(c.x - 0.5, c.y - 0.5, 1.5, 1.5);
  }

  private resize(direction: 1 | -1, host: ViewerHost): void {
    const s = this.session.state;
    s.set({ brushRadius: stepRadius(s.get().brushRadius, direction) });
    host.requestOverlay();
  }

  private begin(e: ViewerPointerEvent): void {
    const layerId = this.session.editableLayer();
    if (!layerId) return;
    const s = this.session.state.get();
    const segmentId = this.erase ? 0 : s.activeSegment;
    if (segmentId === null) {
      this.session.notify('warning', 'No active segment: press N for a new id, or Alt+click a segment to pick it.');
      return;
    }
    const [h, v, n] = e.pane.axes;
    const [r, g, b] = this.session.colorOf(segmentId);
    const mask = new PlaneMask(n, e.pane.slice, { h, v }, this.erase ? ERASE_COLOR : [r, g, b, 255]);
    const pending: PendingStroke = { layerId, mask, erase: this.erase };
    this.stroke = { view: e.pane.view, layerId, segmentId, normal: n, slice: e.pane.slice, radius: s.brushRadius, points: [], pending, startedAt: performance.now() };
    this.session.addStroke(pending);
    this.extend(paneVoxel(e));
  }

  private extend(voxel: Vec3): void {
    const st = this.stroke;
    if (!st) return;
    const last = st.points[st.points.length - 1];
    if (last && last.every((c, i) => c === voxel[i])) return;
    const shape = this.session.layer?.shape ?? [0, 0, 0];
    const radius = st.radius;
    const piece = last ? [last, voxel] : [voxel];
    forEachStrokeVoxel(st.normal, piece, radius, (z, y, x) => {
      if (z >= 0 && y >= 0 && x >= 0 && z < shape[0] && y < shape[1] && x < shape[2]) st.pending.mask.add([z, y, x]);
    });
    st.points.push(voxel);
    if (performance.now() - st.startedAt > STROKE_FLUSH_MS) {
      // Commit what is drawn so far; the stroke goes on from its last point as a new edit.
      this.finish();
      this.beginFrom(st, voxel);
    }
  }

  private beginFrom(prev: ActiveStroke, voxel: Vec3): void {
    const mask = new PlaneMask(prev.normal, prev.slice, { h: prev.pending.mask.h, v: prev.pending.mask.v }, prev.pending.mask.color);
    const pending: PendingStroke = { layerId: prev.layerId, mask, erase: this.erase };
    this.stroke = { ...prev, points: [], pending, startedAt: performance.now() };
    this.session.addStroke(pending);
    this.extend(voxel);
  }

  /** Sends the stroke (if any) as one paint edit. */
  private finish(): void {
    const st = this.stroke;
    this.stroke = null;
    if (!st || st.points.length === 0) return;
    const s = this.session.state.get();
    const req: PaintRequest = {
      layerId: st.layerId,
      segmentId: st.segmentId,
      axis: AXIS_NAME[st.normal],
      points: st.points,
      radius: st.radius,
      ...(this.erase ? { erase: true, ...(s.eraseOnlyActive && s.activeSegment ? { onlySegment: s.activeSegment } : {}) } : { overwrite: !s.paintBackgroundOnly }),
    };
    void this.session.edit('edits.paint', req).then((r) => this.session.settleStroke(st.pending, r !== null));
  }
}
