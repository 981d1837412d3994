/**
 * Quality of a proofread layer against a reference, kept current as edits happen.
 *
 * The tracker holds one contingency table per storage chunk of the layer (reference label x
 * *stored* label, i.e. fragment ids on fragment layers) and their sum. An edit that rewrites
 * voxels re-counts only the chunks it touched (subtract old, add new); a merge or split that
 * changes only the mapping re-counts nothing: the metrics apply the fragment -> segment mapping
 * to the summed table (one pass over its non-zero entries). The result equals a full
 * recomputation exactly (tested).
 */
import type { QualityMetrics } from '../../../shared/api/studio-ml';
import { boxSize, chunkBox, chunkGridShape, intersect, voxelCount, type Box, type Vec3 } from '../../volumes/box';
import type { VoxelArray } from '../../volumes/dtypes';
import { labelNumbers } from '../label-scan';
import { Contingency } from './contingency';

export interface TrackedVolumes {
  /** Level-0 shape and storage chunk shape of the tracked (proofread) layer. */
  shape: Vec3;
  chunkShape: Vec3;
  /** A whole level-0 storage chunk of the tracked layer (full chunk shape; past the edge is padding). */
  readChunk(coord: Vec3): Promise<VoxelArray>;
  /** Reference voxels of a box. */
  readReference(box: Box): Promise<VoxelArray>;
}

/** Voxels of `part` (inside the chunk at `origin`) out of a full chunk's data. */
export function cutChunk(data: ArrayLike<number>, chunkShape: Vec3, origin: Vec3, part: Box): Float64Array {
  const size = boxSize(part);
  const out = new Float64Array(voxelCount(size));
  let o = 0;
  for (let z = 0; z < size[0]; z++)
    for (let y = 0; y < size[1]; y++) {
      let i = ((part.min[0] - origin[0] + z) * chunkShape[1] + (part.min[1] - origin[1] + y)) * chunkShape[2] + (part.min[2] - origin[2]);
      for (let x = 0; x < size[2]; x++) out[o++] = data[i++];
    }
  return out;
}

export class QualityTracker {
  private readonly chunks = new Map<number, Contingency>();
  private readonly sum = new Contingency();
  /** Stored label -> segment where they differ. */
  private readonly mapping = new Map<number, number>();
  private readonly grid: Vec3;

  constructor(
    readonly volumes: TrackedVolumes,
    readonly region: Box,
    mapping: Iterable<[number, number]> = [],
  ) {
    this.grid = chunkGridShape(volumes.shape, volumes.chunkShape);
    for (const [f, s] of mapping) if (f !== s) this.mapping.set(f, s);
  }

  /** Chunk coordinates covering the region. */
  regionChunks(): Vec3[] {
    const cs = this.volumes.chunkShape;
    const out: Vec3[] = [];
    for (let z = Math.floor(this.region.min[0] / cs[0]); z * cs[0] < this.region.max[0]; z++)
      for (let y = Math.floor(this.region.min[1] / cs[1]); y * cs[1] < this.region.max[1]; y++)
        for (let x = Math.floor(this.region.min[2] / cs[2]); x * cs[2] < this.region.max[2]; x++) out.push([z, y, x]);
    return out;
  }

  private index(c: Vec3): number {
    return (c[0] * this.grid[1] + c[1]) * this.grid[2] + c[2];
  }

  /** Counts of one chunk from its tracked-layer data (full chunk) against the reference. */
  async countChunk(coord: Vec3, data: VoxelArray): Promise<Contingency> {
    const cs = this.volumes.chunkShape;
    const cbox = chunkBox(coord, cs, this.volumes.shape);
    const part = intersect(cbox, this.region);
    if (!part) return new Contingency();
    const seg = cutChunk(labelNumbers(data), cs, cbox.min, part);
    const ref = labelNumbers(await this.volumes.readReference(part));
    return Contingency.count(ref, seg);
  }

  /** Replaces a chunk's counts. */
  setChunk(coord: Vec3, counts: Contingency): void {
    const i = this.index(coord);
    const old = this.chunks.get(i);
    if (old) this.sum.addTable(old, -1);
    this.chunks.set(i, counts);
    this.sum.addTable(counts, 1);
  }

  async init(): Promise<void> {
    for (const c of this.regionChunks()) this.setChunk(c, await this.countChunk(c, await this.volumes.readChunk(c)));
  }

  /** Re-counts chunks an edit rewrote (those outside the region are ignored). Returns how many. */
  async updateChunks(coords: Vec3[]): Promise<number> {
    let n = 0;
    for (const c of coords) {
      if (!intersect(chunkBox(c, this.volumes.chunkShape, this.volumes.shape), this.region)) continue;
      this.setChunk(c, await this.countChunk(c, await this.volumes.readChunk(c)));
      n++;
    }
    return n;
  }

  /** Mapping entries that changed (segment 0: the fragment is gone). */
  updateMapping(changes: Iterable<[number, number]>): void {
    for (const [f, s] of changes) {
      if (s === 0 || s === f) this.mapping.delete(f);
      else this.mapping.set(f, s);
    }
  }

  segmentOf(label: number): number {
    return this.mapping.get(label) ?? label;
  }

  metrics(): QualityMetrics | null {
    return this.sum.mapped((l) => this.mapping.get(l) ?? l).metrics();
  }

  /** An independent copy (for replaying the history backwards). */
  clone(): QualityTracker {
    const t = new QualityTracker(this.volumes, this.region, this.mapping);
    for (const [i, c] of this.chunks) t.chunks.set(i, c);
    t.sum.addTable(this.sum);
    return t;
  }
}
