/**
 * Which voxels of a proofread layer are training data, block by block:
 *
 * - **labelled**: voxels of segments marked done, and every voxel of a painted box (dense
 *   labels: background inside a box is known background);
 * - **rim**: voxels 6-adjacent to a done segment. A done segment is complete and correct, so
 *   whatever lies next to it is *not* that segment: the boundary pairs (done voxel, rim voxel)
 *   are known to be cut, and the rim carries that signal into training.
 *
 * known = labelled or rim; the rest of the volume carries no training signal. Ids are the
 * segments the user sees (fragment layers have their mapping applied). Only chunks that hold a
 * done segment (from the proofreading index, `label_chunks`), their face neighbours (for the
 * rim) and chunks under a box are read.
 */
import { AppError } from '../errors';
import type { Project } from '../store/project';
import { boxSize, chunkBox, chunkGridShape, intersect, voxelCount, type Box, type Vec3 } from '../volumes/box';
import type { VoxelArray } from '../volumes/dtypes';
import { getLayer, type LayerInfo } from '../volumes/layers';
import type { VolumeService } from '../volumes/service';

/** Ids of a label read as plain numbers (exact below 2^53). */
export function labelNumbers(a: VoxelArray): Uint32Array | Float64Array {
  if (a instanceof Uint32Array) return a;
  if (a instanceof Uint8Array || a instanceof Uint16Array) return Uint32Array.from(a);
  if (a instanceof BigUint64Array || a instanceof BigInt64Array) return Float64Array.from(a, (v) => Number(v));
  if (a instanceof Float64Array) return a;
  return Float64Array.from(a as ArrayLike<number>);
}

export interface ScanBlock {
  /** Level-0 box of this block (one storage chunk). */
  box: Box;
  /** Segment ids (mapping applied) of the block's voxels, C order. */
  segments: Float64Array;
  /** 1 where the voxel is in a done segment or a box. */
  labelled: Uint8Array;
  /** 1 where labelled or on the rim of a done segment. */
  known: Uint8Array;
}

export interface ScanSource {
  layer: LayerInfo;
  readRegion(box: Box): Promise<VoxelArray>;
}

export function layerScanSource(project: Project, service: VolumeService, layerId: string): ScanSource {
  const layer = getLayer(project, layerId);
  return { layer, readRegion: (box) => service.readRegion(layer.id, 0, box) };
}

interface LabelSets {
  /** Stored labels (fragments on fragment layers) of done segments. */
  doneLabels: Set<number>;
  doneSegments: number[];
  /** Fragment -> segment where they differ (fragment layers). */
  mapping: Map<number, number>;
}

function labelSets(project: Project, layer: LayerInfo): LabelSets {
  const db = project.db;
  const doneSegments = db.prepare(`SELECT id FROM segments WHERE layer_id = ? AND status = 'done' ORDER BY id`).pluck().all(layer.id) as number[];
  const mapping = new Map<number, number>();
  const doneLabels = new Set<number>();
  if (layer.kind === 'fragments') {
    for (const [f, s] of db.prepare('SELECT id, segment_id FROM fragments WHERE layer_id = ? AND id != segment_id').raw().iterate(layer.id) as Iterable<[number, number]>) mapping.set(f, s);
    const done = new Set(doneSegments);
    const mapped = new Set<number>();
    for (const [f, s] of db.prepare('SELECT id, segment_id FROM fragments WHERE layer_id = ?').raw().iterate(layer.id) as Iterable<[number, number]>) {
      mapped.add(f);
      if (done.has(s)) doneLabels.add(f);
    }
    // Unmapped fragments map to themselves.
    for (const s of doneSegments) if (!mapped.has(s)) doneLabels.add(s);
  } else {
    for (const s of doneSegments) doneLabels.add(s);
  }
  return { doneLabels, doneSegments, mapping };
}

/** Level-0 chunk indices holding any of `labels`, from the proofreading index. */
function chunksOfLabels(project: Project, layerId: string, labels: Set<number>): number[] {
  if (labels.size === 0) return [];
  const rows = project.db
    .prepare('SELECT DISTINCT chunk FROM label_chunks WHERE layer_id = ? AND label IN (SELECT value FROM json_each(?))')
    .pluck()
    .all(layerId, JSON.stringify([...labels])) as number[];
  return rows;
}

export class LabelScan {
  readonly shape: Vec3;
  readonly chunkShape: Vec3;
  private readonly grid: Vec3;

  private constructor(
    readonly source: ScanSource,
    private readonly sets: LabelSets,
    readonly boxes: Box[],
    private readonly chunks: number[],
  ) {
    this.shape = source.layer.shape;
    this.chunkShape = source.layer.levels[0].chunkShape;
    this.grid = chunkGridShape(this.shape, this.chunkShape);
  }

  /** Needs an indexed layer (the proofreading index tells where done segments are). */
  static open(project: Project, source: ScanSource, boxes: Box[]): LabelScan {
    const layer = source.layer;
    if (layer.kind !== 'labels' && layer.kind !== 'fragments') throw new AppError('BAD_REQUEST', `layer '${layer.name}' is an ${layer.kind} layer, not a label layer`);
    const sets = labelSets(project, layer);
    const indexed = project.db.prepare('SELECT indexed_at FROM label_layers WHERE layer_id = ?').pluck().get(layer.id) as string | null | undefined;
    if (sets.doneSegments.length > 0 && !indexed) {
      throw new AppError('CONFLICT', `layer '${layer.name}' is not indexed yet; open its segment list (proofreading.prepare) first`);
    }
    const chunkShape = layer.levels[0].chunkShape;
    const grid = chunkGridShape(layer.shape, chunkShape);
    const set = new Set<number>();
    const index = (c: Vec3) => (c[0] * grid[1] + c[1]) * grid[2] + c[2];
    for (const i of chunksOfLabels(project, layer.id, sets.doneLabels)) {
      const c: Vec3 = [Math.floor(i / (grid[1] * grid[2])), Math.floor(i / grid[2]) % grid[1], i % grid[2]];
      set.add(i);
      // Face neighbours hold the rim of segments that touch the chunk's faces.
      for (let a = 0; a < 3; a++)
        for (const d of [-1, 1]) {
          const n: Vec3 = [...c];
          n[a] += d;
          if (n[a] >= 0 && n[a] < grid[a]) set.add(index(n));
        }
    }
    for (const b of boxes)
      for (let z = Math.floor(b.min[0] / chunkShape[0]); z * chunkShape[0] < b.max[0]; z++)
        for (let y = Math.floor(b.min[1] / chunkShape[1]); y * chunkShape[1] < b.max[1]; y++)
          for (let x = Math.floor(b.min[2] / chunkShape[2]); x * chunkShape[2] < b.max[2]; x++) set.add(index([z, y, x]));
    return new LabelScan(source, sets, boxes, [...set].sort((a, b) => a - b));
  }

  get doneSegments(): readonly number[] {
    return this.sets.doneSegments;
  }

  get blockCount(): number {
    return this.chunks.length;
  }

  private segmentOf(label: number): number {
    return this.sets.mapping.get(label) ?? label;
  }

  /** Visits every block that may hold known voxels, in chunk order. */
  async forEachBlock(fn: (b: ScanBlock) => void | Promise<void>, signal?: AbortSignal): Promise<void> {
    for (const i of this.chunks) {
      if (signal?.aborted) throw new AppError('CANCELLED', 'cancelled');
      const coord: Vec3 = [Math.floor(i / (this.grid[1] * this.grid[2])), Math.floor(i / this.grid[2]) % this.grid[1], i % this.grid[2]];
      await fn(await this.block(chunkBox(coord, this.chunkShape, this.shape)));
    }
  }

  /** The block of `box`: read with a one-voxel margin so the rim crosses block borders. */
  async block(box: Box): Promise<ScanBlock> {
    const padded: Box = {
      min: box.min.map((v) => Math.max(0, v - 1)) as Vec3,
      max: box.max.map((v, a) => Math.min(this.shape[a], v + 1)) as Vec3,
    };
    const raw = labelNumbers(await this.source.readRegion(padded));
    const ps = boxSize(padded);
    const inDone = new Uint8Array(raw.length);
    const done = this.sets.doneLabels;
    if (done.size > 0) {
      let last = -1;
      let lastIn = 0;
      for (let i = 0; i < raw.length; i++) {
        const v = raw[i];
        if (v !== last) {
          last = v;
          lastIn = v !== 0 && done.has(v) ? 1 : 0;
        }
        inDone[i] = lastIn;
      }
    }
    const size = boxSize(box);
    const n = voxelCount(size);
    const segments = new Float64Array(n);
    const labelled = new Uint8Array(n);
    const known = new Uint8Array(n);
    const inBoxes = this.boxes.map((b) => intersect(b, box)).filter((b): b is Box => b !== null);
    const off = box.min.map((v, a) => v - padded.min[a]);
    const sy = ps[2];
    const sz = ps[1] * ps[2];
    let o = 0;
    let lastLabel = -1;
    let lastSeg = 0;
    for (let z = 0; z < size[0]; z++)
      for (let y = 0; y < size[1]; y++) {
        const gz = box.min[0] + z;
        const gy = box.min[1] + y;
        for (let x = 0; x < size[2]; x++, o++) {
          const p = ((z + off[0]) * ps[1] + (y + off[1])) * ps[2] + (x + off[2]);
          const label = raw[p];
          if (label !== lastLabel) {
            lastLabel = label;
            lastSeg = this.segmentOf(label);
          }
          segments[o] = lastSeg;
          const gx = box.min[2] + x;
          let l = inDone[p];
          if (!l) for (const b of inBoxes) if (gz >= b.min[0] && gz < b.max[0] && gy >= b.min[1] && gy < b.max[1] && gx >= b.min[2] && gx < b.max[2]) l = 1;
          labelled[o] = l;
          if (l) {
            known[o] = 1;
            continue;
          }
          const pz = z + off[0];
          const py = y + off[1];
          const px = x + off[2];
          known[o] =
            (pz > 0 && inDone[p - sz]) || (pz < ps[0] - 1 && inDone[p + sz]) || (py > 0 && inDone[p - sy]) || (py < ps[1] - 1 && inDone[p + sy]) || (px > 0 && inDone[p - 1]) || (px < ps[2] - 1 && inDone[p + 1])
              ? 1
              : 0;
        }
      }
    return { box, segments, labelled, known };
  }
}
