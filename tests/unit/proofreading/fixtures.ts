import type { EventData, EventName } from '../../../src/shared/api/contract';
import { nativeAddon, nativeStatus } from '../../../src/main/native/addon';
import { setInitialMapping } from '../../../src/main/proofreading/index-layer';
import { ProofreadingService } from '../../../src/main/proofreading/service';
import { Project } from '../../../src/main/store/project';
import { boxOfShape, voxelCount, type Vec3 } from '../../../src/main/volumes/box';
import { createLayerFromArray } from '../../../src/main/volumes/create-layer';
import type { LayerInfo } from '../../../src/main/volumes/layers';
import { allChunks, computePyramidChunk } from '../../../src/main/volumes/store/pyramid';
import { VolumeStore } from '../../../src/main/volumes/store/volume-store';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SHAPE: Vec3 = [20, 48, 48];
export const CHUNK: Vec3 = [8, 16, 16];

export function idx(shape: Vec3, z: number, y: number, x: number): number {
  return (z * shape[1] + y) * shape[2] + x;
}

/**
 * A label volume whose segments cross chunk borders: 1 a box, 2 a ball, 3 a slab, 4 two blobs
 * joined by a thin neck (for splits), 0 background elsewhere.
 */
export function sampleLabels(shape: Vec3 = SHAPE): Uint32Array {
  const d = new Uint32Array(voxelCount(shape));
  for (let z = 0; z < shape[0]; z++)
    for (let y = 0; y < shape[1]; y++)
      for (let x = 0; x < shape[2]; x++) {
        let v = 0;
        if (z >= 2 && z < 10 && y >= 4 && y < 20 && x >= 4 && x < 20) v = 1;
        else if ((z - 10) ** 2 + (y - 32) ** 2 + (x - 32) ** 2 < 64) v = 2;
        else if (z >= 15 && z < 18) v = 3;
        else if (z >= 3 && z < 11 && y >= 28 && y < 44 && x >= 2 && x < 20) {
          // two 8-wide blobs along x joined by a 2x2 neck in the middle
          const blob = x < 9 || x >= 13;
          const neck = y >= 35 && y < 37 && z >= 6 && z < 8;
          if (blob || neck) v = 4;
        }
        d[idx(shape, z, y, x)] = v;
      }
  return d;
}

export interface Fixture {
  dir: string;
  project: Project;
  layer: LayerInfo;
  service: ProofreadingService;
  events: { event: EventName; data: unknown }[];
  initial: Uint32Array;
  reopen(): Promise<void>;
}

export async function labelFixture(
  opts: {
    data?: Uint32Array;
    shape?: Vec3;
    chunkShape?: Vec3;
    kind?: 'labels' | 'fragments';
    resolution?: Vec3;
    name?: string;
    /** Fragment layers: initial fragment -> segment mapping (identity when absent). */
    mapping?: (fragment: number) => number;
  } = {},
): Promise<Fixture> {
  const shape = opts.shape ?? SHAPE;
  const data = opts.data ?? sampleLabels(shape);
  const dir = mkdtempSync(join(tmpdir(), 'tu-proof-'));
  const project = Project.create(dir, 'proofreading test');
  const layer = await createLayerFromArray(project, {
    name: opts.name ?? 'seg',
    kind: opts.kind ?? 'labels',
    dtype: 'uint32',
    shape,
    resolution: opts.resolution ?? [4, 4, 4],
    chunkShape: opts.chunkShape ?? CHUNK,
    data,
  });
  const events: Fixture['events'] = [];
  const emit = <E extends EventName>(event: E, d: EventData<E>) => void events.push({ event, data: d });
  const fx: Fixture = {
    dir,
    project,
    layer,
    service: await ProofreadingService.open(project, emit),
    events,
    initial: data.slice(),
    async reopen() {
      await fx.service.close();
      fx.project.close();
      fx.project = Project.open(dir);
      fx.service = await ProofreadingService.open(fx.project, emit);
    },
  };
  if (opts.mapping) {
    const fragments = [...new Set(data)].filter((f) => f !== 0);
    setInitialMapping(project, layer.id, fragments, fragments.map(opts.mapping));
  }
  await fx.service.indexNow(layer.id);
  return fx;
}

export async function closeFixture(fx: Fixture | undefined): Promise<void> {
  if (!fx) return;
  await fx.service.close();
  fx.project.close();
  rmSync(fx.dir, { recursive: true, force: true });
}

/** Level-0 voxels of a layer read straight from its store (not through the proofreading code). */
export async function readVoxels(project: Project, layer: LayerInfo, level = 0): Promise<Uint32Array> {
  const store = await VolumeStore.open(project.path(layer.uri));
  return (await store.readRegion(boxOfShape(store.level(level).shape), level)) as Uint32Array;
}

export function countsOf(data: ArrayLike<number>): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) m.set(data[i], (m.get(data[i]) ?? 0) + 1);
  return m;
}

/** Segment voxel counts from the database (non-zero only). */
export function dbCounts(project: Project, layerId: string): Map<number, number> {
  const rows = project.db.prepare('SELECT id, voxel_count FROM segments WHERE layer_id = ? AND voxel_count > 0').all(layerId) as { id: number; voxel_count: number }[];
  return new Map(rows.map((r) => [r.id, r.voxel_count]));
}

/** Voxels per label from the per-chunk index. */
export function indexCounts(project: Project, layerId: string): Map<number, number> {
  const rows = project.db.prepare('SELECT label, sum(voxels) AS n FROM label_chunks WHERE layer_id = ? GROUP BY label').all(layerId) as { label: number; n: number }[];
  return new Map(rows.map((r) => [r.label, r.n]));
}

/** Every pyramid chunk equals a full recomputation from the level below (the store's own builder). */
export async function pyramidMismatches(project: Project, layer: LayerInfo): Promise<string[]> {
  const store = await VolumeStore.open(project.path(layer.uri));
  const bad: string[] = [];
  for (let level = 1; level < store.levels.length; level++) {
    for (const coord of allChunks(store, level)) {
      const want = await computePyramidChunk(store, level, coord, (lv, box) => store.readRegion(box, lv));
      const have = (await store.readChunk(level, coord)).data;
      for (let i = 0; i < want.length; i++) {
        if (want[i] !== have[i]) {
          bad.push(`level ${level} chunk ${coord.join(',')}`);
          break;
        }
      }
    }
  }
  return bad;
}

export function nativeSegmentationAvailable(): boolean {
  const addon = nativeAddon<Record<string, unknown>>();
  const ok = !!addon && typeof addon.segSeededSplit === 'function' && typeof addon.segDistanceTransform === 'function';
  if (!ok) console.warn(`SKIPPED proofreading split/interpolate tests: ${addon ? 'addon built without segmentation kernels' : nativeStatus().reason}`);
  return ok;
}

export function diffCount(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

/** Fragment ids for the sample: each segment cut into 6-voxel-wide slabs along x (id = segment * 100 + slab). */
export function sampleFragments(shape: Vec3 = SHAPE): Uint32Array {
  const labels = sampleLabels(shape);
  const out = new Uint32Array(labels.length);
  for (let i = 0; i < labels.length; i++) if (labels[i]) out[i] = labels[i] * 100 + Math.floor((i % shape[2]) / 6);
  return out;
}

/** The database's fragment -> segment mapping. */
export function dbMapping(project: Project, layerId: string): Map<number, number> {
  const rows = project.db.prepare('SELECT id, segment_id FROM fragments WHERE layer_id = ?').all(layerId) as { id: number; segment_id: number }[];
  return new Map(rows.map((r) => [r.id, r.segment_id]));
}

/** Segment voxel counts implied by fragment voxels and a mapping. */
export function segmentCountsVia(fragments: Uint32Array, mapping: Map<number, number>): Map<number, number> {
  const out = new Map<number, number>();
  for (const [f, n] of countsOf(fragments)) {
    const s = mapping.get(f);
    if (s === undefined) throw new Error(`fragment ${f} has no mapping`);
    out.set(s, (out.get(s) ?? 0) + n);
  }
  return out;
}
