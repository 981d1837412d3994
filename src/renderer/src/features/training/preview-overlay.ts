import type { PreviewResult } from '@shared/api/studio-ml';
import type { ApiClient } from '../../api/client';
import { BoxPreviewLayer } from '../tools/box-preview';
import { segmentColor } from '../viewer/core/segment-ids';
import { createStore, type Store } from '../viewer/state/store';
import type { OverlayPainter } from '../viewer/tools/types';
import type { ViewerController } from '../viewer/viewer-controller';
import { visibleBox } from './view-region';

export type PreviewMode = 'boundaries' | 'segments';

export interface PreviewState {
  busy: boolean;
  error: string | null;
  mode: PreviewMode;
  visible: boolean;
  /** The last result: which weights, where, on what, how long. */
  shown: { source: string; device: string; seconds: number; box: PreviewResult['box']; at: number } | null;
}

/** In-plane boundary strength 255 - mean(aff_y, aff_x) of uint8 affinities (channels z, y, x). */
export function boundaryValues(affinities: Uint8Array): Uint8Array {
  const n = affinities.length / 3;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = 255 - ((affinities[n + i] + affinities[2 * n + i]) >> 1);
  return out;
}

/**
 * The live preview of a model on the view: asks the main process to run a checkpoint on the
 * visible region and draws the predicted boundaries (or the segments they give) over every
 * pane that cuts the region.
 */
export class TrainingPreview {
  readonly state: Store<PreviewState> = createStore<PreviewState>({ busy: false, error: null, mode: 'boundaries', visible: true, shown: null });
  // Boundaries where the mean in-plane affinity is below one half, more opaque the surer.
  private readonly boundaries = new BoxPreviewLayer((v) => [255, 60, 30, v <= 128 ? 0 : Math.min(255, (v - 128) * 2.4)]);
  private readonly segments = new BoxPreviewLayer((id) => [...segmentColor(BigInt(id)), 200] as const);
  private last: PreviewResult | null = null;

  constructor(
    private readonly api: ApiClient,
    private readonly controller: ViewerController,
  ) {}

  painter(): OverlayPainter {
    return (ctx, pane) => {
      const s = this.state.get();
      if (!s.visible || !s.shown) return;
      (s.mode === 'segments' ? this.segments : this.boundaries).draw(ctx, pane, 0.9);
    };
  }

  setMode(mode: PreviewMode): void {
    this.state.set({ mode });
    this.controller.requestOverlay();
  }

  setVisible(visible: boolean): void {
    this.state.set({ visible });
    this.controller.requestOverlay();
  }

  clear(): void {
    this.last = null;
    this.boundaries.set(null);
    this.segments.set(null);
    this.state.set({ shown: null, error: null });
    this.controller.requestOverlay();
  }

  /** Runs a run's newest checkpoint (or a model) on the region in view. */
  async run(source: { run: string } | { model: string }, image: string): Promise<void> {
    if (this.state.get().busy) return;
    const box = visibleBox(this.controller, 16);
    if (!box) {
      this.state.set({ error: 'nothing in view to preview' });
      return;
    }
    this.state.set({ busy: true, error: null });
    try {
      const r = await this.api.call('studio.preview', { ...source, image, box, segment: true });
      this.last = r;
      this.boundaries.set({ box: r.box, values: boundaryValues(r.affinities) });
      this.segments.set(r.segmentation ? { box: r.box, values: r.segmentation } : null);
      this.state.set({ shown: { source: r.source, device: r.device, seconds: r.seconds, box: r.box, at: Date.now() }, visible: true });
      this.controller.requestOverlay();
    } catch (e) {
      this.state.set({ error: (e as Error).message });
    } finally {
      this.state.set({ busy: false });
    }
  }

  get result(): PreviewResult | null {
    return this.last;
  }
}
