import type { Vec3 } from '../volumes/box';

const BIT_WIDTHS = [0, 1, 2, 4, 8, 16, 32];

/**
 * Encoder for neuroglancer's compressed_segmentation format, single channel (the inverse of
 * readers/compressed-segmentation.ts; layout in neuroglancer's
 * src/sliceview/compressed_segmentation/README.md):
 * word 0 = 1 (channel 0 starts at word 1); then per block (x fastest over the block grid) two
 * header words, lookup-table offset | bits << 24 and packed-indices offset (both relative to
 * the channel start); then tables and indices. Each block's distinct ids form a sorted table,
 * shared by blocks whose tables are equal; indices cover the FULL block (voxels past the
 * chunk's edge use index 0), packed little-endian into 32-bit words, x fastest.
 * `words` is 1 for uint32 ids, 2 for uint64 (low word first); `data` holds `words` per voxel.
 */
export function encodeCompressedSegmentation(data: Uint32Array, shape: Vec3, blockSize: Vec3, words: 1 | 2): Uint8Array {
  const [sz, sy, sx] = shape;
  const [bz, by, bx] = blockSize;
  const gz = Math.ceil(sz / bz);
  const gy = Math.ceil(sy / by);
  const gx = Math.ceil(sx / bx);
  const nBlocks = gz * gy * gx;
  const blockVoxels = bz * by * bx;
  const out: number[] = new Array(1 + 2 * nBlocks).fill(0);
  out[0] = 1;
  const base = 1;
  const tables = new Map<string, number>();
  const indices = new Uint32Array(blockVoxels);
  const ids = new Map<number | string, number>();
  const pairs: [number, number][] = [];

  for (let kz = 0; kz < gz; kz++)
    for (let ky = 0; ky < gy; ky++)
      for (let kx = 0; kx < gx; kx++) {
        ids.clear();
        pairs.length = 0;
        indices.fill(0);
        const z1 = Math.min(bz, sz - kz * bz);
        const y1 = Math.min(by, sy - ky * by);
        const x1 = Math.min(bx, sx - kx * bx);
        // First pass: distinct ids in this block (voxel order), each voxel's provisional index.
        for (let z = 0; z < z1; z++)
          for (let y = 0; y < y1; y++) {
            let o = (((kz * bz + z) * sy + (ky * by + y)) * sx + kx * bx) * words;
            let lastKey: number | string = -1;
            let lastIndex = -1;
            for (let x = 0; x < x1; x++, o += words) {
              const lo = data[o];
              const hi = words === 2 ? data[o + 1] : 0;
              // Exact number keys below 2^53, strings beyond.
              const key = hi < 0x200000 ? hi * 4294967296 + lo : `${hi}:${lo}`;
              let index: number;
              if (key === lastKey) index = lastIndex;
              else {
                let found = ids.get(key);
                if (found === undefined) {
                  found = pairs.length;
                  ids.set(key, found);
                  pairs.push([lo, hi]);
                }
                index = found;
                lastKey = key;
                lastIndex = index;
              }
              indices[(z * by + y) * bx + x] = index;
            }
          }
        // Sort the table ascending (hi, lo) and renumber the indices.
        const order = pairs.map((_, i) => i).sort((a, b) => pairs[a][1] - pairs[b][1] || pairs[a][0] - pairs[b][0]);
        const rank = new Uint32Array(order.length);
        order.forEach((src, dst) => (rank[src] = dst));
        const table: number[] = [];
        for (const i of order) {
          table.push(pairs[i][0]);
          if (words === 2) table.push(pairs[i][1]);
        }
        const bits = BIT_WIDTHS.find((b) => 2 ** b >= order.length)!;
        const tableKey = table.join(',');
        let tableOffset = tables.get(tableKey);
        if (tableOffset === undefined) {
          tableOffset = out.length - base;
          for (const w of table) out.push(w);
          tables.set(tableKey, tableOffset);
        }
        const valuesOffset = out.length - base;
        if (bits > 0) {
          const packed = new Uint32Array(Math.ceil((blockVoxels * bits) / 32));
          for (let v = 0; v < blockVoxels; v++) {
            const bit = v * bits;
            packed[bit >>> 5] |= rank[indices[v]] << (bit & 31);
          }
          for (const w of packed) out.push(w);
        }
        const h = base + 2 * (kx + gx * (ky + gy * kz));
        out[h] = (tableOffset | (bits << 24)) >>> 0;
        out[h + 1] = valuesOffset;
      }
  return new Uint8Array(Uint32Array.from(out).buffer);
}
