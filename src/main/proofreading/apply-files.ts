import type { Vec3 } from '../volumes/box';
import { mapLimit } from '../volumes/concurrency';
import type { VoxelArray } from '../volumes/dtypes';
import type { ChunkSource } from './chunk-source';
import { crashPoint } from './crash-points';
import type { ChunkWrite, EditLog } from './edit-log';
import { updatePyramidBoxes, type WrittenChunk } from './pyramid-update';

/**
 * Brings chunk files to the versions the log recorded (each file replaced atomically), then
 * recomputes the pyramid voxels that depend on them. Idempotent: running it again after a
 * crash anywhere inside it gives the same files, which is what recovery relies on.
 */
export async function writeChunkVersions(
  log: EditLog,
  source: ChunkSource,
  writes: readonly ChunkWrite[],
  known?: ReadonlyMap<string, VoxelArray>,
): Promise<WrittenChunk[]> {
  const written: WrittenChunk[] = [];
  await mapLimit(writes, 4, async (w) => {
    await source.write(0, w.coord, log.versions.bytes(w.version), known?.get(coordKey(w.coord)));
    written.push({ level: 0, coord: w.coord });
    crashPoint('files.after-chunk');
  });
  crashPoint('files.before-pyramid');
  written.push(...(await updatePyramidBoxes(source, writes.map((w) => w.box))));
  crashPoint('files.after-pyramid');
  return written;
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
