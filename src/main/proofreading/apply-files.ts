import type { Vec3 } from '../volumes/box';
import { mapLimit } from '../volumes/concurrency';
import type { VoxelArray } from '../volumes/dtypes';
import { AppError } from '../errors';
import { applyDelta, voxelHash } from './chunk-delta';
import { ChunkSource } from './chunk-source';
import { crashPoint } from './crash-points';
import type { ChunkWrite } from './edit-log';
import { updatePyramidBoxes, type WrittenChunk } from './pyramid-update';

/**
 * Brings one level-0 chunk to the state hashed `w.to`: a chunk already there is left alone, one
 * in the `w.from` state gets the delta applied, anything else was changed outside the history
 * and is refused. The new file replaces the old atomically. Idempotent, which recovery relies on.
 */
export async function moveChunk(source: ChunkSource, w: ChunkWrite): Promise<boolean> {
  const current = (await source.read(0, w.coord)).data;
  const hash = voxelHash(current);
  if (hash.equals(w.to)) return false;
  if (!hash.equals(w.from)) {
    throw new AppError(
      'CONFLICT',
      `chunk ${w.coord.join(',')} of layer '${source.layer.info.name}' holds neither state the edit history expects; it was changed outside the history`,
    );
  }
  const next = await applyDelta(current, w.delta);
  if (!voxelHash(next).equals(w.to)) throw new AppError('PROJECT_CORRUPT', `the history's delta for chunk ${w.coord.join(',')} of layer '${source.layer.info.name}' is damaged`);
  const encoded = await ChunkSource.encode(next);
  await source.write(0, w.coord, encoded.bytes, next);
  return true;
}

/**
 * Writes an edit's level-0 chunk files. `known` holds files already encoded by the commit (whose
 * chunks were read in this operation, so they are in the before state).
 */
export async function writeLevel0(source: ChunkSource, writes: readonly ChunkWrite[], known?: ReadonlyMap<string, EncodedWrite>): Promise<WrittenChunk[]> {
  const written: WrittenChunk[] = [];
  await mapLimit(writes, 4, async (w) => {
    const k = known?.get(coordKey(w.coord));
    if (k) await source.write(0, w.coord, k.bytes, k.data);
    else await moveChunk(source, w);
    written.push({ level: 0, coord: w.coord });
    crashPoint('files.after-chunk');
  });
  return written;
}

export interface EncodedWrite {
  bytes: Uint8Array | null;
  data: VoxelArray;
}

/** Recomputes the pyramid voxels that depend on the written level-0 boxes (idempotent too). */
export async function writePyramid(source: ChunkSource, writes: readonly ChunkWrite[]): Promise<WrittenChunk[]> {
  crashPoint('files.before-pyramid');
  const written = await updatePyramidBoxes(source, writes.map((w) => w.box));
  crashPoint('files.after-pyramid');
  return written;
}

/** Both steps, for recovery. */
export async function writeChunks(source: ChunkSource, writes: readonly ChunkWrite[]): Promise<WrittenChunk[]> {
  return [...(await writeLevel0(source, writes)), ...(await writePyramid(source, writes))];
}

export function coordKey(c: Vec3): string {
  return `${c[0]},${c[1]},${c[2]}`;
}

/** Groups written chunks by level for labels.changed. */
export function byLevel(written: readonly WrittenChunk[]): { level: number; chunks: Vec3[] }[] {
  const m = new Map<number, Vec3[]>();
  for (const w of written) {
    let list = m.get(w.level);
    if (!list) m.set(w.level, (list = []));
    list.push(w.coord);
  }
  return [...m.entries()].sort((a, b) => a[0] - b[0]).map(([level, chunks]) => ({ level, chunks }));
}
