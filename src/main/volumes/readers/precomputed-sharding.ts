import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { AppError } from '../../errors';
import type { Vec3 } from '../box';
import { LruCache } from '../lru';
import { murmurHash3X86_128Bytes } from './murmurhash3';

const gunzipAsync = promisify(gunzip);

/** neuroglancer_uint64_sharded_v1 parameters (precomputed volume "sharding" object). */
export interface ShardingSpec {
  '@type': 'neuroglancer_uint64_sharded_v1';
  preshift_bits: number;
  hash: 'identity' | 'murmurhash3_x86_128';
  minishard_bits: number;
  shard_bits: number;
  minishard_index_encoding?: 'raw' | 'gzip';
  data_encoding?: 'raw' | 'gzip';
}

export function validateSharding(s: ShardingSpec, where: string): void {
  if (s['@type'] !== 'neuroglancer_uint64_sharded_v1') throw new AppError('UNSUPPORTED', `${where}: sharding type ${s['@type']} is not supported`);
  if (s.hash !== 'identity' && s.hash !== 'murmurhash3_x86_128') throw new AppError('UNSUPPORTED', `${where}: shard hash ${s.hash} is not supported`);
}

/**
 * Compressed Morton code of a chunk's grid position [x, y, z], as the precomputed spec defines:
 * bits of x, y, z interleaved (x lowest), each axis contributing only while it still has bits
 * (ceil(log2(grid size)) of them).
 */
export function compressedMortonCode(pos: [number, number, number], grid: [number, number, number]): bigint {
  const bits = grid.map((g) => Math.ceil(Math.log2(Math.max(1, g))));
  const maxBits = Math.max(...bits);
  let code = 0n;
  let shift = 0n;
  for (let b = 0; b < maxBits; b++) {
    for (let d = 0; d < 3; d++) {
      if (b < bits[d]) {
        code |= BigInt((Math.floor(pos[d] / 2 ** b) & 1) >>> 0) << shift;
        shift++;
      }
    }
  }
  return code;
}

function hashOf(spec: ShardingSpec, id: bigint): bigint {
  const shifted = id >> BigInt(spec.preshift_bits);
  if (spec.hash === 'identity') return shifted;
  const key = new Uint8Array(8);
  new DataView(key.buffer).setBigUint64(0, shifted, true);
  return new DataView(murmurHash3X86_128Bytes(key, 0).buffer).getBigUint64(0, true);
}

export function shardLocation(spec: ShardingSpec, chunkId: bigint): { shard: bigint; minishard: bigint } {
  const h = hashOf(spec, chunkId);
  const minishard = h & ((1n << BigInt(spec.minishard_bits)) - 1n);
  const shard = (h >> BigInt(spec.minishard_bits)) & ((1n << BigInt(spec.shard_bits)) - 1n);
  return { shard, minishard };
}

export function shardFileName(spec: ShardingSpec, shard: bigint): string {
  const digits = Math.ceil(spec.shard_bits / 4);
  return `${shard.toString(16).padStart(digits, '0')}.shard`;
}

interface MinishardIndex {
  ids: bigint[];
  starts: bigint[];
  sizes: bigint[];
}

/** Reads chunks out of the shard files of one precomputed scale. */
export class ShardReader {
  private readonly minishards = new LruCache<string, MinishardIndex | null>(16 * 1024 * 1024, (m) => (m ? m.ids.length * 24 + 64 : 64));

  constructor(
    private readonly dir: string,
    private readonly spec: ShardingSpec,
    private readonly gridShape: Vec3,
  ) {}

  /** The stored (still chunk-encoded) bytes of chunk `coord` ([z, y, x] grid position), or null if absent. */
  async chunkBytes(coord: Vec3): Promise<Uint8Array | null> {
    const id = compressedMortonCode([coord[2], coord[1], coord[0]], [this.gridShape[2], this.gridShape[1], this.gridShape[0]]);
    const { shard, minishard } = shardLocation(this.spec, id);
    const file = join(this.dir, shardFileName(this.spec, shard));
    const index = await this.minishards.getOrLoad(`${shard}:${minishard}`, () => this.readMinishard(file, minishard));
    if (!index) return null;
    const i = index.ids.indexOf(id);
    if (i < 0) return null;
    const indexBytes = 16n * (1n << BigInt(this.spec.minishard_bits));
    const bytes = await readRange(file, indexBytes + index.starts[i], index.sizes[i]);
    return this.spec.data_encoding === 'gzip' ? new Uint8Array(await gunzipAsync(bytes)) : bytes;
  }

  private async readMinishard(file: string, minishard: bigint): Promise<MinishardIndex | null> {
    const entry = await readRange(file, 16n * minishard, 16n).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (!entry) return null;
    const dv = new DataView(entry.buffer, entry.byteOffset, 16);
    const start = dv.getBigUint64(0, true);
    const end = dv.getBigUint64(8, true);
    if (end < start) throw new AppError('CORRUPT_FILE', `${file}: shard index entry ${minishard} is invalid`);
    if (end === start) return null;
    const indexBytes = 16n * (1n << BigInt(this.spec.minishard_bits));
    let raw = await readRange(file, indexBytes + start, end - start);
    if (this.spec.minishard_index_encoding === 'gzip') raw = new Uint8Array(await gunzipAsync(raw));
    if (raw.byteLength % 24 !== 0) throw new AppError('CORRUPT_FILE', `${file}: minishard ${minishard} index has a bad length`);
    const n = raw.byteLength / 24;
    const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const at = (k: number) => v.getBigUint64(k * 8, true);
    const ids: bigint[] = [];
    const starts: bigint[] = [];
    const sizes: bigint[] = [];
    let id = 0n;
    let pos = 0n;
    for (let i = 0; i < n; i++) {
      id += at(i);
      pos += at(n + i);
      const size = at(2 * n + i);
      ids.push(BigInt.asUintN(64, id));
      starts.push(pos);
      sizes.push(size);
      pos += size;
    }
    return { ids, starts, sizes };
  }
}

async function readRange(file: string, offset: bigint, length: bigint): Promise<Uint8Array> {
  const fh = await open(file, 'r');
  try {
    const n = Number(length);
    const buf = Buffer.allocUnsafe(n);
    const { bytesRead } = await fh.read(buf, 0, n, Number(offset));
    if (bytesRead !== n) throw new AppError('CORRUPT_FILE', `${file}: expected ${n} bytes at ${offset} (truncated?)`);
    return new Uint8Array(buf.buffer, buf.byteOffset, n);
  } finally {
    await fh.close();
  }
}
