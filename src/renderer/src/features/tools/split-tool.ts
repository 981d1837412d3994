import type { SplitPreview, SplitRequest } from '@shared/api/proofreading';
import type { Vec3 } from '../viewer/core/geometry';
import type { PaneProjection, ViewerHost, ViewerPointerEvent, ViewerTool } from '../viewer/tools/types';
import { createStore, type Store } from '../viewer/state/store';
import { drawMarker } from '../proofreading/overlay-draw';
import { groupColor } from '../proofreading/preview-slice';
import type { ProofreadingSession } from '../proofreading/session';
import { BoxPreviewLayer } from './box-preview';
import { backToNavigate, paneVoxel, segmentUnder } from './common';

export interface SplitState {
  segmentId: number | null;
  /** Seed groups; group g + 1 is groups[g]. Group 1 keeps the segment's id. */
  groups: Vec3[][];
  /** Index of the group new seeds go to. */
  current: number;
  /** Image / boundary / affinity layer the watershed follows; null: the segment's shape. */
  sourceLayerId: string | null;
  brightBoundaries: boolean;
  inPlane: boolean;
  preview: SplitPreview | null;
  previewing: boolean;
  busy: boolean;
}

const PREVIEW_DELAY_MS = 250;

function initial(keep?: Partial<SplitState>): SplitState {
  return { segmentId: null, groups: [[]], current: 0, sourceLayerId: null, brightBoundaries: false, inPlane: false, preview: null, previewing: false, busy: false, ...keep };
}

/**
 * Split: seeds in two or more groups inside one segment; the server's seeded watershed
 * (restricted to the segment) is previewed as coloured groups; Enter commits, Esc cancels.
 */
export class SplitTool implements ViewerTool {
  readonly id = 'split';
  readonly label = 'Split';
  readonly hotkey = 'S';
  readonly cursor = 'crosshair';
  readonly shortcuts;
  readonly state: Store<SplitState> = createStore<SplitState>(initial());
  private readonly layer = new BoxPreviewLayer((g) => {
    const [r, g2, b] = groupColor(g);
    return [r, g2, b, 255];
  });
  private timer: ReturnType<typeof setTimeout> | null = null;
  private previewSeq = 0;

  constructor(private readonly session: ProofreadingSession) {
    this.shortcuts = [
      { key: 'a', label: 'A', description: 'start the next seed group', run: () => this.nextGroup() },
      { key: 'Backspace', label: 'Backspace', description: 'remove the last seed', run: (h: ViewerHost) => this.removeLastSeed(h) },
      { key: 'Enter', label: 'Enter', description: 'split as previewed', run: () => void this.commit() },
      backToNavigate((h) => this.cancel(h)),
    ];
  }

  pointer(e: ViewerPointerEvent, host: ViewerHost): boolean {
    if (e.type !== 'down') return false;
    if (!e.inside) return true;
    const seg = segmentUnder(e, this.session);
    if (seg === null) return true;
    if (seg === 0) {
      this.session.notify('info', 'Seeds go inside a segment (this is background).');
      return true;
    }
    const s = this.state.get();
    if (s.segmentId !== null && seg !== s.segmentId) {
      this.session.notify('warning', `Seeds must be inside segment ${s.segmentId}; Esc starts over.`);
      return true;
    }
    if (s.segmentId === null) {
      const layerId = this.session.state.get().layerId;
      if (layerId) host.select(layerId, [BigInt(seg)], 'replace');
    }
    if (e.shiftKey && s.groups[s.current].length > 0) this.nextGroup();
    const cur = this.state.get();
    const groups = cur.groups.map((g, i) => (i === cur.current ? [...g, paneVoxel(e)] : g));
    this.state.set({ segmentId: seg, groups });
    this.schedulePreview();
    host.requestOverlay();
    return true;
  }

  drawOverlay(ctx: CanvasRenderingContext2D, pane: PaneProjection): void {
    this.layer.draw(ctx, pane, 0.55);
    const n = pane.axes[2];
    this.state.get().groups.forEach((seeds, g) => {
      const [r, gr, b] = groupColor(g + 1);
      for (const seed of seeds) {
        const d = Math.abs(seed[n] - pane.slice);
        if (d > 3) continue;
        drawMarker(ctx, pane, seed, `rgb(${r}, ${gr}, ${b})`, { onSlice: d === 0, radius: 6 });
      }
    });
  }

  setOptions(patch: Partial<Pick<SplitState, 'sourceLayerId' | 'brightBoundaries' | 'inPlane' | 'current'>>): void {
    this.state.set(patch);
    this.schedulePreview();
  }

  nextGroup(): void {
    const s = this.state.get();
    if (s.groups[s.groups.length - 1].length === 0) {
      this.state.set({ current: s.groups.length - 1 });
      return;
    }
    this.state.set({ groups: [...s.groups, []], current: s.groups.length });
  }

  removeLastSeed(host: ViewerHost): void {
    const s = this.state.get();
    const groups = s.groups.map((g) => [...g]);
    for (let i = groups.length - 1; i >= 0; i--) {
      if (groups[i].length) {
        groups[i].pop();
        break;
      }
    }
    const empty = groups.every((g) => g.length === 0);
    this.state.set({ groups, segmentId: empty ? null : s.segmentId });
    this.schedulePreview();
    host.requestOverlay();
  }

  cancel(host: ViewerHost): boolean {
    const s = this.state.get();
    const had = s.segmentId !== null;
    this.previewSeq++;
    this.state.replace(initial({ sourceLayerId: s.sourceLayerId, brightBoundaries: s.brightBoundaries, inPlane: s.inPlane }));
    this.layer.set(null);
    host.requestOverlay();
    return had;
  }

  request(): SplitRequest | null {
    const s = this.state.get();
    const layerId = this.session.state.get().layerId;
    const seeds = s.groups.filter((g) => g.length > 0);
    if (!layerId || s.segmentId === null || seeds.length < 2) return null;
    return {
      layerId,
      segmentId: s.segmentId,
      seeds,
      ...(s.sourceLayerId ? { source: { layerId: s.sourceLayerId, brightBoundaries: s.brightBoundaries } } : {}),
      ...(s.inPlane ? { inPlane: true } : {}),
    };
  }

  private schedulePreview(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.runPreview(), PREVIEW_DELAY_MS);
  }

  async runPreview(): Promise<void> {
    const req = this.request();
    const seq = ++this.previewSeq;
    if (!req) {
      this.layer.set(null);
      this.state.set({ preview: null });
      this.session.viewer.requestOverlay();
      return;
    }
    if (!this.session.editableLayer()) return;
    this.state.set({ previewing: true });
    const preview = await this.session.preview('edits.splitPreview', req);
    if (seq !== this.previewSeq) return;
    this.state.set({ previewing: false, preview });
    this.layer.set(preview ? { box: preview.box, values: preview.labels } : null);
    this.session.viewer.requestOverlay();
  }

  async commit(): Promise<void> {
    const req = this.request();
    if (!req) {
      this.session.notify('info', 'Place seeds in at least two groups first (Shift+click or A starts the next group).');
      return;
    }
    if (this.state.get().busy || !this.session.editableLayer()) return;
    this.state.set({ busy: true });
    const r = await this.session.edit('edits.split', req);
    this.state.set({ busy: false });
    if (!r) return;
    this.session.notify('success', `Split ${req.segmentId}: new segment${r.newSegmentIds.length > 1 ? 's' : ''} ${r.newSegmentIds.join(', ')}.`);
    this.session.viewer.select(req.layerId, [req.segmentId, ...r.newSegmentIds].map(BigInt), 'replace');
    await this.session.viewerCaughtUp();
    this.cancel(this.session.viewer);
  }
}
