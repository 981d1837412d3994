import type {
  EditResult,
  FillRequest,
  HistoryState,
  InterpolateRequest,
  Mapping,
  MergeRequest,
  PaintRequest,
  ProofreadingSettings,
  Segment,
  SplitPreview,
  SplitRequest,
  UndoResult,
  VoxelPreview,
} from '../../shared/api/proofreading';
import type { EventData, EventName } from '../../shared/api/contract';
import { AppError, isAppError } from '../errors';
import type { Project } from '../store/project';
import { chunkBox, type Box, type Vec3 } from '../volumes/box';
import { findLayer } from '../volumes/layers';
import type { VolumeService } from '../volumes/service';
import { Annotations } from './annotations';
import { byLevel, coordKey, writeChunks, writeLevel0, writePyramid, type EncodedWrite } from './apply-files';
import { ChunkSource } from './chunk-source';
import { crashPoint } from './crash-points';
import { EditLog, type HistoryEntry, type Transition } from './edit-log';
import { indexLabelLayer, type IndexResult, type IndexSink } from './index-layer';
import { voxelHash } from './chunk-delta';
import { viewLabelData } from './label-data';
import { assertVoxel, chunkCoord, openLabelLayer, requireLabelLayerInfo } from './label-layer';
import { MeshService } from './mesh/mesh-service';
import { boxOfChunks, chunksOfSegment, layerState, requireSegment, SegmentLookup, type LayerHandle, type OpContext } from './ops/context';
import { prepareFill } from './ops/fill';
import { prepareInterpolate } from './ops/interpolate';
import { prepareMerge } from './ops/merge';
import { preparePaint, type Plan, type Prepared } from './ops/paint';
import { computeSplit, splitPlan, type RegionReader } from './ops/split';
import type { WrittenChunk } from './pyramid-update';
import { allocateSegmentId, getSegments, listSegments, updateSegment, type SegmentPatch, type SegmentQuery } from './segments';

export type Emit = <E extends EventName>(event: E, data: EventData<E>) => void;

export const DEFAULT_SETTINGS: ProofreadingSettings = { confirmVoxels: 1_000_000, historyMaxBytes: 2 * 1024 ** 3 };
const SETTING_KEYS = { confirmVoxels: 'proofreading.confirm_voxels', historyMaxBytes: 'proofreading.history_max_bytes' } as const;
const PRUNE_EVERY = 25;

/**
 * Proofreading of one open project: segments, mapping, label edits with a crash-safe linear
 * history, annotations and meshes. Edits, undo and redo run one at a time; each ends with the
 * database and the chunk files agreeing (or, after a crash, a journal row that `open` finishes).
 */
export class ProofreadingService {
  readonly log: EditLog;
  readonly annotations: Annotations;
  readonly meshes: MeshService;
  private readonly handles = new Map<string, { uri: string; handle: Promise<LayerHandle> }>();
  private queue: Promise<unknown> = Promise.resolve();
  /** The pyramid update of the last edit, finished after the edit returned (the queue waits for it). */
  private tail: Promise<void> = Promise.resolve();
  private commitsSincePrune = 0;
  private volumes: VolumeService | null = null;

  private constructor(
    readonly project: Project,
    private readonly emit: Emit,
  ) {
    this.log = new EditLog(project.db);
    this.annotations = new Annotations(project.db);
    this.meshes = new MeshService(project.db);
  }

  /** Opens the service, finishing any edit a crash interrupted. */
  static async open(project: Project, emit: Emit = () => {}): Promise<ProofreadingService> {
    const s = new ProofreadingService(project, emit);
    await s.recoverPending();
    return s;
  }

  async close(): Promise<void> {
    await this.settled();
    await this.volumes?.close();
    this.meshes.close();
  }

  // ---- settings -------------------------------------------------------------------------

  settings(): ProofreadingSettings {
    const get = this.project.db.prepare('SELECT value FROM meta WHERE key = ?').pluck();
    const read = (key: string, fallback: number) => {
      const v = get.get(key) as string | undefined;
      return v === undefined ? fallback : Number(v);
    };
    return {
      confirmVoxels: read(SETTING_KEYS.confirmVoxels, DEFAULT_SETTINGS.confirmVoxels),
      historyMaxBytes: read(SETTING_KEYS.historyMaxBytes, DEFAULT_SETTINGS.historyMaxBytes),
    };
  }

  setSettings(patch: Partial<ProofreadingSettings>): ProofreadingSettings {
    for (const [k, v] of Object.entries(patch)) {
      if (v !== undefined) this.project.setMeta(SETTING_KEYS[k as keyof ProofreadingSettings], String(v));
    }
    return this.settings();
  }

  // ---- layers ---------------------------------------------------------------------------

  /** The open label layer (store layers only; READ_ONLY names the remedy otherwise). */
  handle(layerId: string): Promise<LayerHandle> {
    const info = requireLabelLayerInfo(this.project, layerId);
    const have = this.handles.get(info.id);
    if (have && have.uri === info.uri) return have.handle;
    const handle = openLabelLayer(this.project, info).then((layer) => ({ layer, source: new ChunkSource(layer) }));
    handle.catch(() => this.handles.delete(info.id));
    this.handles.set(info.id, { uri: info.uri, handle });
    return handle;
  }

  isIndexed(layerId: string): boolean {
    const info = requireLabelLayerInfo(this.project, layerId);
    return !!layerState(this.project.db, info.id)?.indexedAt;
  }

  private requireIndexed(h: LayerHandle): void {
    if (!layerState(this.project.db, h.layer.info.id)?.indexedAt) {
      throw new AppError('CONFLICT', `layer '${h.layer.info.name}' has no voxel counts yet; prepare it for proofreading first (proofreading.prepare, a job)`);
    }
  }

  /** Indexes a layer in the calling thread (CLI, tests); the app runs the 'proofreading.index' job. */
  async indexNow(layerId: string, sink?: IndexSink): Promise<IndexResult> {
    return this.exclusive(async () => {
      const h = await this.handle(layerId);
      const r = await indexLabelLayer(this.project, h.layer.info.id, sink);
      this.meshes.invalidateLayer(h.layer.info.id);
      this.emit('segments.changed', { layerId: h.layer.info.id, ids: [], all: true });
      return r;
    });
  }

  private opContext(h: LayerHandle): OpContext {
    return { db: this.project.db, log: this.log, h };
  }

  // ---- segments -------------------------------------------------------------------------

  async listSegments(layerId: string, q: SegmentQuery): Promise<{ total: number; segments: Segment[] }> {
    const h = await this.handle(layerId);
    return listSegments(this.project.db, h.layer.info.id, h.layer.isFragments, q);
  }

  async getSegments(layerId: string, ids: number[]): Promise<Segment[]> {
    const h = await this.handle(layerId);
    return getSegments(this.project.db, h.layer.info.id, h.layer.isFragments, ids, h.layer.info.name);
  }

  async updateSegment(layerId: string, id: number, patch: SegmentPatch): Promise<Segment> {
    const h = await this.handle(layerId);
    this.requireIndexed(h);
    const s = updateSegment(this.project.db, h.layer.info.id, h.layer.isFragments, id, patch, h.layer.info.name);
    this.emit('segments.changed', { layerId: h.layer.info.id, ids: [id], all: false });
    return s;
  }

  async allocateSegment(layerId: string): Promise<number> {
    const h = await this.handle(layerId);
    this.requireIndexed(h);
    return allocateSegmentId(this.project.db, h.layer.info.id, h.layer.maxSegment, h.layer.info.name);
  }

  /** Stored label and segment at a voxel. */
  async labelAt(layerId: string, p: Vec3): Promise<{ label: number; segmentId: number }> {
    const h = await this.handle(layerId);
    assertVoxel(h.layer, p, 'position');
    const cs = h.layer.chunkShape;
    const coord: Vec3 = [Math.floor(p[0] / cs[0]), Math.floor(p[1] / cs[1]), Math.floor(p[2] / cs[2])];
    const data = viewLabelData(await h.source.readData(0, coord));
    const label = data[((p[0] % cs[0]) * cs[1] + (p[1] % cs[1])) * cs[2] + (p[2] % cs[2])];
    return { label, segmentId: new SegmentLookup(this.project.db, h.layer.info.id, h.layer.isFragments).of(label) };
  }

  /** Chunk-granular bounding box of a segment and its voxel nearest to its centroid in its fullest chunk. */
  async locate(layerId: string, id: number): Promise<{ box: Box; point: Vec3; voxelCount: number }> {
    const h = await this.handle(layerId);
    this.requireIndexed(h);
    const ctx = this.opContext(h);
    const row = requireSegment(ctx, id);
    const chunks = chunksOfSegment(ctx, id);
    const box = boxOfChunks(h.layer, chunks)!;
    const sql = h.layer.isFragments
      ? `SELECT lc.chunk, sum(lc.voxels) AS n FROM fragments f JOIN label_chunks lc ON lc.layer_id = f.layer_id AND lc.label = f.id
         WHERE f.layer_id = ? AND f.segment_id = ? GROUP BY lc.chunk ORDER BY n DESC LIMIT 1`
      : 'SELECT chunk, voxels AS n FROM label_chunks WHERE layer_id = ? AND label = ? ORDER BY voxels DESC LIMIT 1';
    const best = this.project.db.prepare(sql).get(h.layer.info.id, id) as { chunk: number };
    const coord = chunkCoord(h.layer, best.chunk);
    const cb = chunkBox(coord, h.layer.chunkShape, h.layer.shape);
    const data = viewLabelData(await h.source.readData(0, coord));
    const lookup = new SegmentLookup(this.project.db, h.layer.info.id, h.layer.isFragments);
    const cs = h.layer.chunkShape;
    const sum = [0, 0, 0];
    let n = 0;
    const each = (fn: (z: number, y: number, x: number) => void) => {
      for (let z = cb.min[0]; z < cb.max[0]; z++)
        for (let y = cb.min[1]; y < cb.max[1]; y++)
          for (let x = cb.min[2]; x < cb.max[2]; x++) {
            const v = data[((z - cb.min[0]) * cs[1] + (y - cb.min[1])) * cs[2] + (x - cb.min[2])];
            if (v !== 0 && lookup.of(v) === id) fn(z, y, x);
          }
    };
    each((z, y, x) => {
      sum[0] += z;
      sum[1] += y;
      sum[2] += x;
      n++;
    });
    const c = sum.map((s) => s / n);
    let point: Vec3 = [0, 0, 0];
    let bestD = Infinity;
    each((z, y, x) => {
      const d = (z - c[0]) ** 2 + (y - c[1]) ** 2 + (x - c[2]) ** 2;
      if (d < bestD) {
        bestD = d;
        point = [z, y, x];
      }
    });
    return { box, point, voxelCount: row.voxel_count ?? 0 };
  }

  async mapping(layerId: string): Promise<Mapping> {
    const h = await this.handle(layerId);
    if (!h.layer.isFragments) throw new AppError('BAD_REQUEST', `layer '${h.layer.info.name}' is a plain label layer; only fragment layers have a mapping`);
    const db = this.project.db;
    const n = db.prepare('SELECT count(*) FROM fragments WHERE layer_id = ?').pluck().get(h.layer.info.id) as number;
    const fragments = new Uint32Array(n);
    const segments = new Uint32Array(n);
    let i = 0;
    for (const [f, s] of db.prepare('SELECT id, segment_id FROM fragments WHERE layer_id = ? ORDER BY id').raw().iterate(h.layer.info.id) as Iterable<[number, number]>) {
      fragments[i] = f;
      segments[i] = s;
      i++;
    }
    return { layerId: h.layer.info.id, version: layerState(db, h.layer.info.id)?.mappingVersion ?? 0, fragments, segments };
  }

  // ---- edits ----------------------------------------------------------------------------

  paint(req: PaintRequest): Promise<EditResult> {
    return this.edit(req.layerId, (ctx) => preparePaint(ctx, req), req.confirm);
  }

  fill(req: FillRequest): Promise<EditResult> {
    return this.edit(req.layerId, (ctx) => prepareFill(ctx, req), req.confirm);
  }

  fillPreview(req: FillRequest): Promise<VoxelPreview> {
    return this.preview(req.layerId, (ctx) => prepareFill(ctx, req));
  }

  merge(req: MergeRequest): Promise<EditResult> {
    return this.edit(req.layerId, (ctx) => prepareMerge(ctx, req), req.confirm);
  }

  interpolate(req: InterpolateRequest): Promise<EditResult> {
    return this.edit(req.layerId, (ctx) => prepareInterpolate(ctx, req), req.confirm);
  }

  interpolatePreview(req: InterpolateRequest): Promise<VoxelPreview> {
    return this.preview(req.layerId, (ctx) => prepareInterpolate(ctx, req));
  }

  split(req: SplitRequest): Promise<EditResult> {
    return this.edit(req.layerId, async (ctx) => splitPlan(ctx, await computeSplit(ctx, req, this.regionReader())), req.confirm);
  }

  splitPreview(req: SplitRequest): Promise<SplitPreview> {
    return this.exclusive(async () => {
      const h = await this.handle(req.layerId);
      this.requireIndexed(h);
      const c = await computeSplit(this.opContext(h), req, this.regionReader());
      return {
        layerId: h.layer.info.id,
        segmentId: c.segmentId,
        mode: c.mode,
        box: c.box,
        labels: c.labels,
        groupSizes: c.groupSizes,
        unreached: c.unreached,
        requiresConfirm: c.voxelWrites > this.settings().confirmVoxels,
      };
    });
  }

  /** Reads other layers (the split's image or boundary map) through the volume service's cache. */
  private regionReader(): RegionReader {
    return async (layerId, box) => {
      // Loaded on first use: the volume service pulls in every reader, which edits never need.
      this.volumes ??= new (await import('../volumes/service')).VolumeService(this.project);
      const info = this.volumes.getLayer(layerId);
      return { data: await this.volumes.readRegion(info.id, 0, box), dtype: info.dtype, shape: info.shape, name: info.name };
    };
  }

  private async preview(layerId: string, prepare: (ctx: OpContext) => Promise<Prepared>): Promise<VoxelPreview> {
    return this.exclusive(async () => {
      const h = await this.handle(layerId);
      this.requireIndexed(h);
      const prepared = await prepare(this.opContext(h));
      this.assertPreviewUnlocked(h, prepared);
      const { box, mask, voxels } = prepared.session.changedMask();
      return { layerId: h.layer.info.id, voxels, box, mask, requiresConfirm: voxels > this.settings().confirmVoxels };
    });
  }

  /** A preview of an edit the commit would refuse (locked segments) fails the same way. */
  private assertPreviewUnlocked(h: LayerHandle, prepared: Prepared): void {
    const lookup = new SegmentLookup(this.project.db, h.layer.info.id, h.layer.isFragments);
    const touched = new Set(prepared.targets);
    for (const [label, deltas] of prepared.session.diff().labelDeltas) {
      if ([...deltas.values()].some((d) => d < 0)) touched.add(lookup.of(label));
    }
    touched.delete(0);
    this.log.assertUnlocked(h.layer.info.id, touched);
  }

  private edit(layerId: string, prepare: (ctx: OpContext) => Promise<Prepared | Plan>, confirm?: boolean): Promise<EditResult> {
    return this.exclusive(async () => {
      await this.recoverPending();
      const h = await this.handle(layerId);
      this.requireIndexed(h);
      const ctx = this.opContext(h);
      const prepared = await prepare(ctx);
      const plan = 'session' in prepared ? prepared.build(await prepared.session.finish()) : prepared;
      const { confirmVoxels } = this.settings();
      const voxels = plan.record.changes.changedVoxels;
      if (voxels > confirmVoxels && confirm !== true) {
        throw new AppError(
          'TOO_LARGE',
          `this edit changes ${voxels} voxels, more than the confirmation threshold (${confirmVoxels}); repeat it with confirm: true to apply it`,
          { confirmRequired: true, voxels, threshold: confirmVoxels },
        );
      }
      const t = this.log.commit(plan.record);
      crashPoint('edit.after-commit');
      const known = new Map<string, EncodedWrite>(plan.record.changes.chunks.map((c) => [coordKey(c.coord), { bytes: c.after.bytes, data: c.afterData }]));
      await this.applyTransition(h, t, known);
      this.maybePrune();
      return { edit: t.edit, changedVoxels: voxels, newSegmentIds: plan.newSegmentIds, history: this.historyState() };
    });
  }

  undo(): Promise<UndoResult> {
    return this.exclusive(async () => {
      await this.recoverPending();
      const e = this.log.undoable();
      if (!e) throw new AppError('BAD_REQUEST', 'nothing to undo');
      return this.step(e, 'revert');
    });
  }

  redo(): Promise<UndoResult> {
    return this.exclusive(async () => {
      await this.recoverPending();
      const e = this.log.redoable();
      if (!e) throw new AppError('BAD_REQUEST', 'nothing to redo');
      return this.step(e, 'apply');
    });
  }

  private async step(e: HistoryEntry, direction: 'apply' | 'revert'): Promise<UndoResult> {
    const h = await this.handle(e.layerId);
    await this.verifyChunks(h, e, direction);
    const t = direction === 'revert' ? this.log.beginUndo(e.id) : this.log.beginRedo(e.id);
    crashPoint('transition.after-commit');
    await this.applyTransition(h, t);
    return { edit: t.edit, history: this.historyState() };
  }

  /** Refuses undo/redo when a chunk no longer holds what the history says (changed behind its back). */
  private async verifyChunks(h: LayerHandle, e: HistoryEntry, direction: 'apply' | 'revert'): Promise<void> {
    for (const w of this.log.chunkWrites(e.id, direction)) {
      const actual = voxelHash((await h.source.read(0, w.coord)).data);
      if (!actual.equals(w.from)) {
        throw new AppError(
          'CONFLICT',
          `chunk ${w.coord.join(',')} of layer '${h.layer.info.name}' was changed outside the edit history after edit ${e.id} ("${e.label}"); ${direction === 'revert' ? 'undo' : 'redo'} refused so that change is not lost`,
        );
      }
    }
  }

  /**
   * Writes the level-0 chunk files and announces the edit; the coarser levels are recomputed
   * right after, before the next operation starts (the edit's journal row is cleared only then,
   * so a crash in between is recovered like any other).
   */
  private async applyTransition(h: LayerHandle, t: Transition, known?: Map<string, EncodedWrite>): Promise<void> {
    if (t.chunks.length === 0) {
      this.announce(h, t, []);
      return;
    }
    let level0: WrittenChunk[];
    try {
      level0 = await writeLevel0(h.source, t.chunks, known);
    } catch (err) {
      // The edit is recorded with its journal row: the next operation or the next open finishes it.
      const e = err as Error;
      throw new AppError(
        isAppError(e) ? e.code : 'INTERNAL',
        `edit ${t.edit.id} ("${t.edit.label}") is recorded but writing its chunks failed: ${e.message}; it is completed automatically by the next operation or when the project is opened again`,
      );
    }
    this.announce(h, t, level0);
    this.tail = this.finishPyramid(h, t);
  }

  private async finishPyramid(h: LayerHandle, t: Transition): Promise<void> {
    try {
      const written = await writePyramid(h.source, t.chunks);
      this.log.finishJournal(t.edit.id);
      this.meshes.invalidateChunks(h.layer.info.id, written);
      this.emitLabels(h.layer.info.id, written, t.chunks.map((c) => c.box), true);
    } catch (err) {
      // The journal row stays: the next operation (or the next open) finishes these writes.
      // A project closed meanwhile is the expected case of that, not worth a message.
      if (!this.project.isClosed) console.error(`[proofreading] updating the pyramid after edit ${t.edit.id} failed:`, err);
    }
  }

  /** Resolves when every queued operation, including the last edit's pyramid update, has finished. */
  async settled(): Promise<void> {
    await this.queue.catch(() => undefined);
  }

  /** Finishes edits whose chunk files a crash (or a failed write) left unwritten. */
  async recoverPending(): Promise<number> {
    const pending = this.log.pendingJournal();
    for (const p of pending) {
      if (!findLayer(this.project, p.layerId)) {
        this.log.finishJournal(p.editId);
        continue;
      }
      const h = await this.handle(p.layerId);
      const written = await writeChunks(h.source, this.log.chunkWrites(p.editId, p.direction));
      this.log.finishJournal(p.editId);
      this.meshes.invalidateChunks(h.layer.info.id, written);
      this.emitLabels(h.layer.info.id, written, this.log.chunkWrites(p.editId, p.direction).map((w) => w.box), true);
    }
    return pending.length;
  }

  private announce(h: LayerHandle, t: Transition, written: WrittenChunk[]): void {
    const layerId = h.layer.info.id;
    this.meshes.invalidateChunks(layerId, written);
    if (t.mapping.length > 0) this.meshes.invalidateSegments(h.layer, t.segments, this.chunksOfLabels(h, t.mapping.map((m) => m.fragment)));
    if (written.length > 0) this.emitLabels(layerId, written, t.chunks.map((c) => c.box), false);
    this.emit('segments.changed', { layerId, ids: t.segments, all: false });
    if (t.mapping.length > 0) {
      const version = layerState(this.project.db, layerId)?.mappingVersion ?? 0;
      this.emit('mapping.changed', {
        layerId,
        version,
        fragments: Uint32Array.from(t.mapping.map((m) => m.fragment)),
        segments: Uint32Array.from(t.mapping.map((m) => m.segment)),
      });
    }
    this.emit('history.changed', this.historyState());
  }

  /** Level-0 chunks holding any of these stored labels. */
  private chunksOfLabels(h: LayerHandle, labels: number[]): Vec3[] {
    const stmt = this.project.db.prepare('SELECT chunk FROM label_chunks WHERE layer_id = ? AND label = ?').pluck();
    const chunks = new Set<number>();
    for (const l of labels) for (const c of stmt.all(h.layer.info.id, l) as number[]) chunks.add(c);
    return [...chunks].map((c) => chunkCoord(h.layer, c));
  }

  /** labels.changed for the chunks written; `final` (all levels done) also tells the volume viewer (layers.changed). */
  private emitLabels(layerId: string, written: WrittenChunk[], boxes: Box[], final: boolean): void {
    if (boxes.length === 0) return;
    const box: Box = { min: [...boxes[0].min] as Vec3, max: [...boxes[0].max] as Vec3 };
    for (const b of boxes) {
      for (let a = 0; a < 3; a++) {
        box.min[a] = Math.min(box.min[a], b.min[a]);
        box.max[a] = Math.max(box.max[a], b.max[a]);
      }
    }
    if (written.length > 0) this.emit('labels.changed', { layerId, levels: byLevel(written), box });
    if (final) this.emit('layers.changed', { reason: 'edited', layerId, box });
  }

  private maybePrune(): void {
    if (++this.commitsSincePrune < PRUNE_EVERY) return;
    this.commitsSincePrune = 0;
    const { historyMaxBytes } = this.settings();
    if (historyMaxBytes > 0 && this.log.prune(historyMaxBytes) > 0) this.emit('history.changed', this.historyState());
  }

  historyState(): HistoryState {
    const undo = this.log.undoable();
    const redo = this.log.redoable();
    const { applied, undone } = this.log.count();
    return { canUndo: undo !== null, canRedo: redo !== null, undo, redo, applied, undone };
  }

  history(limit?: number, layerId?: string): { entries: HistoryEntry[]; state: HistoryState } {
    const id = layerId ? requireLabelLayerInfo(this.project, layerId).id : undefined;
    return { entries: this.log.history(limit, id), state: this.historyState() };
  }

  // ---- meshes ---------------------------------------------------------------------------

  async meshesOf(layerId: string, segmentIds: number[], level?: number) {
    const h = await this.handle(layerId);
    this.requireIndexed(h);
    for (const id of segmentIds) requireSegment(this.opContext(h), id);
    // Meshes read chunk files; wait for edits in flight so a mesh never mixes two states.
    return this.exclusive(() => this.meshes.meshes(h, segmentIds, level));
  }

  /** Runs `fn` after every earlier edit / undo / redo finished (one at a time). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    const after = () => this.tail;
    this.queue = run.then(after, after).catch(() => undefined);
    return run;
  }
}
