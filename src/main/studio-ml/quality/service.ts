/**
 * Quality tracking for the open project: trackers per (layer, reference) pair, kept current
 * from the proofreading events (`labels.changed` level 0: re-count those chunks;
 * `mapping.changed`: re-apply the mapping), with one point per applied edit of the layer.
 * Every change is announced as 'studio.quality.updated'.
 */
import type { QualityPoint, QualityState } from '../../../shared/api/studio-ml';
import type { AppContext } from '../../context';
import { AppError } from '../../errors';
import type { Project } from '../../store/project';
import { formatBox, type Box, type Vec3 } from '../../volumes/box';
import { volumeService } from '../../volumes/handlers';
import { getLayer } from '../../volumes/layers';
import { appliedEdits, editLabel, historyPoints } from './history';
import { QualityTracker, type TrackedVolumes } from './tracker';

interface Tracked {
  tracker: QualityTracker;
  state: QualityState;
  queue: Promise<unknown>;
}

const key = (layerId: string, referenceId: string) => `${layerId}\u0000${referenceId}`;

export class QualityService {
  private readonly tracked = new Map<string, Tracked>();
  private readonly off: () => void;

  constructor(
    private readonly ctx: AppContext,
    readonly project: Project,
  ) {
    this.off = ctx.events.subscribe((event, data) => {
      if (this.project.isClosed) return;
      if (event === 'labels.changed') this.onLabels(data as { layerId: string; levels: { level: number; chunks: number[][] }[] });
      else if (event === 'mapping.changed') this.onMapping(data as { layerId: string; fragments: Uint32Array; segments: Uint32Array });
    });
  }

  dispose(): void {
    this.off();
    this.tracked.clear();
  }

  private volumes(layerId: string, referenceId: string): TrackedVolumes {
    const service = volumeService(this.project);
    const layer = getLayer(this.project, layerId);
    return {
      shape: layer.shape,
      chunkShape: layer.levels[0].chunkShape,
      readChunk: async (c: Vec3) => (await service.readChunk(layer.id, 0, c)).data,
      readReference: (box: Box) => service.readRegion(referenceId, 0, box),
    };
  }

  async start(layerId: string, referenceId: string, region?: Box): Promise<QualityState> {
    const layer = getLayer(this.project, layerId);
    const ref = getLayer(this.project, referenceId);
    for (const l of [layer, ref]) if (l.kind !== 'labels' && l.kind !== 'fragments') throw new AppError('BAD_REQUEST', `layer '${l.name}' is an ${l.kind} layer; quality compares label layers`);
    if (layer.id === ref.id) throw new AppError('BAD_REQUEST', `choose a reference other than '${layer.name}' itself`);
    if (!layer.shape.every((s, a) => s === ref.shape[a])) throw new AppError('BAD_REQUEST', `'${layer.name}' is ${layer.shape.join('x')} but the reference '${ref.name}' is ${ref.shape.join('x')}`);
    const box = region ?? { min: [0, 0, 0] as Vec3, max: [...layer.shape] as Vec3 };
    if (!box.min.every((v, a) => v >= 0 && v < box.max[a] && box.max[a] <= layer.shape[a])) throw new AppError('BAD_REQUEST', `region ${formatBox(box)} is empty or outside '${layer.name}'`);
    const t0 = Date.now();
    const mapping =
      layer.kind === 'fragments'
        ? (this.project.db.prepare('SELECT id, segment_id FROM fragments WHERE layer_id = ? AND id != segment_id').raw().all(layer.id) as [number, number][])
        : [];
    const volumes = this.volumes(layer.id, ref.id);
    const tracker = new QualityTracker(volumes, box, mapping);
    await tracker.init();
    const points = await historyPoints(this.project.db, layer.id, tracker, volumes.readChunk);
    const state: QualityState = {
      layerId: layer.id,
      referenceId: ref.id,
      region: box,
      current: tracker.metrics(),
      points,
      lastUpdate: { kind: 'full', chunks: tracker.regionChunks().length, milliseconds: Date.now() - t0 },
    };
    this.tracked.set(key(layer.id, ref.id), { tracker, state, queue: Promise.resolve() });
    return state;
  }

  get(layerId: string, referenceId: string): QualityState | null {
    const layer = getLayer(this.project, layerId);
    const ref = getLayer(this.project, referenceId);
    return this.tracked.get(key(layer.id, ref.id))?.state ?? null;
  }

  stop(layerId: string, referenceId: string): boolean {
    return this.tracked.delete(key(getLayer(this.project, layerId).id, getLayer(this.project, referenceId).id));
  }

  /** Resolves once every queued update has been applied (tests). */
  async settled(): Promise<void> {
    await Promise.all([...this.tracked.values()].map((t) => t.queue));
  }

  private enqueue(t: Tracked, fn: () => Promise<QualityState['lastUpdate']>): void {
    t.queue = t.queue
      .then(async () => {
        const update = await fn();
        this.refresh(t, update);
      })
      .catch((err) => console.error('[quality] update failed:', err));
  }

  private onLabels(e: { layerId: string; levels: { level: number; chunks: number[][] }[] }): void {
    const chunks = (e.levels.find((l) => l.level === 0)?.chunks ?? []) as Vec3[];
    if (chunks.length === 0) return;
    for (const t of this.tracked.values()) {
      if (t.state.layerId !== e.layerId && t.state.referenceId !== e.layerId) continue;
      // Reference edits arrive in the reference's chunk grid: re-count the tracked chunks they overlap.
      const own = t.state.layerId === e.layerId ? chunks : this.overlapping(t, e.layerId, chunks);
      this.enqueue(t, async () => {
        const started = Date.now();
        const n = await t.tracker.updateChunks(own);
        return { kind: 'chunks', chunks: n, milliseconds: Date.now() - started };
      });
    }
  }

  private overlapping(t: Tracked, layerId: string, chunks: Vec3[]): Vec3[] {
    const src = getLayer(this.project, layerId).levels[0].chunkShape;
    const dst = t.tracker.volumes.chunkShape;
    const out = new Map<string, Vec3>();
    for (const c of chunks)
      for (let z = Math.floor((c[0] * src[0]) / dst[0]); z * dst[0] < (c[0] + 1) * src[0]; z++)
        for (let y = Math.floor((c[1] * src[1]) / dst[1]); y * dst[1] < (c[1] + 1) * src[1]; y++)
          for (let x = Math.floor((c[2] * src[2]) / dst[2]); x * dst[2] < (c[2] + 1) * src[2]; x++) out.set(`${z},${y},${x}`, [z, y, x]);
    return [...out.values()];
  }

  private onMapping(e: { layerId: string; fragments: Uint32Array; segments: Uint32Array }): void {
    for (const t of this.tracked.values()) {
      if (t.state.layerId !== e.layerId) continue;
      const changes = Array.from(e.fragments, (f, i) => [f, e.segments[i]] as [number, number]);
      this.enqueue(t, async () => {
        const started = Date.now();
        t.tracker.updateMapping(changes);
        return { kind: 'mapping', chunks: 0, milliseconds: Date.now() - started };
      });
    }
  }

  /** New current metrics; the point of the newest applied edit gets them (undone edits' points go). */
  private refresh(t: Tracked, update: QualityState['lastUpdate']): void {
    const started = Date.now();
    const current = t.tracker.metrics();
    const edits = appliedEdits(this.project.db, t.state.layerId);
    const latest = edits[edits.length - 1] ?? null;
    const points: QualityPoint[] = t.state.points.filter((p) => p.editId === null || (latest !== null && p.editId <= latest.id));
    const tail = points[points.length - 1];
    if (tail && tail.editId === (latest?.id ?? null)) tail.metrics = current;
    else points.push({ editId: latest?.id ?? null, label: latest ? editLabel(latest.summary) : 'before the first edit', at: latest?.created_at ?? null, metrics: current });
    t.state = { ...t.state, current, points, lastUpdate: { ...update, milliseconds: update.milliseconds + (Date.now() - started) } };
    this.ctx.events.emit('studio.quality.updated', t.state);
  }
}

const services = new WeakMap<AppContext, QualityService>();

/** The open project's quality service (the previous project's is disposed). */
export function qualityService(ctx: AppContext): QualityService {
  const project = ctx.requireProject();
  let s = services.get(ctx);
  if (s && s.project !== project) {
    s.dispose();
    s = undefined;
  }
  if (!s) services.set(ctx, (s = new QualityService(ctx, project)));
  return s;
}
