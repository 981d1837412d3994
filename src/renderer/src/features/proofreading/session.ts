import type { Params, Result } from '@shared/api/contract';
import type { EditResult, HistoryState, Segment } from '@shared/api/proofreading';
import type { LayerInfo } from '@shared/api/volumes';
import type { ApiClient } from '../../api/client';
import type { Vec3 } from '../viewer/core/geometry';
import { segmentColor } from '../viewer/core/segment-ids';
import { createStore, type Store } from '../viewer/state/store';
import type { ViewerController } from '../viewer/viewer-controller';
import { classifyEditError, formatCount } from './edit-errors';
import type { PlaneMask } from './plane-mask';
import { SerialQueue } from './serial-queue';

export type NoticeTone = 'error' | 'warning' | 'info' | 'success';

export interface Notice {
  id: number;
  tone: NoticeTone;
  text: string;
}

/** A question the UI shows in a modal (edits over the confirmation threshold). */
export interface ConfirmRequest {
  title: string;
  message: string;
  confirmLabel: string;
  resolve(ok: boolean): void;
}

export interface ProofreadingState {
  /** The label layer the tools edit (the viewer's active label layer). */
  layerId: string | null;
  /** Why the layer cannot be edited (read in place, read-only, dtype), or null. */
  readOnlyReason: string | null;
  /** Voxel counts computed (false while the index job runs; null before the first answer). */
  indexed: boolean | null;
  /** The id brush, fill and interpolate write. */
  activeSegment: number | null;
  brushRadius: number;
  /** Eraser: only voxels of the active segment. */
  eraseOnlyActive: boolean;
  /** Brush: paint background voxels only. */
  paintBackgroundOnly: boolean;
  fillMode: '2d' | '3d';
  /** 3D fill: half the side of the box around the seed, in voxels. */
  fillBoxRadius: number;
  /** 3D fill: refuse regions with more voxels than this. */
  fillMaxVoxels: number;
  history: HistoryState | null;
  /** Edits, undos and redos sent and not answered yet. */
  pending: number;
  notice: Notice | null;
  confirm: ConfirmRequest | null;
}

export type EditMethod = 'edits.paint' | 'edits.fill' | 'edits.merge' | 'edits.split' | 'edits.interpolate';

/** A brush stroke drawn in the overlay until the viewer shows the stored voxels. */
export interface PendingStroke {
  layerId: string;
  mask: PlaneMask;
  erase: boolean;
}

const NOTICE_MS: Record<NoticeTone, number> = { error: 9000, warning: 7000, info: 4000, success: 3500 };

/**
 * Proofreading in the renderer, outside React: the active layer and segment, tool settings,
 * the edit queue (edits, undo and redo reach the server in the order the user made them),
 * large-edit confirmations, refusal messages, and the server's events applied to the viewer
 * (rewritten chunks refetched, mapping changes uploaded to the GPU).
 */
export class ProofreadingSession {
  readonly state: Store<ProofreadingState>;
  readonly queue = new SerialQueue();
  readonly strokes: PendingStroke[] = [];
  private readonly segmentListeners = new Set<(e: { layerId: string; ids: number[]; all: boolean }) => void>();
  private readonly annotationListeners = new Set<(ids: number[]) => void>();
  private readonly unsubscribers: (() => void)[] = [];
  private noticeTimer: ReturnType<typeof setTimeout> | null = null;
  private noticeSeq = 0;
  private prepareSeq = 0;
  /** Custom segment colours of the edited layer seen so far. */
  private readonly colors = new Map<number, { hex: string; rgb: [number, number, number] }>();

  constructor(
    readonly api: ApiClient,
    readonly viewer: ViewerController,
  ) {
    this.state = createStore<ProofreadingState>({
      layerId: null,
      readOnlyReason: null,
      indexed: null,
      activeSegment: null,
      brushRadius: 4,
      eraseOnlyActive: false,
      paintBackgroundOnly: false,
      fillMode: '2d',
      fillBoxRadius: 48,
      fillMaxVoxels: 1_000_000,
      history: null,
      pending: 0,
      notice: null,
      confirm: null,
    });
  }

  /** Starts following the viewer and the server's events; returns the function that stops it. */
  attach(): () => void {
    const api = this.api;
    this.unsubscribers.push(
      this.queue.subscribe((pending) => this.state.set({ pending })),
      api.on('labels.changed', (e) => this.onLabelsChanged(e)),
      api.on('mapping.changed', (e) => {
        if (!this.viewer.layers.some((l) => l.id === e.layerId)) return;
        const changes: [bigint, bigint | null][] = [];
        for (let i = 0; i < e.fragments.length; i++) changes.push([BigInt(e.fragments[i]), e.segments[i] === 0 ? null : BigInt(e.segments[i])]);
        this.viewer.labels(e.layerId).updateMapping(changes);
      }),
      api.on('history.changed', (h) => this.state.set({ history: h })),
      api.on('segments.changed', (e) => {
        if (e.layerId === this.state.get().layerId && e.all && this.state.get().indexed === false) this.state.set({ indexed: true });
        for (const l of this.segmentListeners) l(e);
      }),
      api.on('annotations.changed', (e) => {
        for (const l of this.annotationListeners) l(e.ids);
      }),
      this.viewer.state.subscribe((s, prev) => {
        if (s.activeLabelLayer !== prev.activeLabelLayer) void this.useLayer(s.activeLabelLayer);
        const layer = this.state.get().layerId;
        if (layer && s.selections[layer] !== prev.selections[layer]) {
          const sel = s.selections[layer] ?? [];
          // The last segment selected becomes the one the tools write (as in webKnossos' "active cell").
          if (sel.length > 0) this.setActiveSegment(Number(sel[sel.length - 1]));
        }
      }),
    );
    void this.useLayer(this.viewer.state.get().activeLabelLayer);
    this.api.call('history.list', { limit: 1 }).then(
      (h) => this.state.set({ history: h.state }),
      () => undefined,
    );
    return () => {
      for (const u of this.unsubscribers.splice(0)) u();
      if (this.noticeTimer) clearTimeout(this.noticeTimer);
    };
  }

  get layer(): LayerInfo | null {
    const id = this.state.get().layerId;
    return this.viewer.layers.find((l) => l.id === id) ?? null;
  }

  // ---- layer ---------------------------------------------------------------------------------

  /** Makes a label layer the one edited: its voxel counts (index job), its mapping on the GPU. */
  async useLayer(layerId: string | null): Promise<void> {
    const seq = ++this.prepareSeq;
    const info = this.viewer.layers.find((l) => l.id === layerId) ?? null;
    this.colors.clear();
    this.state.set({ layerId, readOnlyReason: info ? readOnlyReason(info) : null, indexed: null, activeSegment: null });
    if (!info || readOnlyReason(info)) return;
    try {
      const prep = await this.api.call('proofreading.prepare', { layerId: info.id });
      if (seq !== this.prepareSeq) return;
      this.state.set({ indexed: prep.indexed });
      if (info.kind === 'fragments') {
        const m = await this.api.call('mapping.get', { layerId: info.id });
        if (seq !== this.prepareSeq) return;
        const pairs: [bigint, bigint][] = [];
        for (let i = 0; i < m.fragments.length; i++) pairs.push([BigInt(m.fragments[i]), BigInt(m.segments[i])]);
        this.viewer.labels(info.id).setMapping(pairs);
      }
    } catch (err) {
      if (seq === this.prepareSeq) this.notify('error', (err as Error).message);
    }
  }

  /** The layer to edit, or null after telling the user why there is none. */
  editableLayer(): string | null {
    const s = this.state.get();
    if (!s.layerId) {
      this.notify('warning', 'No label layer to edit: import or create one first.');
      return null;
    }
    if (s.readOnlyReason) {
      this.notify('warning', s.readOnlyReason);
      return null;
    }
    if (s.indexed === false) {
      this.notify('info', 'Still counting the segments of this layer; edits are possible when it is done.');
      return null;
    }
    return s.layerId;
  }

  // ---- segments ------------------------------------------------------------------------------

  setActiveSegment(id: number | null): void {
    this.state.set({ activeSegment: id && id > 0 ? id : null });
    this.viewer.requestOverlay();
  }

  /** "New segment": a fresh id from the server becomes the active segment. */
  async newSegment(): Promise<number | null> {
    const layerId = this.editableLayer();
    if (!layerId) return null;
    try {
      const { id } = await this.api.call('segments.allocate', { layerId });
      this.setActiveSegment(id);
      this.notify('info', `New segment ${id}: paint to create it.`);
      return id;
    } catch (err) {
      this.notify('error', (err as Error).message);
      return null;
    }
  }

  /** The segment at a voxel of the active layer: from the viewer's cached chunks, else asked from the server. */
  async segmentAt(voxel: Vec3): Promise<number | null> {
    const layerId = this.state.get().layerId;
    if (!layerId) return null;
    const cached = this.viewer.pickAt(voxel).find((v) => v.layerId === layerId)?.segment;
    if (cached !== null && cached !== undefined) return Number(cached);
    try {
      return (await this.api.call('segments.at', { layerId, position: voxel })).segmentId;
    } catch {
      return null;
    }
  }

  /** Eyedropper: the segment under the pointer becomes the active one. */
  async pickActiveSegment(voxel: Vec3): Promise<void> {
    const id = await this.segmentAt(voxel);
    if (id === null) return;
    if (id === 0) {
      this.notify('info', 'Background under the pointer: no segment picked.');
      return;
    }
    this.setActiveSegment(id);
    this.notify('info', `Active segment: ${id}`);
  }

  /** Centres the views on a segment and selects it. */
  async jumpTo(id: number, mode: 'replace' | 'add' = 'replace'): Promise<void> {
    const layerId = this.state.get().layerId;
    if (!layerId) return;
    try {
      const r = await this.api.call('segments.locate', { layerId, id });
      this.viewer.moveTo([r.point[0] + 0.5, r.point[1] + 0.5, r.point[2] + 0.5]);
      this.viewer.select(layerId, [BigInt(id)], mode);
    } catch (err) {
      this.notify('error', (err as Error).message);
    }
  }

  /** Custom colours of listed segments, applied to the label shader (only changes are uploaded). */
  applyColors(layerId: string, segments: readonly Segment[]): void {
    if (!this.viewer.layers.some((l) => l.id === layerId)) return;
    const labels = this.viewer.labels(layerId);
    for (const s of segments) {
      const known = this.colors.get(s.id);
      if (s.color) {
        if (known?.hex === s.color) continue;
        const rgb = hexToRgb(s.color);
        this.colors.set(s.id, { hex: s.color, rgb });
        labels.setSegmentColor(BigInt(s.id), rgb);
      } else if (known) {
        this.colors.delete(s.id);
        labels.setSegmentColor(BigInt(s.id), null);
      }
    }
  }

  /** The colour a segment is drawn with: its custom colour, else the stable hashed one. */
  colorOf(id: number | null): [number, number, number] {
    if (!id) return [200, 200, 200];
    return this.colors.get(id)?.rgb ?? segmentColor(BigInt(id));
  }

  onSegmentsChanged(l: (e: { layerId: string; ids: number[]; all: boolean }) => void): () => void {
    this.segmentListeners.add(l);
    return () => this.segmentListeners.delete(l);
  }

  onAnnotationsChanged(l: (ids: number[]) => void): () => void {
    this.annotationListeners.add(l);
    return () => this.annotationListeners.delete(l);
  }

  // ---- edits ---------------------------------------------------------------------------------

  /**
   * Sends an edit through the queue. Over the confirmation threshold it asks first and repeats
   * with `confirm: true`; refusals (locked segments, bad requests) become a visible notice.
   * Resolves to null when nothing was applied.
   */
  edit<M extends EditMethod>(method: M, params: Params<M>): Promise<EditResult | null> {
    return this.queue.run(async () => {
      try {
        return (await this.api.call(method, params)) as EditResult;
      } catch (err) {
        const f = classifyEditError(err);
        if (f.kind === 'confirm') {
          const ok = await this.confirm(
            'Large edit',
            `This edit changes ${formatCount(f.voxels)} voxels, more than the confirmation threshold of ${formatCount(f.threshold)}. Apply it?`,
            `Apply ${formatCount(f.voxels)} voxels`,
          );
          if (!ok) {
            this.notify('info', 'Edit cancelled; nothing changed.');
            return null;
          }
          try {
            return (await this.api.call(method, { ...params, confirm: true })) as EditResult;
          } catch (again) {
            this.notify('error', classifyEditError(again).message);
            return null;
          }
        }
        this.notify(f.kind === 'locked' ? 'error' : 'warning', f.message);
        return null;
      }
    });
  }

  /** A preview request (fill, split, interpolate): errors become notices, null is returned. */
  async preview<M extends 'edits.fillPreview' | 'edits.splitPreview' | 'edits.interpolatePreview'>(method: M, params: Params<M>): Promise<Result<M> | null> {
    try {
      return await this.api.call(method, params);
    } catch (err) {
      const f = classifyEditError(err);
      this.notify(f.kind === 'locked' ? 'error' : 'warning', f.message);
      return null;
    }
  }

  undo(): Promise<void> {
    return this.historyStep('history.undo', 'Undid');
  }

  redo(): Promise<void> {
    return this.historyStep('history.redo', 'Redid');
  }

  private historyStep(method: 'history.undo' | 'history.redo', verb: string): Promise<void> {
    return this.queue.run(async () => {
      try {
        const r = await this.api.call(method, {});
        this.state.set({ history: r.history });
        this.notify('info', `${verb}: ${r.edit.label}`);
      } catch (err) {
        this.notify('warning', (err as Error).message);
      }
    });
  }

  addStroke(stroke: PendingStroke): void {
    this.strokes.push(stroke);
    this.viewer.requestOverlay();
  }

  /** Drops a pending stroke once the viewer shows what the server stored (or at once after a failure). */
  async settleStroke(stroke: PendingStroke, applied: boolean): Promise<void> {
    if (applied) await this.viewerCaughtUp();
    const i = this.strokes.indexOf(stroke);
    if (i >= 0) this.strokes.splice(i, 1);
    this.viewer.requestOverlay();
  }

  /**
   * Resolves once the viewer has drawn two frames in a row with no chunk requested or in
   * flight, i.e. the chunks an edit rewrote have been fetched again and drawn (or 3 s passed).
   */
  viewerCaughtUp(timeoutMs = 3000): Promise<void> {
    return new Promise((resolve) => {
      let idleFrames = 0;
      let frames = 0;
      const done = () => {
        off();
        clearTimeout(timer);
        resolve();
      };
      const off = this.viewer.onFrame((s) => {
        frames++;
        idleFrames = s.loader.inFlight === 0 && s.loader.queued === 0 && s.pendingVisible === 0 ? idleFrames + 1 : 0;
        if (frames >= 2 && idleFrames >= 2) done();
        else this.viewer.requestRender();
      });
      const timer = setTimeout(done, timeoutMs);
      this.viewer.requestRender();
    });
  }

  private onLabelsChanged(e: { layerId: string; levels: { level: number; chunks: number[][] }[] }): void {
    const layer = this.viewer.layers.find((l) => l.id === e.layerId);
    if (!layer) return;
    // Exactly the rewritten chunks: level 0 in the first event, the coarser levels in a second
    // one once the pyramid is updated. (Marking a chunk stale also marks the coarser chunks
    // under it; they are refetched only when a view draws that level.)
    for (const { level, chunks } of e.levels) {
      const l = layer.levels[level];
      if (!l) continue;
      for (const c of chunks) {
        const min = [0, 1, 2].map((a) => c[a] * l.chunkShape[a] * l.factors[a]) as Vec3;
        const max = [0, 1, 2].map((a) => Math.min(layer.shape[a], min[a] + l.chunkShape[a] * l.factors[a])) as Vec3;
        this.viewer.invalidate(e.layerId, { min, max });
      }
    }
  }

  // ---- messages ------------------------------------------------------------------------------

  notify(tone: NoticeTone, text: string): void {
    const notice = { id: ++this.noticeSeq, tone, text };
    this.state.set({ notice });
    if (this.noticeTimer) clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => {
      if (this.state.get().notice?.id === notice.id) this.state.set({ notice: null });
    }, NOTICE_MS[tone]);
  }

  dismissNotice(): void {
    this.state.set({ notice: null });
  }

  confirm(title: string, message: string, confirmLabel: string): Promise<boolean> {
    return new Promise((resolve) => {
      this.state.set({
        confirm: {
          title,
          message,
          confirmLabel,
          resolve: (ok) => {
            this.state.set({ confirm: null });
            resolve(ok);
          },
        },
      });
    });
  }
}

/** Why a label layer cannot be edited, or null when it can (the back end checks the same). */
export function readOnlyReason(info: LayerInfo): string | null {
  if (info.kind !== 'labels' && info.kind !== 'fragments') return `'${info.name}' is an image layer; choose a label layer to edit.`;
  if (info.source !== 'store') return `'${info.name}' is read in place and cannot be edited: make an editable copy first.`;
  if (!info.editable) return `'${info.name}' is read-only: make an editable copy first.`;
  if (info.dtype !== 'uint32' && info.dtype !== 'uint64') return `'${info.name}' stores ${info.dtype} labels: make an editable copy (uint32) to edit it.`;
  return null;
}

export function hexToRgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export function rgbToHex([r, g, b]: readonly number[]): string {
  return `#${[r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}
