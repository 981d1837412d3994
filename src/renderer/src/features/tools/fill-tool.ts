import type { FillRequest, VoxelPreview } from '@shared/api/proofreading';
import type { Vec3 } from '../viewer/core/geometry';
import type { PaneProjection, ViewerHost, ViewerPointerEvent, ViewerTool } from '../viewer/tools/types';
import { createStore, type Store } from '../viewer/state/store';
import type { ProofreadingSession } from '../proofreading/session';
import { BoxPreviewLayer } from './box-preview';
import { AXIS_NAME, backToNavigate, eyedropper, newSegmentShortcut, paneVoxel } from './common';

export interface FillState {
  request: FillRequest | null;
  preview: VoxelPreview | null;
  busy: boolean;
}

/**
 * 2D / 3D flood fill: a click previews the connected region of the clicked segment (in the
 * view's plane, or in 3D inside a box around the seed and under a voxel budget) as an overlay;
 * Enter or a click inside the preview writes it with the active segment, Esc drops it.
 */
export class FillTool implements ViewerTool {
  readonly id = 'fill';
  readonly label = 'Fill';
  readonly hotkey = 'F';
  readonly cursor = 'cell';
  readonly shortcuts;
  readonly state: Store<FillState> = createStore<FillState>({ request: null, preview: null, busy: false });
  private readonly layer = new BoxPreviewLayer(() => this.color());
  private rgba: [number, number, number, number] = [255, 255, 255, 255];

  constructor(private readonly session: ProofreadingSession) {
    this.shortcuts = [
      { key: 'Enter', label: 'Enter', description: 'apply the previewed fill', run: () => void this.commit() },
      {
        key: 'd',
        label: 'D',
        description: '2D / 3D fill',
        run: (h: ViewerHost) => {
          const s = session.state;
          s.set({ fillMode: s.get().fillMode === '2d' ? '3d' : '2d' });
          this.cancel(h);
        },
      },
      newSegmentShortcut(session),
      backToNavigate((h) => this.cancel(h)),
    ];
  }

  deactivate(host: ViewerHost): void {
    this.cancel(host);
  }

  pointer(e: ViewerPointerEvent, host: ViewerHost): boolean {
    if (eyedropper(e, this.session)) return true;
    if (e.type !== 'down') return false;
    if (!e.inside) return true;
    const voxel = paneVoxel(e);
    if (this.state.get().preview && this.layer.covers(voxel)) void this.commit();
    else void this.previewAt(voxel, AXIS_NAME[e.pane.axes[2]], host);
    return true;
  }

  drawOverlay(ctx: CanvasRenderingContext2D, pane: PaneProjection): void {
    this.layer.draw(ctx, pane, 0.75);
  }

  /** Drops the preview; returns whether there was one. */
  cancel(host?: ViewerHost): boolean {
    const had = this.state.get().request !== null;
    this.state.set({ request: null, preview: null });
    this.layer.set(null);
    host?.requestOverlay();
    return had;
  }

  async previewAt(seed: Vec3, axis: 'z' | 'y' | 'x', host: ViewerHost): Promise<void> {
    const layerId = this.session.editableLayer();
    if (!layerId) return;
    const s = this.session.state.get();
    if (s.activeSegment === null) {
      this.session.notify('warning', 'No active segment to fill with: press N for a new id, or Alt+click a segment.');
      return;
    }
    const shape = this.session.layer!.shape;
    const request: FillRequest =
      s.fillMode === '2d'
        ? { layerId, seed, segmentId: s.activeSegment, mode: '2d', axis }
        : {
            layerId,
            seed,
            segmentId: s.activeSegment,
            mode: '3d',
            maxVoxels: s.fillMaxVoxels,
            box: {
              min: seed.map((c) => Math.max(0, c - s.fillBoxRadius)) as Vec3,
              max: seed.map((c, a) => Math.min(shape[a], c + s.fillBoxRadius + 1)) as Vec3,
            },
          };
    this.state.set({ busy: true });
    const preview = await this.session.preview('edits.fillPreview', request);
    this.state.set({ busy: false });
    if (!preview) return;
    if (preview.voxels === 0 || !preview.box) {
      this.session.notify('info', `Nothing to fill: the region already is segment ${s.activeSegment}.`);
      this.cancel(host);
      return;
    }
    const [r, g, b] = this.session.colorOf(s.activeSegment);
    this.rgba = [r, g, b, 255];
    this.layer.set({ box: preview.box, values: preview.mask });
    this.state.set({ request, preview });
    host.requestOverlay();
  }

  async commit(): Promise<void> {
    const { request } = this.state.get();
    if (!request || this.state.get().busy) return;
    this.state.set({ busy: true });
    const r = await this.session.edit('edits.fill', request);
    if (r) {
      this.session.notify('success', `Filled ${r.changedVoxels} voxels with segment ${request.segmentId}.`);
      await this.session.viewerCaughtUp();
    }
    this.state.set({ busy: false });
    if (this.state.get().request === request) this.cancel(this.session.viewer);
  }

  private color(): readonly [number, number, number, number] {
    return this.rgba;
  }
}
