import { chunkBox, type Box, type Vec3 } from '../volumes/box';
import { mapLimit } from '../volumes/concurrency';
import type { VoxelArray } from '../volumes/dtypes';
import { encodeDelta, voxelHash } from './chunk-delta';
import { ChunkSource, type ChunkRead, type EncodedChunk } from './chunk-source';
import { copyLabelData, storedFromLabelData, viewLabelData, type LabelData } from './label-data';
import { chunkIndex, type LabelLayer } from './label-layer';

/** A level-0 chunk an operation is changing: a private copy of its voxels. */
export interface WorkingChunk {
  coord: Vec3;
  /** Global voxel box the chunk covers (clipped to the volume). */
  box: Box;
  original: ChunkRead;
  data: LabelData;
}

/** One rewritten chunk of an edit: hashes of both states, their XOR delta, and the file to write. */
export interface ChunkChange {
  coord: Vec3;
  beforeHash: Buffer;
  afterHash: Buffer;
  delta: Buffer;
  after: EncodedChunk;
  afterData: VoxelArray;
  /** Global level-0 box of the voxels that changed. */
  box: Box;
}

/** label -> (chunk index -> voxel delta); label 0 (background) is not counted. */
export type LabelDeltas = Map<number, Map<number, number>>;

export interface VoxelChanges {
  chunks: ChunkChange[];
  labelDeltas: LabelDeltas;
  changedVoxels: number;
}

export function addDelta(deltas: LabelDeltas, label: number, chunk: number, d: number): void {
  if (label === 0 || d === 0) return;
  let m = deltas.get(label);
  if (!m) deltas.set(label, (m = new Map()));
  m.set(chunk, (m.get(chunk) ?? 0) + d);
}

/** Voxel total of a label's deltas over all chunks. */
export function totalDelta(m: Map<number, number> | undefined): number {
  let t = 0;
  if (m) for (const v of m.values()) t += v;
  return t;
}

/**
 * The level-0 chunks one operation changes. Operations load the chunks they touch, change the
 * private copies, then `finish` diffs each against the file it came from: the changed voxels'
 * box and per-label count deltas, and the new chunk files, encoded like the store does.
 */
export class EditSession {
  private readonly chunks = new Map<string, WorkingChunk>();

  constructor(readonly source: ChunkSource) {}

  get layer(): LabelLayer {
    return this.source.layer;
  }

  async load(coords: Vec3[]): Promise<void> {
    await mapLimit(coords, 8, (c) => this.chunk(c));
  }

  async chunk(coord: Vec3): Promise<WorkingChunk> {
    const key = coord.join(',');
    const have = this.chunks.get(key);
    if (have) return have;
    const original = await this.source.read(0, coord);
    const again = this.chunks.get(key);
    if (again) return again;
    const w: WorkingChunk = { coord, box: chunkBox(coord, this.layer.chunkShape, this.layer.shape), original, data: copyLabelData(original.data) };
    this.chunks.set(key, w);
    return w;
  }

  /** A loaded chunk, for synchronous loops after `load`. */
  loaded(coord: Vec3): WorkingChunk {
    const w = this.chunks.get(coord.join(','));
    if (!w) throw new Error(`chunk ${coord.join(',')} was not loaded`);
    return w;
  }

  /** The loaded chunk holding global voxel (z, y, x) and the voxel's index in it. */
  locate(z: number, y: number, x: number): { chunk: WorkingChunk; index: number } {
    const cs = this.layer.chunkShape;
    const cz = Math.floor(z / cs[0]);
    const cy = Math.floor(y / cs[1]);
    const cx = Math.floor(x / cs[2]);
    const chunk = this.loaded([cz, cy, cx]);
    return { chunk, index: ((z - cz * cs[0]) * cs[1] + (y - cy * cs[1])) * cs[2] + (x - cx * cs[2]) };
  }

  workingChunks(): WorkingChunk[] {
    return [...this.chunks.values()];
  }

  /** Per chunk: the box of changed voxels, and the label count deltas of all chunks. */
  diff(): { changed: { w: WorkingChunk; box: Box }[]; labelDeltas: LabelDeltas; changedVoxels: number } {
    const layer = this.layer;
    const cs = layer.chunkShape;
    const labelDeltas: LabelDeltas = new Map();
    let changedVoxels = 0;
    const changed: { w: WorkingChunk; box: Box }[] = [];
    for (const w of this.chunks.values()) {
      const orig = viewLabelData(w.original.data);
      const data = w.data;
      const changedAt = changedIndices(orig, data);
      if (changedAt.length === 0) continue;
      const ci = chunkIndex(layer, w.coord);
      const lo = w.box.min;
      const min: Vec3 = [Infinity, Infinity, Infinity];
      const max: Vec3 = [-Infinity, -Infinity, -Infinity];
      const local = new Map<number, number>();
      const plane = cs[1] * cs[2];
      for (let k = 0; k < changedAt.length; k++) {
        const i = changedAt[k];
        const a = orig[i];
        const b = data[i];
        if (a !== 0) local.set(a, (local.get(a) ?? 0) - 1);
        if (b !== 0) local.set(b, (local.get(b) ?? 0) + 1);
        const z = lo[0] + Math.floor(i / plane);
        const y = lo[1] + (Math.floor(i / cs[2]) % cs[1]);
        const x = lo[2] + (i % cs[2]);
        if (z < min[0]) min[0] = z;
        if (z > max[0]) max[0] = z;
        if (y < min[1]) min[1] = y;
        if (y > max[1]) max[1] = y;
        if (x < min[2]) min[2] = x;
        if (x > max[2]) max[2] = x;
      }
      changedVoxels += changedAt.length;
      for (const [label, d] of local) addDelta(labelDeltas, label, ci, d);
      changed.push({ w, box: { min, max: [max[0] + 1, max[1] + 1, max[2] + 1] } });
    }
    return { changed, labelDeltas, changedVoxels };
  }

  async finish(): Promise<VoxelChanges> {
    const layer = this.layer;
    const { changed, labelDeltas, changedVoxels } = this.diff();
    const chunks = await mapLimit(changed, 4, async ({ w, box }): Promise<ChunkChange> => {
      const afterData = storedFromLabelData(w.data, layer.store.dtype);
      const [after, delta] = await Promise.all([ChunkSource.encode(afterData), encodeDelta(w.original.data, afterData)]);
      return { coord: w.coord, beforeHash: voxelHash(w.original.data), afterHash: voxelHash(afterData), delta, after, afterData, box };
    });
    return { chunks, labelDeltas, changedVoxels };
  }

  /** The voxels that would change, as a mask over their bounding box (for previews). */
  changedMask(): { box: Box | null; mask: Uint8Array; voxels: number } {
    const { changed, changedVoxels } = this.diff();
    if (changed.length === 0) return { box: null, mask: new Uint8Array(0), voxels: 0 };
    const min: Vec3 = [Infinity, Infinity, Infinity];
    const max: Vec3 = [-Infinity, -Infinity, -Infinity];
    for (const { box } of changed) {
      for (let a = 0; a < 3; a++) {
        min[a] = Math.min(min[a], box.min[a]);
        max[a] = Math.max(max[a], box.max[a]);
      }
    }
    const size = [max[0] - min[0], max[1] - min[1], max[2] - min[2]];
    const mask = new Uint8Array(size[0] * size[1] * size[2]);
    const cs = this.layer.chunkShape;
    for (const { w, box } of changed) {
      const orig = viewLabelData(w.original.data);
      const lo = w.box.min;
      for (let z = box.min[0]; z < box.max[0]; z++) {
        for (let y = box.min[1]; y < box.max[1]; y++) {
          let i = ((z - lo[0]) * cs[1] + (y - lo[1])) * cs[2] + (box.min[2] - lo[2]);
          let o = ((z - min[0]) * size[1] + (y - min[1])) * size[2] + (box.min[2] - min[2]);
          for (let x = box.min[2]; x < box.max[2]; x++, i++, o++) if (orig[i] !== w.data[i]) mask[o] = 1;
        }
      }
    }
    return { box: { min, max }, mask, voxels: changedVoxels };
  }
}

/**
 * Indices where two chunks differ. One tight loop per array type (monomorphic, so V8 keeps it
 * fast); voxels past the volume's edge never change, so the whole chunk can be scanned.
 */
export function changedIndices(a: LabelData, b: LabelData): Int32Array {
  return a instanceof Uint32Array && b instanceof Uint32Array ? changedU32(a, b) : changedF64(a as Float64Array, b as Float64Array);
}

function changedU32(a: Uint32Array, b: Uint32Array): Int32Array {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  const out = new Int32Array(n);
  if (n === 0) return out;
  let k = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out[k++] = i;
  return out;
}

function changedF64(a: Float64Array, b: Float64Array): Int32Array {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  const out = new Int32Array(n);
  let k = 0;
  if (n > 0) for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out[k++] = i;
  return out;
}
