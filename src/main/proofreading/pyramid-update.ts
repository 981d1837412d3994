import { boxSize, chunkBox, chunksInBox, copyRegion, intersect, type Box, type Vec3 } from '../volumes/box';
import { mapLimit } from '../volumes/concurrency';
import { downsample } from '../volumes/store/downsample';
import { ChunkSource } from './chunk-source';

export interface WrittenChunk {
  level: number;
  coord: Vec3;
}

function union(a: Box, b: Box): Box {
  return {
    min: [Math.min(a.min[0], b.min[0]), Math.min(a.min[1], b.min[1]), Math.min(a.min[2], b.min[2])],
    max: [Math.max(a.max[0], b.max[0]), Math.max(a.max[1], b.max[1]), Math.max(a.max[2], b.max[2])],
  };
}

/**
 * After level-0 voxels inside `boxes` changed, recomputes only the voxels of the coarser levels
 * that depend on them (mode downsampling, exactly as the store's pyramid builder does it for
 * whole chunks: every window lies inside the recomputed box, so a partial update equals a full
 * one) and rewrites the affected chunks. Returns the chunks written.
 */
export async function updatePyramidBoxes(source: ChunkSource, boxes: Box[]): Promise<WrittenChunk[]> {
  const store = source.layer.store;
  const written: WrittenChunk[] = [];
  let current = boxes;
  for (let level = 1; level < store.levels.length && current.length > 0; level++) {
    const l = store.level(level);
    const prev = store.level(level - 1);
    const perChunk = new Map<string, { coord: Vec3; box: Box }>();
    for (const b of current) {
      const box: Box = {
        min: [0, 1, 2].map((a) => Math.floor(b.min[a] / l.step[a])) as Vec3,
        max: [0, 1, 2].map((a) => Math.min(l.shape[a], Math.ceil(b.max[a] / l.step[a]))) as Vec3,
      };
      for (const coord of chunksInBox(box, l.chunkShape)) {
        const part = intersect(box, chunkBox(coord, l.chunkShape, l.shape));
        if (!part) continue;
        const key = coord.join(',');
        const seen = perChunk.get(key);
        perChunk.set(key, { coord, box: seen ? union(seen.box, part) : part });
      }
    }
    const updates = [...perChunk.values()];
    await mapLimit(updates, 4, async ({ coord, box }) => {
      const src: Box = {
        min: [0, 1, 2].map((a) => box.min[a] * l.step[a]) as Vec3,
        max: [0, 1, 2].map((a) => Math.min(prev.shape[a], box.max[a] * l.step[a])) as Vec3,
      };
      const [region, chunk] = await Promise.all([source.readRegion(level - 1, src), source.readData(level, coord)]);
      const reduced = downsample(region, boxSize(src), l.step, store.dtype, store.downsampleMethod);
      // Updated in place: the cached array is this chunk's only copy, and nothing else reads it meanwhile.
      const data = chunk;
      copyRegion(reduced, boxSize(box), box.min, data, l.chunkShape, chunkBox(coord, l.chunkShape, l.shape).min, box);
      try {
        const encoded = await ChunkSource.encode(data);
        await source.write(level, coord, encoded.bytes, data);
      } catch (err) {
        source.forget(level, coord);
        throw err;
      }
      written.push({ level, coord });
    });
    current = updates.map((u) => u.box);
  }
  return written;
}
