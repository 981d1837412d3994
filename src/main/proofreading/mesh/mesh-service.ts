import type { SegmentMesh } from '../../../shared/api/proofreading';
import { AppError } from '../../errors';
import type { Database } from '../../store/database';
import { boxSize, chunkBox, copyRegion, intersect, voxelCount, type Box, type Vec3 } from '../../volumes/box';
import { mapLimit } from '../../volumes/concurrency';
import { copyLabelData, newLabelData } from '../label-data';
import { chunkCoord, type LabelLayer } from '../label-layer';
import { chunksOfSegment, fragmentsOf, type LayerHandle } from '../ops/context';
import type { WrittenChunk } from '../pyramid-update';
import { MeshPool } from './mesh-pool';
import { concatPieces, type MeshPiece } from './surface-nets';

/** Default mesh level: the finest whose whole volume has at most this many voxels. */
const DEFAULT_LEVEL_VOXELS = 1 << 26;
const CACHE_BYTES = 256 * 1024 * 1024;

interface Entry {
  layerId: string;
  level: number;
  segmentId: number;
  pieces: Map<string, { coord: Vec3; piece: MeshPiece }>;
  bytes: number;
}

const pieceBytes = (p: MeshPiece) => p.positions.byteLength + p.normals.byteLength + p.indices.byteLength;
const key = (c: readonly number[]) => `${c[0]},${c[1]},${c[2]}`;

export function defaultMeshLevel(layer: LabelLayer): number {
  const levels = layer.store.levels;
  for (let l = 0; l < levels.length; l++) if (voxelCount(levels[l].shape) <= DEFAULT_LEVEL_VOXELS) return l;
  return levels.length - 1;
}

/**
 * Segment meshes built per chunk of a resolution level and cached per (segment, level, chunk).
 * An edit drops only the pieces of the chunks it rewrote (and their neighbours, whose 1-voxel
 * border reads them); the next request rebuilds just those, in worker threads.
 */
export class MeshService {
  private readonly entries = new Map<string, Entry>();
  private readonly pool = new MeshPool();
  private totalBytes = 0;

  constructor(private readonly db: Database) {}

  close(): void {
    this.pool.close();
    this.entries.clear();
    this.totalBytes = 0;
  }

  private entryKey(layerId: string, level: number, segmentId: number): string {
    return `${layerId}/${level}/${segmentId}`;
  }

  /** Level-L chunks covering the level-0 chunks `c0` (inclusive ranges per chunk). */
  private levelChunks(layer: LabelLayer, level: number, level0: Vec3[]): Map<string, Vec3> {
    const l = layer.store.level(level);
    const out = new Map<string, Vec3>();
    for (const c of level0) {
      const b = chunkBox(c, layer.chunkShape, layer.shape);
      const lo = [0, 1, 2].map((a) => Math.floor(Math.floor(b.min[a] / l.factors[a]) / l.chunkShape[a]));
      const hi = [0, 1, 2].map((a) => Math.floor(Math.floor((b.max[a] - 1) / l.factors[a]) / l.chunkShape[a]));
      for (let z = lo[0]; z <= hi[0]; z++) for (let y = lo[1]; y <= hi[1]; y++) for (let x = lo[2]; x <= hi[2]; x++) out.set(key([z, y, x]), [z, y, x]);
    }
    return out;
  }

  async meshes(h: LayerHandle, segmentIds: number[], level?: number): Promise<SegmentMesh[]> {
    const layer = h.layer;
    const L = level ?? defaultMeshLevel(layer);
    if (L >= layer.store.levels.length) throw new AppError('BAD_REQUEST', `layer '${layer.info.name}' has no level ${L} (levels 0-${layer.store.levels.length - 1})`);
    const out: SegmentMesh[] = [];
    for (const id of segmentIds) out.push(await this.segmentMesh(h, id, L));
    this.evict();
    return out;
  }

  private async segmentMesh(h: LayerHandle, segmentId: number, L: number): Promise<SegmentMesh> {
    const layer = h.layer;
    const k = this.entryKey(layer.info.id, L, segmentId);
    let entry = this.entries.get(k);
    if (!entry) {
      entry = { layerId: layer.info.id, level: L, segmentId, pieces: new Map(), bytes: 0 };
      this.entries.set(k, entry);
    } else {
      // Refresh its place in the eviction order.
      this.entries.delete(k);
      this.entries.set(k, entry);
    }
    const level0 = chunksOfSegment({ db: this.db, h }, segmentId).map((c) => chunkCoord(layer, c));
    const needed = this.levelChunks(layer, L, level0);
    for (const [ck, p] of entry.pieces) {
      if (!needed.has(ck)) {
        entry.bytes -= pieceBytes(p.piece);
        this.totalBytes -= pieceBytes(p.piece);
        entry.pieces.delete(ck);
      }
    }
    const missing = [...needed.values()].filter((c) => !entry!.pieces.has(key(c)));
    if (missing.length > 0) {
      const ids = Float64Array.from(layer.isFragments ? fragmentsOf(this.db, layer.info.id, segmentId) : [segmentId]);
      const pieces = await mapLimit(missing, 4, (c) => this.buildPiece(h, L, c, ids));
      missing.forEach((c, i) => {
        entry!.pieces.set(key(c), { coord: c, piece: pieces[i] });
        entry!.bytes += pieceBytes(pieces[i]);
        this.totalBytes += pieceBytes(pieces[i]);
      });
    }
    const ordered = [...entry.pieces.values()].sort((a, b) => a.coord[0] - b.coord[0] || a.coord[1] - b.coord[1] || a.coord[2] - b.coord[2]);
    const mesh = concatPieces(ordered.map((p) => p.piece));
    return { segmentId, level: L, ...mesh, chunks: needed.size, rebuiltChunks: missing.length };
  }

  private async buildPiece(h: LayerHandle, L: number, coord: Vec3, ids: Float64Array): Promise<MeshPiece> {
    const l = h.layer.store.level(L);
    const own = chunkBox(coord, l.chunkShape, l.shape);
    const padded: Box = { min: own.min.map((v) => v - 1) as Vec3, max: own.max.map((v) => v + 1) as Vec3 };
    const dims = boxSize(padded);
    const inside = intersect(padded, { min: [0, 0, 0], max: l.shape })!;
    const read = copyLabelData(await h.source.readRegion(L, inside));
    const labels = newLabelData(h.layer.store.dtype, voxelCount(dims));
    copyRegion(read, boxSize(inside), inside.min, labels, dims, padded.min, inside);
    return this.pool.run({ labels, ids, dims, origin: padded.min, own, voxelSize: [...l.resolution] as Vec3 });
  }

  private dropPieces(entry: Entry, near: Vec3[]): void {
    for (const [ck, p] of entry.pieces) {
      if (near.some((c) => Math.abs(c[0] - p.coord[0]) <= 1 && Math.abs(c[1] - p.coord[1]) <= 1 && Math.abs(c[2] - p.coord[2]) <= 1)) {
        entry.bytes -= pieceBytes(p.piece);
        this.totalBytes -= pieceBytes(p.piece);
        entry.pieces.delete(ck);
      }
    }
  }

  /** Chunks rewritten at some levels: pieces of those chunks and their neighbours are stale. */
  invalidateChunks(layerId: string, written: readonly WrittenChunk[]): void {
    if (written.length === 0) return;
    for (const e of this.entries.values()) {
      if (e.layerId !== layerId) continue;
      const near = written.filter((w) => w.level === e.level).map((w) => w.coord);
      if (near.length > 0) this.dropPieces(e, near);
    }
  }

  /** Segments whose fragments changed: their pieces near those level-0 chunks (all pieces when none given). */
  invalidateSegments(layer: LabelLayer, segments: readonly number[], level0Chunks?: Vec3[]): void {
    const wanted = new Set(segments);
    for (const [k, e] of this.entries) {
      if (e.layerId !== layer.info.id || !wanted.has(e.segmentId)) continue;
      if (!level0Chunks) {
        this.totalBytes -= e.bytes;
        this.entries.delete(k);
      } else this.dropPieces(e, [...this.levelChunks(layer, e.level, level0Chunks).values()]);
    }
  }

  invalidateLayer(layerId: string): void {
    for (const [k, e] of this.entries) {
      if (e.layerId !== layerId) continue;
      this.totalBytes -= e.bytes;
      this.entries.delete(k);
    }
  }

  cachedPieces(layerId: string, level: number, segmentId: number): number {
    return this.entries.get(this.entryKey(layerId, level, segmentId))?.pieces.size ?? 0;
  }

  private evict(): void {
    for (const [k, e] of this.entries) {
      if (this.totalBytes <= CACHE_BYTES) break;
      this.totalBytes -= e.bytes;
      this.entries.delete(k);
    }
  }
}
