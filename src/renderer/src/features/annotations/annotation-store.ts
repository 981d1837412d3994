import type { Annotation } from '@shared/api/proofreading';
import type { ApiClient } from '../../api/client';
import type { Vec3 } from '../viewer/core/geometry';
import type { OverlayPainter } from '../viewer/tools/types';
import { drawMarker } from '../proofreading/overlay-draw';
import type { ProofreadingSession } from '../proofreading/session';

export const ANNOTATION_COLORS = { bookmark: '#4dabf7', todo: '#ffa94d', done: '#8ce99a' } as const;
/** Markers are drawn on their slice and, hollow, this many slices either side. */
const NEAR_SLICES = 3;

/** Bookmarks and to-do points of the project, kept in sync with the server's events. */
export class AnnotationStore {
  items: Annotation[] = [];
  /** The annotation just created (the Notes panel opens its text for editing). */
  focusId: number | null = null;
  revision = 0;
  error: string | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly api: ApiClient,
    private readonly session: ProofreadingSession,
  ) {}

  attach(): () => void {
    void this.load();
    return this.session.onAnnotationsChanged(() => void this.load());
  }

  async load(): Promise<void> {
    try {
      this.items = await this.api.call('annotations.list', {});
      this.error = null;
    } catch (err) {
      this.error = (err as Error).message;
    }
    this.changed();
  }

  async create(kind: 'bookmark' | 'todo', position: Vec3, layerId: string | null): Promise<void> {
    try {
      const a = await this.api.call('annotations.create', { kind, position, ...(layerId ? { layerId } : {}) });
      this.focusId = a.id;
      if (!this.items.some((x) => x.id === a.id)) this.items = [...this.items, a];
      this.session.notify('success', `${kind === 'todo' ? 'To-do' : 'Bookmark'} added at ${position.join(', ')}: describe it in the Notes panel.`);
      this.changed();
    } catch (err) {
      this.session.notify('error', (err as Error).message);
    }
  }

  async update(id: number, patch: { text?: string; done?: boolean }): Promise<void> {
    try {
      const a = await this.api.call('annotations.update', { id, ...patch });
      this.items = this.items.map((x) => (x.id === id ? a : x));
      this.changed();
    } catch (err) {
      this.session.notify('error', (err as Error).message);
    }
  }

  async remove(id: number): Promise<void> {
    try {
      await this.api.call('annotations.delete', { id });
      this.items = this.items.filter((x) => x.id !== id);
      this.changed();
    } catch (err) {
      this.session.notify('error', (err as Error).message);
    }
  }

  jump(a: Annotation): void {
    this.session.viewer.moveTo([a.position[0] + 0.5, a.position[1] + 0.5, a.position[2] + 0.5]);
  }

  subscribe(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Markers of the annotations near each pane's slice. */
  painter(): OverlayPainter {
    return (ctx, pane) => {
      const n = pane.axes[2];
      for (const a of this.items) {
        const d = Math.abs(a.position[n] - pane.slice);
        if (d > NEAR_SLICES) continue;
        const color = a.done ? ANNOTATION_COLORS.done : ANNOTATION_COLORS[a.kind];
        const label = d === 0 && a.text ? a.text.slice(0, 40) : undefined;
        drawMarker(ctx, pane, a.position as Vec3, color, { onSlice: d === 0, radius: a.kind === 'bookmark' ? 5 : 6, label });
      }
    };
  }

  private changed(): void {
    this.revision++;
    this.session.viewer.requestOverlay();
    for (const l of this.listeners) l();
  }
}
