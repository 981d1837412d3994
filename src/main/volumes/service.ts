import { AppError } from '../errors';
import type { Project } from '../store/project';
import { assertBoxInShape, chunkGridShape, formatShape, voxelCount, type Box, type Vec3 } from './box';
import { ChunkCache, sharedChunkCache, type CacheStats } from './chunk-cache';
import { DecodePool, sharedDecodePool } from './decode-pool';
import { type VoxelArray } from './dtypes';
import { importVolume, type ImportParams, type ImportResult } from './import';
import { deleteLayer, getLayer, listLayers, setLayerResolution, type LayerInfo } from './layers';
import { assembleRegion } from './readers/chunked';
import { openVolume } from './readers/open';
import type { Chunk, ChunkedVolumeReader, LevelInfo } from './readers/types';
import { updatePyramid } from './store/pyramid';
import { VolumeStore } from './store/volume-store';

export type SliceAxis = 'z' | 'y' | 'x';

/** A 2D section: `data` is row-major, `height` rows of `width` voxels. */
export interface Slice {
  data: VoxelArray;
  width: number;
  height: number;
  /** Which volume axes the rows and columns run along: z -> [y, x], y -> [z, x], x -> [z, y]. */
  axes: [SliceAxis, SliceAxis];
}

/** Rectangle inside a slice, in its own [row, column] axes; max exclusive. */
export interface SliceRoi {
  min: [number, number];
  max: [number, number];
}

export interface ChunkWrite {
  coord: Vec3;
  /** Full chunk shape, C-order [z][y][x], the layer's dtype. */
  data: VoxelArray;
}

interface OpenLayer {
  info: LayerInfo;
  levels: LevelInfo[];
  /** Uncached chunk loads: store files, or the decode pool for external layers. */
  load: (level: number, coord: Vec3) => Promise<Chunk>;
  store: VolumeStore | null;
  close: () => Promise<void>;
}

/** Reader of a layer in the calling thread (jobs, exports): the store, or the external source. */
export async function openLayerReader(project: Project, layer: LayerInfo): Promise<ChunkedVolumeReader> {
  if (layer.source === 'store') return VolumeStore.open(project.path(layer.uri));
  const r = await openVolume(layer.uri, { dataset: (layer.meta.dataset as string | null) ?? undefined });
  if (!r.readChunk) {
    await r.close();
    throw new AppError('PROJECT_CORRUPT', `external layer '${layer.name}' (${layer.uri}) is not a chunked source`);
  }
  return r as ChunkedVolumeReader;
}

/**
 * The volume API of one open project for the rest of the app: layers, region / slice / chunk
 * reads through the shared chunk cache, chunk writes with pyramid upkeep, import, delete.
 * Store chunks decode on node:zlib's thread pool; external layers decode in the decode pool.
 */
export class VolumeService {
  private readonly open = new Map<string, Promise<OpenLayer>>();
  private readonly writeLocks = new Map<string, Promise<unknown>>();
  readonly cache: ChunkCache;
  private readonly pool: DecodePool;

  constructor(
    readonly project: Project,
    opts: { cache?: ChunkCache; pool?: DecodePool } = {},
  ) {
    this.cache = opts.cache ?? sharedChunkCache();
    this.pool = opts.pool ?? sharedDecodePool();
  }

  listLayers(): LayerInfo[] {
    return listLayers(this.project);
  }

  getLayer(idOrName: string): LayerInfo {
    return getLayer(this.project, idOrName);
  }

  private openLayer(idOrName: string): Promise<OpenLayer> {
    const info = this.getLayer(idOrName);
    let p = this.open.get(info.id);
    if (!p) {
      p = this.doOpen(info);
      this.open.set(info.id, p);
      p.catch(() => this.open.delete(info.id));
    }
    return p;
  }

  private async doOpen(info: LayerInfo): Promise<OpenLayer> {
    if (info.source === 'store') {
      const store = await VolumeStore.open(this.project.path(info.uri));
      return { info, levels: store.levels, load: (l, c) => store.readChunk(l, c), store, close: () => store.close() };
    }
    const dataset = (info.meta.dataset as string | null) ?? undefined;
    const levels: LevelInfo[] = info.levels.map((l) => ({ ...l }));
    if (this.pool.available) {
      return { info, levels, load: (l, c) => this.pool.readChunk(info.uri, dataset, info.dtype, l, c), store: null, close: async () => {} };
    }
    const reader = await openLayerReader(this.project, info);
    return { info, levels, load: (l, c) => reader.readChunk(l, c), store: null, close: () => reader.close() };
  }

  private levelOf(layer: OpenLayer, level: number): LevelInfo {
    const l = layer.levels[level];
    if (!l) throw new AppError('BAD_REQUEST', `layer '${layer.info.name}' has no level ${level} (levels 0-${layer.levels.length - 1})`);
    return l;
  }

  /** One decoded chunk through the cache (store chunks have the full chunk shape). */
  async readChunk(idOrName: string, level: number, coord: Vec3): Promise<Chunk> {
    const layer = await this.openLayer(idOrName);
    const l = this.levelOf(layer, level);
    const grid = chunkGridShape(l.shape, l.chunkShape!);
    if (!coord.every((c, i) => Number.isInteger(c) && c >= 0 && c < grid[i])) {
      throw new AppError('BAD_REQUEST', `chunk ${coord.join(',')} is outside level ${level} of '${layer.info.name}' (grid ${formatShape(grid)})`);
    }
    return this.cache.getOrLoad(layer.info.id, level, coord, () => layer.load(level, coord));
  }

  /** Voxels of `box` ([z, y, x], max exclusive) at `level`, C-order. */
  async readRegion(idOrName: string, level: number, box: Box): Promise<VoxelArray> {
    const layer = await this.openLayer(idOrName);
    const l = this.levelOf(layer, level);
    assertBoxInShape(box, l.shape, `level ${level} of '${layer.info.name}'`);
    const id = layer.info.id;
    return assembleRegion((lv, c) => this.cache.getOrLoad(id, lv, c, () => layer.load(lv, c)), layer.info.dtype, layer.levels, level, box, 16);
  }

  /**
   * A 2D section for the viewer: plane `index` across `axis` at `level`, optionally cut to
   * `roi` (in the slice's own row/column axes). Served from the chunk cache.
   */
  async readSlice(idOrName: string, level: number, axis: SliceAxis, index: number, roi?: SliceRoi): Promise<Slice> {
    const layer = await this.openLayer(idOrName);
    const shape = this.levelOf(layer, level).shape;
    const a = ({ z: 0, y: 1, x: 2 } as const)[axis];
    if (!Number.isInteger(index) || index < 0 || index >= shape[a]) {
      throw new AppError('BAD_REQUEST', `${axis}=${index} is outside level ${level} of '${layer.info.name}' (shape ${formatShape(shape)})`);
    }
    const others = [0, 1, 2].filter((i) => i !== a) as [number, number];
    const min: Vec3 = [0, 0, 0];
    const max: Vec3 = [...shape] as Vec3;
    min[a] = index;
    max[a] = index + 1;
    if (roi) {
      others.forEach((o, k) => {
        min[o] = roi.min[k];
        max[o] = roi.max[k];
      });
    }
    const data = await this.readRegion(layer.info.id, level, { min, max });
    const names: SliceAxis[] = ['z', 'y', 'x'];
    return { data, height: max[others[0]] - min[others[0]], width: max[others[1]] - min[others[1]], axes: [names[others[0]], names[others[1]]] };
  }

  private async editableStore(idOrName: string): Promise<{ layer: OpenLayer; store: VolumeStore }> {
    const layer = await this.openLayer(idOrName);
    if (!layer.store || !layer.info.editable) {
      throw new AppError('READ_ONLY', `layer '${layer.info.name}' is read in place from ${layer.info.uri}; import it into the project to edit it`);
    }
    return { layer, store: layer.store };
  }

  /** Serialises writes per layer so pyramid updates of neighbouring chunks never interleave. */
  private withWriteLock<T>(layerId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.writeLocks.get(layerId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.writeLocks.set(
      layerId,
      next.catch(() => undefined),
    );
    return next;
  }

  /**
   * Replaces chunks of `level` (each atomically, temporary file + rename), refreshes the cache,
   * and unless told otherwise recomputes the coarser levels' chunks that depend on them.
   * Returns how many pyramid chunks were rewritten.
   */
  async writeChunks(idOrName: string, level: number, chunks: ChunkWrite[], opts: { updatePyramid?: boolean } = {}): Promise<number> {
    const { layer, store } = await this.editableStore(idOrName);
    const id = layer.info.id;
    return this.withWriteLock(id, async () => {
      const n = voxelCount(store.level(level).chunkShape);
      for (const c of chunks) {
        if (c.data.length !== n) throw new AppError('BAD_REQUEST', `chunk ${c.coord.join(',')} must hold ${n} voxels (${formatShape(store.level(level).chunkShape)})`);
      }
      for (const c of chunks) {
        await store.writeChunk(level, c.coord, c.data);
        this.cache.put(id, level, c.coord, { data: c.data.slice(), shape: store.level(level).chunkShape });
      }
      if (opts.updatePyramid === false) return 0;
      return updatePyramid(
        store,
        level,
        chunks.map((c) => c.coord),
        (lv, box) => this.readRegion(id, lv, box),
        async (lv, coord, data) => {
          await store.writeChunk(lv, coord, data);
          this.cache.put(id, lv, coord, { data, shape: store.level(lv).chunkShape });
        },
      );
    });
  }

  writeChunk(idOrName: string, level: number, coord: Vec3, data: VoxelArray, opts: { updatePyramid?: boolean } = {}): Promise<number> {
    return this.writeChunks(idOrName, level, [{ coord, data }], opts);
  }

  /** The store of a layer, for chunk-level work beyond this API (chunk keys, encoded bytes). */
  async storeOf(idOrName: string): Promise<VolumeStore> {
    return (await this.editableStore(idOrName)).store;
  }

  /** Forgets cached chunks of a layer (after another thread or process wrote it). */
  invalidateLayer(idOrName: string): void {
    this.cache.invalidateLayer(this.getLayer(idOrName).id);
  }

  /** Imports in the calling thread (use the 'volumes.import' job for the UI). */
  importVolume(params: ImportParams, sink?: { signal?: AbortSignal; progress?: (f: number, m: string) => void }): Promise<ImportResult> {
    return importVolume(this.project, params, sink);
  }

  /** Registers a Zarr / N5 / precomputed source as a read-only external layer (no copy). */
  openInPlace(params: Omit<ImportParams, 'inPlace'>): Promise<ImportResult> {
    return importVolume(this.project, { ...params, inPlace: true });
  }

  async setLayerResolution(idOrName: string, resolution: Vec3): Promise<LayerInfo> {
    const updated = await setResolution(this.project, idOrName, resolution);
    this.open.delete(updated.id);
    return updated;
  }

  /** Removes a layer: its database row first (one transaction), then its store folder. */
  async deleteLayer(idOrName: string): Promise<void> {
    const info = this.getLayer(idOrName);
    const open = this.open.get(info.id);
    this.open.delete(info.id);
    await open?.then((l) => l.close()).catch(() => undefined);
    this.cache.invalidateLayer(info.id);
    await deleteLayer(this.project, info.id);
  }

  cacheStats(): CacheStats {
    return this.cache.stats();
  }

  async close(): Promise<void> {
    const layers = [...this.open.values()];
    this.open.clear();
    await Promise.all(layers.map((p) => p.then((l) => l.close()).catch(() => undefined)));
  }
}

/** Sets a layer's voxel size (database and, for store layers, the OME-Zarr metadata). */
export async function setResolution(project: Project, idOrName: string, resolution: Vec3): Promise<LayerInfo> {
  const updated = setLayerResolution(project, idOrName, resolution);
  if (updated.source === 'store') await VolumeStore.setResolution(project.path(updated.uri), updated.levels.map((l) => l.resolution));
  return updated;
}
