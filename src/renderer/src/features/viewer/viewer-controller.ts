import type { LayerInfo } from '@shared/api/volumes';
import type { ApiClient } from '../../api/client';
import { ViewerChunkCache, type CachedChunk } from './core/chunk-cache';
import { ChunkLoader, type ChunkRequest, type FetchedChunk } from './core/chunk-loader';
import { boxAtLevel, chooseLevel, chunkKey, prefetchAlongNormal, slicesToChunkEdge, visibleChunks, type PlanLevel } from './core/chunk-plan';
import {
  centreOf,
  clampPosition,
  fitZoom,
  floorVec,
  panBy,
  screenToVoxel,
  sliceIndex,
  stepSlice,
  VIEW_AXES,
  VIEW_KINDS,
  visibleBox,
  voxelToScreen,
  zoomAbout,
  type Box3,
  type Camera,
  type Vec3,
  type ViewKind,
} from './core/geometry';
import { GpuHashTable } from './core/gpu-hash-table';
import { joinId, splitId, type SegmentId } from './core/segment-ids';
import { bytesPerVoxel, valueAt, voxelFormat, voxelView, type VoxelFormat } from './core/voxel-format';
import { LabelTables, SliceRenderer, type GpuChunk, type LayerDraw, type LevelChunks, type PaneDraw } from './gl/slice-renderer';
import { InflatePool } from './data/inflate-pool';
import { drawPaneOverlay } from './overlay';
import { applySelection, defaultDisplay, type DisplayStore, type HoverValue, type LayerDisplay, type SelectMode, type ViewerStore } from './state/viewer-state';
import type { ViewerExtensions } from './tools/registry';
import type { LabelLayerControl, PaneProjection, ViewerHost } from './tools/types';

export const ZOOM_LIMITS: [number, number] = [0.05, 1e6];
/** Default renderer-side cache budget (CPU copies + GPU textures). */
export const DEFAULT_VIEWER_CACHE_BYTES = 768 * 1024 * 1024;
/** Coarser levels drawn underneath while the chosen level loads. */
const FALLBACK_LEVELS = 4;
/** Chunk layers fetched ahead of a moving slice. */
const PREFETCH_DEPTH = 1;
/** Prefetch starts when the slice is this close (in level slices) to its chunk's far side, or always while moving. */
const MOTION_WINDOW_MS = 2000;

interface Pane {
  view: ViewKind;
  element: HTMLElement;
  overlay: HTMLCanvasElement;
  /** CSS pixels relative to the GL canvas. */
  rect: { x: number; y: number; width: number; height: number };
}

interface LayerRuntime {
  info: LayerInfo;
  format: VoxelFormat;
  isLabels: boolean;
  tables: LabelTables | null;
  colors: Map<SegmentId, [number, number, number]>;
  hidden: Set<SegmentId>;
}

export interface ViewerStats {
  complete: boolean;
  /** ms from the layers being set (or the last reset) to the first complete frame. */
  firstCompleteMs: number | null;
  frames: number;
  lastFrameMs: number;
  pendingVisible: number;
  cacheBytes: number;
  cacheChunks: number;
  cacheBudget: number;
  evictions: number;
  loader: ChunkLoader['stats'];
  levels: Partial<Record<ViewKind, number>>;
  drawCalls: number;
}

/**
 * The slice viewer's engine, outside React: panes, camera, chunk planning, fetching, caching,
 * GPU upload and drawing, input routing to tools. React components attach DOM elements and
 * read/write the shared stores; everything per-frame happens here.
 */
export class ViewerController implements ViewerHost {
  layers: LayerInfo[] = [];
  private readonly runtimes = new Map<string, LayerRuntime>();
  private readonly panes = new Map<ViewKind, Pane>();
  private canvas: HTMLCanvasElement | null = null;
  private renderer: SliceRenderer | null = null;
  private readonly cache: ViewerChunkCache<GpuChunk>;
  private readonly loader: ChunkLoader;
  private readonly inflater = new InflatePool();
  private frameRequested = false;
  private overlayRequested = false;
  private readonly stale = new Set<string>();
  private motion: { axis: number; direction: number; at: number } = { axis: 0, direction: 0, at: 0 };
  private startedAt = performance.now();
  private readonly statsData: ViewerStats;
  private drag: { view: ViewKind; x: number; y: number; moved: boolean; consumed: boolean } | null = null;
  /** Where the pointer is (CSS px in its pane), so the status bar follows slice steps and zooms. */
  private pointer: { view: ViewKind; x: number; y: number } | null = null;
  private readonly unsubscribers: (() => void)[] = [];
  glError: string | null = null;
  private lastPanes: PaneDraw[] = [];
  /** Chunks the last frame needed but did not have: only their arrival warrants a new frame. */
  private awaited = new Set<string>();

  constructor(
    readonly api: ApiClient,
    readonly state: ViewerStore,
    readonly displays: DisplayStore,
    readonly extensions: ViewerExtensions,
    cacheBudget = DEFAULT_VIEWER_CACHE_BYTES,
  ) {
    this.cache = new ViewerChunkCache<GpuChunk>(cacheBudget, (c) => this.renderer?.release(c));
    this.loader = new ChunkLoader(
      (layerId, level, coords) => api.call('layers.chunks', { layerId, level, coords, encoding: 'gzip' }),
      (req, chunk, dtype) => this.onChunk(req, chunk, dtype),
      { maxBatch: 16, maxInFlight: 4 },
      (key) => this.cache.has(key) && !this.stale.has(key),
    );
    this.statsData = {
      complete: false,
      firstCompleteMs: null,
      frames: 0,
      lastFrameMs: 0,
      pendingVisible: 0,
      cacheBytes: 0,
      cacheChunks: 0,
      cacheBudget,
      evictions: 0,
      loader: this.loader.stats,
      levels: {},
      drawCalls: 0,
    };
    this.unsubscribers.push(
      state.subscribe((s, prev) => {
        if (s.position !== prev.position) this.noteMotion(s.position, prev.position);
        if (s.selections !== prev.selections) this.syncSelections();
        if (s.position !== prev.position || s.zoom !== prev.zoom) this.hoverFromPointer();
        if (s.position !== prev.position || s.zoom !== prev.zoom || s.layout !== prev.layout || s.singleView !== prev.singleView) this.requestRender();
        else if (s.hover !== prev.hover || s.activeTool !== prev.activeTool) this.requestOverlay();
      }),
      displays.subscribe(() => this.requestRender()),
      extensions.tools.subscribe(() => this.requestOverlay()),
    );
  }

  // ---- setup ---------------------------------------------------------------------------------

  attachCanvas(canvas: HTMLCanvasElement): void {
    if (this.canvas === canvas) return;
    this.canvas = canvas;
    const gl = canvas.getContext('webgl2', { stencil: true, antialias: false, premultipliedAlpha: true, preserveDrawingBuffer: false });
    if (!gl) {
      this.glError = 'This browser has no WebGL2; the slice viewer needs it.';
      return;
    }
    try {
      this.renderer = new SliceRenderer(gl);
    } catch (err) {
      this.glError = (err as Error).message;
      return;
    }
    canvas.addEventListener('webglcontextlost', (e) => {
      e.preventDefault();
      this.glError = 'The GPU context was lost; reload the page.';
    });
    this.requestRender();
  }

  attachPane(view: ViewKind, element: HTMLElement, overlay: HTMLCanvasElement): () => void {
    const pane: Pane = { view, element, overlay, rect: { x: 0, y: 0, width: 0, height: 0 } };
    this.panes.set(view, pane);
    const off = this.bindInput(pane);
    this.requestRender();
    return () => {
      off();
      if (this.panes.get(view) === pane) this.panes.delete(view);
      this.requestRender();
    };
  }

  setLayers(layers: LayerInfo[]): void {
    const first = this.layers.length === 0 && layers.length > 0;
    const ids = new Set(layers.map((l) => l.id));
    for (const [id, rt] of this.runtimes) {
      if (!ids.has(id)) {
        if (rt.tables) this.renderer?.releaseTables(rt.tables);
        this.runtimes.delete(id);
        this.cache.deleteWhere((c) => c.layerId === id);
      }
    }
    for (const l of layers) {
      const old = this.runtimes.get(l.id);
      const isLabels = l.kind === 'labels' || l.kind === 'fragments';
      if (old && old.info.dtype === l.dtype && old.info.levels.length === l.levels.length) {
        old.info = l;
        continue;
      }
      if (old) this.cache.deleteWhere((c) => c.layerId === l.id);
      this.runtimes.set(l.id, {
        info: l,
        format: voxelFormat(l.dtype, isLabels),
        isLabels,
        tables: isLabels ? new LabelTables(new GpuHashTable(), new GpuHashTable()) : null,
        colors: new Map(),
        hidden: new Set(),
      });
    }
    this.layers = layers;
    const displays = { ...this.displays.get() };
    let changed = false;
    for (const l of layers) {
      if (!displays[l.id]) {
        displays[l.id] = defaultDisplay(l);
        changed = true;
      }
    }
    for (const id of Object.keys(displays)) {
      if (!ids.has(id)) {
        delete displays[id];
        changed = true;
      }
    }
    if (changed) this.displays.replace(displays);
    const s = this.state.get();
    if (!s.activeLabelLayer || !ids.has(s.activeLabelLayer)) {
      this.state.set({ activeLabelLayer: layers.find((l) => l.kind === 'labels' || l.kind === 'fragments')?.id ?? null });
    }
    if (first) this.resetView();
    this.syncSelections();
    this.requestRender();
  }

  /** The layer whose level 0 defines world coordinates (the first one). */
  get world(): { shape: Vec3; resolution: Vec3 } | null {
    const l = this.layers[0];
    return l ? { shape: l.shape as Vec3, resolution: l.resolution as Vec3 } : null;
  }

  resetView(): void {
    const w = this.world;
    if (!w) return;
    const pane = this.panes.get('xy') ?? [...this.panes.values()][0];
    const size = pane ? pane.element.getBoundingClientRect() : { width: 800, height: 600 };
    const zoom = fitZoom(pane?.view ?? 'xy', { width: size.width || 800, height: size.height || 600 }, w.shape, w.resolution);
    this.startedAt = performance.now();
    this.statsData.firstCompleteMs = null;
    this.state.set({ position: centreOf(w.shape), zoom });
  }

  setCacheBudget(bytes: number): void {
    this.cache.setBudget(bytes);
    this.statsData.cacheBudget = bytes;
  }

  /** Restarts the open-to-complete timer (benchmarks). */
  markStart(): void {
    this.startedAt = performance.now();
    this.statsData.firstCompleteMs = null;
    this.statsData.complete = false;
  }

  private holders = 0;

  /** React effects hold the controller; it is disposed shortly after the last release (StrictMode remounts survive). */
  retain(): () => void {
    this.holders++;
    return () => {
      this.holders--;
      setTimeout(() => {
        if (this.holders === 0) this.dispose();
      }, 0);
    };
  }

  dispose(): void {
    for (const u of this.unsubscribers) u();
    this.loader.dispose();
    this.inflater.dispose();
    this.cache.clear();
    for (const rt of this.runtimes.values()) if (rt.tables) this.renderer?.releaseTables(rt.tables);
    this.renderer?.dispose();
    this.renderer = null;
  }

  // ---- ViewerHost -----------------------------------------------------------------------------

  requestRender(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      try {
        this.renderNow();
      } catch (err) {
        // A broken frame (shader compile failure, lost context) must not die silently.
        if (this.glError === null) console.error('[viewer] frame failed:', err);
        this.glError = (err as Error).message;
        for (const l of this.errorListeners) l(this.glError);
      }
    });
  }

  private readonly errorListeners = new Set<(message: string) => void>();

  /** Called when drawing fails (the viewer shows the message instead of a frozen picture). */
  onError(l: (message: string) => void): () => void {
    this.errorListeners.add(l);
    return () => this.errorListeners.delete(l);
  }

  requestOverlay(): void {
    if (this.overlayRequested || this.frameRequested) return;
    this.overlayRequested = true;
    requestAnimationFrame(() => {
      this.overlayRequested = false;
      this.drawOverlays();
    });
  }

  pickAt(voxel: Vec3): HoverValue[] {
    const out: HoverValue[] = [];
    const displays = this.displays.get();
    for (const l of this.layers) {
      const d = displays[l.id];
      if (!d?.visible) continue;
      const rt = this.runtimes.get(l.id)!;
      const raw = this.valueAt(rt, voxel);
      let segment: SegmentId | null = null;
      if (rt.isLabels && typeof raw === 'bigint') segment = this.mapId(rt, raw);
      out.push({ layerId: l.id, name: l.name, kind: l.kind, value: raw, segment });
    }
    return out;
  }

  labels(layerId: string): LabelLayerControl {
    const rt = this.runtimes.get(layerId);
    if (!rt?.tables) throw new Error(`layer ${layerId} is not a label layer`);
    const tables = rt.tables;
    return {
      layerId,
      setMapping: (pairs) => {
        tables.mapping.clear();
        for (const [f, s] of pairs) if (f !== 0n && f !== s) this.setPair(tables.mapping, f, s);
        this.requestRender();
      },
      updateMapping: (changes) => {
        for (const [f, s] of changes) {
          const [lo, hi] = splitId(f);
          if (s === null || s === f) tables.mapping.delete(lo, hi);
          else this.setPair(tables.mapping, f, s);
        }
        this.requestRender();
      },
      mapId: (f) => this.mapId(rt, f),
      setSegmentColor: (id, rgb) => {
        if (rgb) rt.colors.set(id, rgb);
        else rt.colors.delete(id);
        this.syncAttributes(rt);
      },
      setSegmentHidden: (id, hidden) => {
        if (hidden) rt.hidden.add(id);
        else rt.hidden.delete(id);
        this.syncAttributes(rt);
      },
    };
  }

  select(layerId: string, ids: SegmentId[], mode: SelectMode): void {
    this.state.set((s) => ({ selections: { ...s.selections, [layerId]: applySelection(s.selections[layerId] ?? [], ids, mode) } }));
  }

  invalidate(layerId: string, box?: Box3): void {
    const rt = this.runtimes.get(layerId);
    if (!rt) return;
    for (const c of this.cache.values()) {
      if (c.layerId !== layerId) continue;
      if (box && !this.chunkIntersects(rt, c, box)) continue;
      this.stale.add(c.key);
    }
    this.requestRender();
  }

  patchVoxels(layerId: string, box: Box3, data: ArrayLike<number> | BigUint64Array): void {
    const rt = this.runtimes.get(layerId);
    if (!rt) return;
    const level = rt.info.levels[0];
    const size = [box.max[0] - box.min[0], box.max[1] - box.min[1], box.max[2] - box.min[2]];
    const b = boxAtLevel(box, level);
    for (let cz = Math.floor(b.min[0] / level.chunkShape[0]); cz * level.chunkShape[0] < b.max[0]; cz++)
      for (let cy = Math.floor(b.min[1] / level.chunkShape[1]); cy * level.chunkShape[1] < b.max[1]; cy++)
        for (let cx = Math.floor(b.min[2] / level.chunkShape[2]); cx * level.chunkShape[2] < b.max[2]; cx++) {
          const c = this.cache.peek(chunkKey(layerId, 0, [cz, cy, cx]));
          if (!c) continue;
          if (!c.data) {
            const n = c.shape[0] * c.shape[1] * c.shape[2] * c.components;
            c.data = rt.isLabels ? (rt.format.texture === 'R8UI' ? new Uint8Array(n) : rt.format.texture === 'R16UI' ? new Uint16Array(n) : new Uint32Array(n)) : new Float32Array(n);
          }
          const origin = [cz * level.chunkShape[0], cy * level.chunkShape[1], cx * level.chunkShape[2]];
          for (let z = Math.max(box.min[0], origin[0]); z < Math.min(box.max[0], origin[0] + c.shape[0]); z++)
            for (let y = Math.max(box.min[1], origin[1]); y < Math.min(box.max[1], origin[1] + c.shape[1]); y++)
              for (let x = Math.max(box.min[2], origin[2]); x < Math.min(box.max[2], origin[2] + c.shape[2]); x++) {
                const src = ((z - box.min[0]) * size[1] + (y - box.min[1])) * size[2] + (x - box.min[2]);
                const dst = ((z - origin[0]) * c.shape[1] + (y - origin[1])) * c.shape[2] + (x - origin[2]);
                const v = data[src];
                if (c.components === 2) {
                  const [lo, hi] = splitId(BigInt(v));
                  (c.data as Uint32Array)[2 * dst] = lo;
                  (c.data as Uint32Array)[2 * dst + 1] = hi;
                } else c.data[dst] = Number(v);
              }
          this.renderer?.release(c);
          this.cache.resize(c, 0);
        }
    this.requestRender();
  }

  moveTo(position: Vec3): void {
    const w = this.world;
    if (!w) return;
    this.state.set({ position: clampPosition(position, w.shape) });
  }

  setActiveTool(id: string): void {
    const s = this.state.get();
    if (s.activeTool === id) return;
    const old = this.extensions.tools.get(s.activeTool);
    const next = this.extensions.tools.get(id);
    if (!next) throw new Error(`no viewer tool '${id}'`);
    old?.deactivate?.(this);
    this.state.set({ activeTool: id });
    next.activate?.(this);
  }

  // ---- camera actions -------------------------------------------------------------------------

  get camera(): Camera {
    const s = this.state.get();
    return { position: s.position, zoom: s.zoom };
  }

  stepSlice(view: ViewKind, steps: number): void {
    const w = this.world;
    if (!w) return;
    const cam = stepSlice(this.camera, view, steps, w.shape);
    this.state.set({ position: cam.position });
  }

  zoomBy(factor: number, view?: ViewKind, at?: { x: number; y: number }): void {
    const w = this.world;
    if (!w) return;
    const pane = view ? this.panes.get(view) : undefined;
    const size = pane ? { width: pane.rect.width, height: pane.rect.height } : { width: 2, height: 2 };
    const p = at ?? { x: size.width / 2, y: size.height / 2 };
    const cam = zoomAbout(this.camera, view ?? 'xy', size, w.resolution, p.x, p.y, factor, ZOOM_LIMITS);
    this.state.set({ position: clampPosition(cam.position, w.shape), zoom: cam.zoom });
  }

  panBy(view: ViewKind, dx: number, dy: number): void {
    const w = this.world;
    if (!w) return;
    const cam = panBy(this.camera, view, w.resolution, dx, dy);
    this.state.set({ position: clampPosition(cam.position, w.shape) });
  }

  // ---- frame ----------------------------------------------------------------------------------

  /** Plans, fetches and draws one frame now (also used by screenshots and the test hook). */
  renderNow(): void {
    const t0 = performance.now();
    const canvas = this.canvas;
    const renderer = this.renderer;
    if (!canvas || !renderer) return;
    const dpr = window.devicePixelRatio || 1;
    const cr = canvas.getBoundingClientRect();
    const W = Math.max(1, Math.round(cr.width * dpr));
    const H = Math.max(1, Math.round(cr.height * dpr));
    if (canvas.width !== W || canvas.height !== H) {
      canvas.width = W;
      canvas.height = H;
    }
    const gl = renderer.gl;
    gl.disable(gl.SCISSOR_TEST);
    gl.viewport(0, 0, W, H);
    gl.clearColor(0.06, 0.06, 0.07, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    this.cache.beginFrame();
    renderer.drawCalls = 0;
    const s = this.state.get();
    const world = this.world;
    const wants: ChunkRequest[] = [];
    this.awaited = new Set();
    let pendingVisible = 0;
    const panes: PaneDraw[] = [];
    for (const pane of this.panes.values()) {
      const r = pane.element.getBoundingClientRect();
      pane.rect = { x: r.left - cr.left, y: r.top - cr.top, width: r.width, height: r.height };
      if (!world || r.width < 2 || r.height < 2) continue;
      const draw = this.planPane(pane, s.position, s.zoom, dpr, world, cr.height, wants);
      pendingVisible += draw.pending;
      panes.push(draw.pane);
    }
    this.loader.want(wants);
    for (const p of panes) renderer.drawPane(p);
    this.lastPanes = panes;
    const stats = this.statsData;
    stats.frames++;
    stats.pendingVisible = pendingVisible;
    stats.complete = panes.length > 0 && pendingVisible === 0;
    if (stats.complete && stats.firstCompleteMs === null) stats.firstCompleteMs = performance.now() - this.startedAt;
    stats.cacheBytes = this.cache.bytes;
    stats.cacheChunks = this.cache.size;
    stats.evictions = this.cache.evictions;
    stats.drawCalls = renderer.drawCalls;
    stats.lastFrameMs = performance.now() - t0;
    this.drawOverlays();
    for (const l of this.frameListeners) l(stats);
  }

  private readonly frameListeners = new Set<(s: ViewerStats) => void>();

  /** Called after every frame (the benchmark and tests wait on completeness with it). */
  onFrame(l: (s: ViewerStats) => void): () => void {
    this.frameListeners.add(l);
    return () => this.frameListeners.delete(l);
  }

  stats(): ViewerStats {
    return { ...this.statsData, loader: { ...this.loader.stats } };
  }

  private planPane(pane: Pane, position: Vec3, zoom: number, dpr: number, world: { shape: Vec3; resolution: Vec3 }, canvasCssHeight: number, wants: ChunkRequest[]): { pane: PaneDraw; pending: number } {
    const size = { width: pane.rect.width, height: pane.rect.height };
    const cam: Camera = { position, zoom };
    const visible = visibleBox(pane.view, size, cam, world.resolution, world.shape);
    const displays = this.displays.get();
    const layers: LayerDraw[] = [];
    let pending = 0;
    const n = VIEW_AXES[pane.view].n;
    const now = performance.now();
    const moving = now - this.motion.at < MOTION_WINDOW_MS && this.motion.axis === n ? this.motion.direction : 0;
    const paneIndex = VIEW_KINDS.indexOf(pane.view);
    for (const layer of this.layers) {
      const d = displays[layer.id];
      const rt = this.runtimes.get(layer.id);
      if (!d?.visible || !rt || !visible) continue;
      const levels = layer.levels as PlanLevel[];
      const chosen = chooseLevel(levels, pane.view, zoom / dpr);
      this.statsData.levels[pane.view] = chosen;
      const drawLevels: LevelChunks[] = [];
      for (let li = chosen; li < Math.min(levels.length, chosen + 1 + FALLBACK_LEVELS); li++) {
        const planned = visibleChunks(pane.view, visible, levels[li], li, paneIndex * 0.01);
        const chunks: CachedChunk<GpuChunk>[] = [];
        for (const p of planned) {
          const key = chunkKey(layer.id, li, p.coord);
          const c = this.cache.get(key);
          if (c) {
            this.ensureUploaded(rt, c);
            chunks.push(c);
          }
          if (li === chosen && (!c || this.stale.has(key))) {
            pending++; // missing, or shown but outdated (an edit is being refetched)
            this.awaited.add(key);
            wants.push({ key, layerId: layer.id, level: li, coord: p.coord, priority: p.priority });
          }
        }
        drawLevels.push({ level: levels[li], chunks });
        // Coarser levels only matter where this one has gaps.
        if (chunks.length === planned.length) break;
      }
      const level = levels[chosen];
      const sliceAtLevel = Math.floor(Math.floor(position[n]) / level.factors[n]);
      const direction = moving || (slicesToChunkEdge(sliceAtLevel, level.chunkShape[n], 1) < 2 ? 1 : slicesToChunkEdge(sliceAtLevel, level.chunkShape[n], -1) < 2 ? -1 : 0);
      for (const p of prefetchAlongNormal(pane.view, visible, level, chosen, direction, PREFETCH_DEPTH, 100)) {
        const key = chunkKey(layer.id, chosen, p.coord);
        if (!this.cache.has(key)) wants.push({ key, layerId: layer.id, level: chosen, coord: p.coord, priority: p.priority });
      }
      if (d.kind === 'image') {
        layers.push({ kind: 'image', levels: drawLevels, format: rt.format, display: d.image });
      } else if (rt.tables) {
        const hover = this.state.get().hover?.values.find((v) => v.layerId === layer.id)?.segment ?? null;
        layers.push({ kind: 'labels', levels: drawLevels, format: rt.format, display: d.labels, tables: rt.tables, hover });
      }
    }
    const vp = {
      x: Math.round(pane.rect.x * dpr),
      y: Math.round((canvasCssHeight - pane.rect.y - pane.rect.height) * dpr),
      width: Math.round(pane.rect.width * dpr),
      height: Math.round(pane.rect.height * dpr),
    };
    return {
      pane: { view: pane.view, camera: cam, resolution: world.resolution, shape: world.shape, cssWidth: size.width, cssHeight: size.height, viewport: vp, background: [0, 0, 0], layers },
      pending,
    };
  }

  private ensureUploaded(rt: LayerRuntime, c: CachedChunk<GpuChunk>): void {
    if (c.gpu || !c.data || !this.renderer) return;
    const bytes = this.renderer.upload(c, rt.format);
    this.cache.resize(c, bytes);
  }

  private async onChunk(req: ChunkRequest, chunk: FetchedChunk, dtype: string): Promise<void> {
    const rt = this.runtimes.get(req.layerId);
    if (!rt) return;
    let bytes = chunk.data;
    if (bytes && chunk.encoding === 'gzip') {
      const voxels = chunk.shape[0] * chunk.shape[1] * chunk.shape[2];
      try {
        bytes = await this.inflater.inflate(bytes, voxels * bytesPerVoxel(dtype));
      } catch (err) {
        this.loader.stats.errors++;
        this.loader.stats.lastError = `chunk ${chunk.coord.join(',')} of layer '${rt.info.name}': ${(err as Error).message}`;
        return;
      }
      if (this.runtimes.get(req.layerId) !== rt) return; // the layer changed while inflating
    }
    const old = this.cache.peek(req.key);
    if (old) this.cache.delete(req.key);
    this.stale.delete(req.key);
    const data = bytes ? voxelView(bytes, dtype, rt.isLabels) : null;
    this.cache.set({
      key: req.key,
      layerId: req.layerId,
      level: req.level,
      coord: chunk.coord as Vec3,
      shape: chunk.shape as Vec3,
      data,
      components: rt.format.components,
      gpu: null,
      gpuBytes: 0,
    });
    // Prefetched chunks wait quietly in the cache; a frame is drawn only for chunks on screen.
    if (this.awaited.has(req.key)) this.requestRender();
    if (this.state.get().hover) this.refreshHover();
  }

  // ---- overlays, picking ----------------------------------------------------------------------

  projection(view: ViewKind): PaneProjection | null {
    const pane = this.panes.get(view);
    const w = this.world;
    if (!pane || !w) return null;
    const size = { width: pane.rect.width, height: pane.rect.height };
    const cam = this.camera;
    const { h, v, n } = VIEW_AXES[view];
    return {
      view,
      width: size.width,
      height: size.height,
      slice: sliceIndex(cam, view, w.shape),
      toScreen: (voxel) => voxelToScreen(view, size, cam, w.resolution, voxel),
      toVoxel: (x, y) => screenToVoxel(view, size, cam, w.resolution, x, y),
      pixelsPerVoxel: { h: w.resolution[h] / cam.zoom, v: w.resolution[v] / cam.zoom },
      axes: [h, v, n],
    };
  }

  drawOverlays(): void {
    const tool = this.extensions.tools.get(this.state.get().activeTool);
    for (const pane of this.panes.values()) {
      const proj = this.projection(pane.view);
      if (!proj) continue;
      drawPaneOverlay(pane.overlay, proj, this, tool ?? null);
    }
  }

  private refreshHover(): void {
    const hv = this.state.get().hover;
    if (!hv) return;
    this.state.set({ hover: { ...hv, values: this.pickAt(hv.voxel) } });
  }

  private valueAt(rt: LayerRuntime, voxel: Vec3): number | bigint | null {
    const levels = rt.info.levels as PlanLevel[];
    if (!voxel.every((x, i) => x >= 0 && x < rt.info.shape[i])) return null;
    for (let li = 0; li < levels.length; li++) {
      const l = levels[li];
      const lv = [0, 1, 2].map((a) => Math.floor(voxel[a] / l.factors[a])) as Vec3;
      const coord = [0, 1, 2].map((a) => Math.floor(lv[a] / l.chunkShape[a])) as Vec3;
      const c = this.cache.peek(chunkKey(rt.info.id, li, coord));
      if (!c) continue;
      if (!c.data) return rt.isLabels ? 0n : 0;
      const local = [0, 1, 2].map((a) => lv[a] - coord[a] * l.chunkShape[a]);
      if (!local.every((x, a) => x < c.shape[a])) return null;
      const i = (local[0] * c.shape[1] + local[1]) * c.shape[2] + local[2];
      return valueAt(c.data, i, c.components, rt.isLabels);
    }
    return null;
  }

  private mapId(rt: LayerRuntime, id: SegmentId): SegmentId {
    if (!rt.tables || id === 0n) return id;
    const [lo, hi] = splitId(id);
    const v = rt.tables.mapping.get(lo, hi);
    return v ? joinId(v[0], v[1]) : id;
  }

  private setPair(table: GpuHashTable, f: SegmentId, s: SegmentId): void {
    const [lo, hi] = splitId(f);
    const [a, b] = splitId(s);
    table.set(lo, hi, a, b);
  }

  private syncSelections(): void {
    for (const rt of this.runtimes.values()) if (rt.tables) this.syncAttributes(rt);
  }

  /** Rewrites a label layer's segment-attribute table from selection, colours and hidden ids. */
  private syncAttributes(rt: LayerRuntime): void {
    if (!rt.tables) return;
    const selected = this.state.get().selections[rt.info.id] ?? [];
    const want = new Map<SegmentId, [number, number]>();
    const flag = (id: SegmentId, bit: number, rgba = 0) => {
      const e = want.get(id) ?? [0, 0];
      e[0] |= bit;
      if (rgba) e[1] = rgba;
      want.set(id, e);
    };
    for (const id of selected) if (id !== 0n) flag(id, 1);
    for (const id of rt.hidden) if (id !== 0n) flag(id, 2);
    for (const [id, [r, g, b]] of rt.colors) if (id !== 0n) flag(id, 4, (r | (g << 8) | (b << 16) | (255 << 24)) >>> 0);
    const table = rt.tables.attributes;
    for (const [lo, hi] of [...table.entries()]) if (!want.has(joinId(lo, hi))) table.delete(lo, hi);
    for (const [id, [flags, rgba]] of want) {
      const [lo, hi] = splitId(id);
      const cur = table.get(lo, hi);
      if (!cur || cur[0] !== flags || cur[1] !== rgba) table.set(lo, hi, flags, rgba);
    }
    this.requestRender();
  }

  private chunkIntersects(rt: LayerRuntime, c: CachedChunk, box: Box3): boolean {
    const l = rt.info.levels[c.level];
    for (let a = 0; a < 3; a++) {
      const lo = c.coord[a] * l.chunkShape[a] * l.factors[a];
      const hi = lo + c.shape[a] * l.factors[a];
      if (hi <= box.min[a] || lo >= box.max[a]) return false;
    }
    return true;
  }

  private noteMotion(p: Vec3, prev: Vec3): void {
    for (let a = 0; a < 3; a++) {
      const d = Math.floor(p[a]) - Math.floor(prev[a]);
      if (d !== 0) {
        this.motion = { axis: a, direction: Math.sign(d), at: performance.now() };
        return;
      }
    }
  }

  /** Reads the rendered pixel at CSS (x, y) of a pane, after drawing a fresh frame. */
  readPanePixel(view: ViewKind, x: number, y: number): [number, number, number, number] | null {
    this.renderNow();
    const p = this.lastPanes.find((q) => q.view === view);
    if (!p || !this.renderer) return null;
    const dpr = window.devicePixelRatio || 1;
    const px = p.viewport.x + Math.floor(x * dpr);
    const py = p.viewport.y + p.viewport.height - 1 - Math.floor(y * dpr);
    const v = this.renderer.readPixels(px, py, 1, 1);
    return [v[0], v[1], v[2], v[3]];
  }

  /** The pane's pixels (slices plus overlay) as a PNG blob. */
  async paneImage(view: ViewKind): Promise<Blob | null> {
    this.renderNow();
    const p = this.lastPanes.find((q) => q.view === view);
    const pane = this.panes.get(view);
    if (!p || !pane || !this.renderer) return null;
    const { x, y, width, height } = p.viewport;
    const pixels = this.renderer.readPixels(x, y, width, height);
    const out = document.createElement('canvas');
    out.width = width;
    out.height = height;
    const ctx = out.getContext('2d')!;
    const img = ctx.createImageData(width, height);
    for (let row = 0; row < height; row++) img.data.set(pixels.subarray((height - 1 - row) * width * 4, (height - row) * width * 4), row * width * 4);
    ctx.putImageData(img, 0, 0);
    ctx.drawImage(pane.overlay, 0, 0, width, height);
    return new Promise((resolve) => out.toBlob((b) => resolve(b), 'image/png'));
  }

  // ---- input ----------------------------------------------------------------------------------

  private bindInput(pane: Pane): () => void {
    const el = pane.element;
    const local = (e: MouseEvent) => {
      const r = el.getBoundingClientRect();
      return { x: e.clientX - r.left, y: e.clientY - r.top };
    };
    const toolEvent = (type: 'down' | 'move' | 'up' | 'click' | 'dblclick' | 'leave', e: PointerEvent | MouseEvent) => {
      const proj = this.projection(pane.view);
      const w = this.world;
      if (!proj || !w) return null;
      const { x, y } = local(e);
      const voxel = proj.toVoxel(x, y);
      const voxelIndex = floorVec(voxel);
      return {
        type,
        pane: proj,
        voxel,
        voxelIndex,
        inside: voxelIndex.every((c, i) => c >= 0 && c < w.shape[i]),
        x,
        y,
        button: e.button,
        buttons: e.buttons,
        shiftKey: e.shiftKey,
        ctrlKey: e.ctrlKey,
        altKey: e.altKey,
        metaKey: e.metaKey,
        pick: () => this.pickAt(voxelIndex),
        native: e,
      };
    };
    const tool = () => this.extensions.tools.get(this.state.get().activeTool);
    const onDown = (e: PointerEvent) => {
      if (e.button !== 0 && e.button !== 1) return;
      el.setPointerCapture(e.pointerId);
      const te = toolEvent('down', e);
      const consumed = e.button === 0 && te ? tool()?.pointer?.(te, this) === true : false;
      this.drag = { view: pane.view, x: e.clientX, y: e.clientY, moved: false, consumed };
      this.state.set({ activeView: pane.view });
    };
    const onMove = (e: PointerEvent) => {
      const te = toolEvent('move', e);
      if (te) this.pointer = { view: pane.view, x: te.x, y: te.y };
      if (te) this.hoverAt(pane.view, te.voxelIndex, te.inside);
      if (this.drag && this.drag.view === pane.view) {
        const dx = e.clientX - this.drag.x;
        const dy = e.clientY - this.drag.y;
        if (Math.abs(dx) + Math.abs(dy) > 3) this.drag.moved = true;
        if (this.drag.consumed) {
          if (te) tool()?.pointer?.(te, this);
        } else if (this.drag.moved) {
          this.panBy(pane.view, dx, dy);
          this.drag.x = e.clientX;
          this.drag.y = e.clientY;
        }
        return;
      }
      if (te && tool()?.pointer?.(te, this)) return;
    };
    const onUp = (e: PointerEvent) => {
      const drag = this.drag;
      this.drag = null;
      if (el.hasPointerCapture(e.pointerId)) el.releasePointerCapture(e.pointerId);
      const te = toolEvent('up', e);
      if (!te) return;
      if (tool()?.pointer?.(te, this)) return;
      if (drag && !drag.moved && !drag.consumed && e.button === 0) {
        const click = toolEvent('click', e);
        if (click && tool()?.pointer?.(click, this)) return;
        this.selectUnder(te.voxelIndex, e.ctrlKey || e.shiftKey || e.metaKey ? 'toggle' : 'replace');
      }
    };
    const onDbl = (e: MouseEvent) => {
      const te = toolEvent('dblclick', e);
      if (!te) return;
      if (tool()?.pointer?.(te, this)) return;
      const w = this.world;
      if (w && te.inside) {
        const p = [...te.voxelIndex].map((c) => c + 0.5) as Vec3;
        this.state.set({ position: clampPosition(p, w.shape) });
      }
    };
    const onLeave = (e: PointerEvent) => {
      const te = toolEvent('leave', e);
      if (te) tool()?.pointer?.(te, this);
      this.pointer = null;
      this.state.set({ hover: null });
    };
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const proj = this.projection(pane.view);
      if (!proj) return;
      const { x, y } = local(e);
      const t = tool();
      if (t?.wheel?.({ pane: proj, voxel: proj.toVoxel(x, y), deltaY: e.deltaY, shiftKey: e.shiftKey, ctrlKey: e.ctrlKey, altKey: e.altKey, native: e }, this)) return;
      this.state.set({ activeView: pane.view });
      // Pointer events carry fractional coordinates, wheel events whole pixels: anchor the
      // zoom where the status bar says the pointer is.
      const p = this.pointer?.view === pane.view ? this.pointer : { x, y };
      this.onWheel(pane.view, e, p.x, p.y);
    };
    const onContext = (e: MouseEvent) => e.preventDefault();
    el.addEventListener('pointerdown', onDown);
    el.addEventListener('pointermove', onMove);
    el.addEventListener('pointerup', onUp);
    el.addEventListener('pointercancel', onUp);
    el.addEventListener('pointerleave', onLeave);
    el.addEventListener('dblclick', onDbl);
    el.addEventListener('wheel', onWheel, { passive: false });
    el.addEventListener('contextmenu', onContext);
    return () => {
      el.removeEventListener('pointerdown', onDown);
      el.removeEventListener('pointermove', onMove);
      el.removeEventListener('pointerup', onUp);
      el.removeEventListener('pointercancel', onUp);
      el.removeEventListener('pointerleave', onLeave);
      el.removeEventListener('dblclick', onDbl);
      el.removeEventListener('wheel', onWheel);
      el.removeEventListener('contextmenu', onContext);
    };
  }

  /** Wheel: slices; Ctrl (or a pinch, which browsers report as Ctrl+wheel): zoom about the pointer. */
  onWheel(view: ViewKind, e: { deltaY: number; deltaX: number; deltaMode: number; shiftKey: boolean; ctrlKey: boolean; metaKey: boolean }, x: number, y: number): void {
    if (e.ctrlKey || e.metaKey) {
      const f = Math.exp(-Math.max(-300, Math.min(300, e.deltaMode === 1 ? e.deltaY * 33 : e.deltaY)) * 0.002);
      this.zoomBy(f, view, { x, y });
      return;
    }
    const d = e.deltaY !== 0 ? e.deltaY : e.deltaX;
    if (d === 0) return;
    this.stepSlice(view, Math.sign(d) * (e.shiftKey ? 10 : 1));
  }

  private hoverFromPointer(): void {
    const p = this.pointer;
    const w = this.world;
    const proj = p && this.projection(p.view);
    if (!p || !w || !proj) return;
    const voxel = floorVec(proj.toVoxel(p.x, p.y));
    this.hoverAt(p.view, voxel, voxel.every((c, i) => c >= 0 && c < w.shape[i]));
  }

  private hoverAt(view: ViewKind, voxel: Vec3, inside: boolean): void {
    const prev = this.state.get().hover;
    if (prev && prev.view === view && prev.voxel.every((c, i) => c === voxel[i])) return;
    const values = inside ? this.pickAt(voxel) : [];
    this.state.set({ hover: { view, voxel, inside, values } });
    // The shader highlights the hovered segment: redraw only when that segment changes.
    const segs = (vs: HoverValue[] | undefined) => (vs ?? []).map((v) => String(v.segment)).join(',');
    if (segs(prev?.values) !== segs(values)) this.requestRender();
  }

  private selectUnder(voxel: Vec3, mode: SelectMode): void {
    const layerId = this.state.get().activeLabelLayer;
    if (!layerId) return;
    const v = this.pickAt(voxel).find((p) => p.layerId === layerId);
    const seg = v?.segment;
    if (seg === null || seg === undefined) return;
    if (seg === 0n) {
      if (mode === 'replace') this.select(layerId, [], 'replace');
      return;
    }
    this.select(layerId, [seg], mode);
  }
}

export type { LayerDisplay };
