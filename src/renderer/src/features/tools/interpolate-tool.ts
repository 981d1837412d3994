import type { InterpolateRequest, VoxelPreview } from '@shared/api/proofreading';
import type { PaneProjection, ViewerHost, ViewerPointerEvent, ViewerTool } from '../viewer/tools/types';
import { createStore, type Store } from '../viewer/state/store';
import type { ProofreadingSession } from '../proofreading/session';
import { BoxPreviewLayer } from './box-preview';
import { AXIS_NAME, backToNavigate, eyedropper, segmentUnder } from './common';

export interface InterpolateState {
  segmentId: number | null;
  /** Axis across the two annotated slices (0 = z, 1 = y, 2 = x). */
  normal: number | null;
  from: number | null;
  to: number | null;
  /** Also overwrite other segments between the slices (default: background only). */
  overwrite: boolean;
  preview: VoxelPreview | null;
  busy: boolean;
}

const EMPTY: InterpolateState = { segmentId: null, normal: null, from: null, to: null, overwrite: false, preview: null, busy: false };

/**
 * Interpolate: paint a segment's shape on two slices (brush), then click the segment on the
 * first and on the second slice; the shapes between are previewed, Enter writes them.
 */
export class InterpolateTool implements ViewerTool {
  readonly id = 'interpolate';
  readonly label = 'Interpolate';
  readonly hotkey = 'I';
  readonly cursor = 'crosshair';
  readonly shortcuts;
  readonly state: Store<InterpolateState> = createStore<InterpolateState>(EMPTY);
  private readonly layer = new BoxPreviewLayer(() => this.rgba);
  private rgba: [number, number, number, number] = [255, 255, 255, 255];

  constructor(private readonly session: ProofreadingSession) {
    this.shortcuts = [
      { key: 'Enter', label: 'Enter', description: 'fill the slices between as previewed', run: () => void this.commit() },
      backToNavigate((h) => this.cancel(h)),
    ];
  }

  pointer(e: ViewerPointerEvent, host: ViewerHost): boolean {
    if (eyedropper(e, this.session)) return true;
    if (e.type !== 'down') return false;
    if (!e.inside) return true;
    const under = segmentUnder(e, this.session);
    const segmentId = under || this.session.state.get().activeSegment;
    if (!segmentId) {
      this.session.notify('info', 'Click the painted shape of a segment on the first slice.');
      return true;
    }
    const normal = e.pane.axes[2];
    const slice = e.pane.slice;
    const s = this.state.get();
    if (s.from === null || s.normal !== normal || s.segmentId !== segmentId || s.to !== null) {
      this.layer.set(null);
      this.state.replace({ ...EMPTY, overwrite: s.overwrite, segmentId, normal, from: slice });
      this.session.setActiveSegment(segmentId);
      this.session.notify('info', `Slice ${AXIS_NAME[normal]} = ${slice} marked; now click segment ${segmentId} on another slice.`);
    } else if (slice !== s.from) {
      this.state.set({ to: slice });
      void this.runPreview(host);
    }
    host.requestOverlay();
    return true;
  }

  drawOverlay(ctx: CanvasRenderingContext2D, pane: PaneProjection): void {
    this.layer.draw(ctx, pane, 0.7);
    const s = this.state.get();
    if (s.normal === null || pane.axes[2] !== s.normal) return;
    const marks = [s.from, s.to].filter((x) => x !== null).join(' → ');
    const text = `Interpolate ${s.segmentId}: ${AXIS_NAME[s.normal]} ${marks}`;
    ctx.font = '600 12px system-ui, sans-serif';
    const w = ctx.measureText(text).width;
    ctx.fillStyle = 'rgba(0,0,0,0.6)';
    ctx.fillRect(pane.width - w - 22, 8, w + 12, 20);
    ctx.fillStyle = '#ffd43b';
    ctx.textBaseline = 'top';
    ctx.fillText(text, pane.width - w - 16, 12);
  }

  setOverwrite(overwrite: boolean, host: ViewerHost): void {
    this.state.set({ overwrite });
    if (this.request()) void this.runPreview(host);
  }

  cancel(host: ViewerHost): boolean {
    const had = this.state.get().from !== null;
    this.state.replace({ ...EMPTY, overwrite: this.state.get().overwrite });
    this.layer.set(null);
    host.requestOverlay();
    return had;
  }

  request(): InterpolateRequest | null {
    const s = this.state.get();
    const layerId = this.session.state.get().layerId;
    if (!layerId || s.segmentId === null || s.normal === null || s.from === null || s.to === null) return null;
    return { layerId, segmentId: s.segmentId, axis: AXIS_NAME[s.normal], from: s.from, to: s.to, ...(s.overwrite ? { overwrite: true } : {}) };
  }

  private async runPreview(host: ViewerHost): Promise<void> {
    const req = this.request();
    if (!req || !this.session.editableLayer()) return;
    this.state.set({ busy: true });
    const preview = await this.session.preview('edits.interpolatePreview', req);
    this.state.set({ busy: false, preview });
    const [r, g, b] = this.session.colorOf(req.segmentId);
    this.rgba = [r, g, b, 255];
    this.layer.set(preview?.box ? { box: preview.box, values: preview.mask } : null);
    if (preview && preview.voxels === 0) this.session.notify('info', 'Nothing to fill between these slices (the shapes may already be there).');
    host.requestOverlay();
  }

  async commit(): Promise<void> {
    const req = this.request();
    if (!req) {
      this.session.notify('info', 'Click the segment on two slices first.');
      return;
    }
    if (this.state.get().busy) return;
    this.state.set({ busy: true });
    const r = await this.session.edit('edits.interpolate', req);
    this.state.set({ busy: false });
    if (!r) return;
    this.session.notify('success', `Interpolated ${r.changedVoxels} voxels of segment ${req.segmentId}.`);
    await this.session.viewerCaughtUp();
    this.cancel(this.session.viewer);
  }
}
