import type { BoxRole, TrainingBox } from '@shared/api/studio-ml';
import type { ApiClient } from '../../api/client';
import { createStore, type Store } from '../viewer/state/store';
import type { OverlayPainter } from '../viewer/tools/types';
import type { ViewerController } from '../viewer/viewer-controller';
import { visibleBox } from './view-region';

const ROLE_COLOR: Record<BoxRole, string> = { train: 'rgba(64, 220, 140, 0.95)', validation: 'rgba(255, 170, 40, 0.95)' };

/** Sections a box made from the view spans (the current one in the middle). */
export const BOX_DEPTH = 16;

/**
 * Painted boxes of a label layer (dense training labels): listed, created from the view,
 * given a role, deleted; drawn as dashed rectangles on every pane they cross.
 */
export class TrainingBoxes {
  readonly state: Store<{ layerId: string | null; boxes: TrainingBox[]; error: string | null }> = createStore<{ layerId: string | null; boxes: TrainingBox[]; error: string | null }>({ layerId: null, boxes: [], error: null });

  constructor(
    private readonly api: ApiClient,
    private readonly controller: ViewerController,
  ) {}

  async load(layerId: string | null): Promise<void> {
    this.state.set({ layerId, boxes: layerId ? this.state.get().boxes.filter((b) => b.layerId === layerId) : [] });
    if (!layerId) return this.controller.requestOverlay();
    try {
      const boxes = await this.api.call('studio.boxes.list', { layerId });
      if (this.state.get().layerId === layerId) this.state.set({ boxes, error: null });
    } catch (e) {
      this.state.set({ error: (e as Error).message });
    }
    this.controller.requestOverlay();
  }

  async addFromView(role: BoxRole = 'train'): Promise<TrainingBox | null> {
    const layerId = this.state.get().layerId;
    const box = visibleBox(this.controller, BOX_DEPTH);
    if (!layerId || !box) return null;
    try {
      const created = await this.api.call('studio.boxes.create', { layerId, box, role });
      await this.load(layerId);
      return created;
    } catch (e) {
      this.state.set({ error: (e as Error).message });
      return null;
    }
  }

  async setRole(id: number, role: BoxRole): Promise<void> {
    await this.api.call('studio.boxes.update', { id, role });
    await this.load(this.state.get().layerId);
  }

  async remove(id: number): Promise<void> {
    await this.api.call('studio.boxes.delete', { id });
    await this.load(this.state.get().layerId);
  }

  painter(): OverlayPainter {
    return (ctx, pane) => {
      const n = pane.axes[2];
      for (const b of this.state.get().boxes) {
        if (pane.slice < b.box.min[n] || pane.slice >= b.box.max[n]) continue;
        const lo = [...b.box.min] as [number, number, number];
        const hi = [...b.box.max] as [number, number, number];
        const a = pane.toScreen(lo);
        const c = pane.toScreen(hi);
        ctx.strokeStyle = ROLE_COLOR[b.role];
        ctx.lineWidth = 1.5;
        ctx.setLineDash([6, 4]);
        ctx.strokeRect(Math.min(a.x, c.x), Math.min(a.y, c.y), Math.abs(c.x - a.x), Math.abs(c.y - a.y));
        ctx.setLineDash([]);
        ctx.font = '600 10px system-ui, sans-serif';
        ctx.fillStyle = ROLE_COLOR[b.role];
        ctx.fillText(`${b.role === 'validation' ? 'validation' : 'training'} box ${b.id}`, Math.min(a.x, c.x) + 4, Math.min(a.y, c.y) + 12);
      }
    };
  }
}
