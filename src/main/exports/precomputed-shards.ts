import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { CancelledError } from '../errors';
import type { Vec3 } from '../volumes/box';
import { compressedMortonCode, shardFileName, shardLocation, type ShardingSpec } from '../volumes/readers/precomputed-sharding';

const gzipAsync = promisify(gzip);

/** Bits of a chunk id: the compressed Morton code uses ceil(log2(grid)) bits per axis. */
function idBits(grid: Vec3): number {
  return grid.reduce((a, g) => a + Math.ceil(Math.log2(Math.max(1, g))), 0);
}

/**
 * Sharding parameters for a scale with this chunk grid ([z, y, x]): identity hash, 2^3 chunks
 * (a 2x2x2 Morton block) per minishard step, up to 2^6 minishards per shard, so a shard holds
 * at most 512 chunks (~128 MiB of raw uint8 at 2^18 voxels a chunk) and covers a compact block
 * of space; the remaining id bits number the shards.
 */
export function chooseSharding(grid: Vec3): ShardingSpec {
  const bits = idBits(grid);
  const preshift = Math.min(bits, 3);
  const minishard = Math.min(bits - preshift, 6);
  return {
    '@type': 'neuroglancer_uint64_sharded_v1',
    preshift_bits: preshift,
    hash: 'identity',
    minishard_bits: minishard,
    shard_bits: Math.max(0, bits - preshift - minishard),
    minishard_index_encoding: 'gzip',
    data_encoding: 'gzip',
  };
}

interface PendingChunk {
  id: bigint;
  file: string;
}

function u64Bytes(values: bigint[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, v), true));
  return out;
}

/**
 * Packs a scale's chunk files (already encoded, one per chunk) into
 * neuroglancer_uint64_sharded_v1 shard files and deletes them. Per shard: the shard index
 * (2^minishard_bits [start, end) pairs, relative to its end), then per minishard its chunks
 * (gzip'd, by chunk id) followed by its minishard index (ids, offsets and sizes, the first two
 * delta-encoded, uint64 little endian, gzip'd). One chunk is in memory at a time.
 */
export async function packShards(dir: string, spec: ShardingSpec, grid: Vec3, chunks: { coord: Vec3; file: string }[], signal?: AbortSignal): Promise<void> {
  const byShard = new Map<bigint, Map<bigint, PendingChunk[]>>();
  for (const c of chunks) {
    const id = compressedMortonCode([c.coord[2], c.coord[1], c.coord[0]], [grid[2], grid[1], grid[0]]);
    const { shard, minishard } = shardLocation(spec, id);
    let m = byShard.get(shard);
    if (!m) byShard.set(shard, (m = new Map()));
    let list = m.get(minishard);
    if (!list) m.set(minishard, (list = []));
    list.push({ id, file: c.file });
  }
  const minishards = 2 ** spec.minishard_bits;
  const indexBytes = 16 * minishards;
  for (const [shard, mini] of byShard) {
    const fh = await open(join(dir, shardFileName(spec, shard)), 'wx');
    try {
      const index = new DataView(new ArrayBuffer(indexBytes));
      let pos = 0;
      const append = async (bytes: Uint8Array) => {
        await fh.write(bytes, 0, bytes.length, indexBytes + pos);
        pos += bytes.length;
      };
      for (let m = 0; m < minishards; m++) {
        if (signal?.aborted) throw new CancelledError();
        const list = (mini.get(BigInt(m)) ?? []).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        if (list.length === 0) {
          index.setBigUint64(16 * m, BigInt(pos), true);
          index.setBigUint64(16 * m + 8, BigInt(pos), true);
          continue;
        }
        const ids: bigint[] = [];
        const offsets: bigint[] = [];
        const sizes: bigint[] = [];
        let prevId = 0n;
        let prevEnd = 0n;
        for (const c of list) {
          const start = BigInt(pos);
          const data = spec.data_encoding === 'gzip' ? await gzipAsync(await readFile(c.file), { level: 1 }) : await readFile(c.file);
          await append(data);
          ids.push(c.id - prevId);
          offsets.push(start - prevEnd);
          sizes.push(BigInt(data.length));
          prevId = c.id;
          prevEnd = start + BigInt(data.length);
        }
        const raw = u64Bytes([...ids, ...offsets, ...sizes]);
        const encoded = spec.minishard_index_encoding === 'gzip' ? await gzipAsync(raw) : raw;
        index.setBigUint64(16 * m, BigInt(pos), true);
        await append(encoded);
        index.setBigUint64(16 * m + 8, BigInt(pos), true);
      }
      await fh.write(new Uint8Array(index.buffer), 0, indexBytes, 0);
    } finally {
      await fh.close();
    }
  }
  for (const c of chunks) await rm(c.file, { force: true });
}
