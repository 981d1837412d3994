import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Box, Vec3 } from '../../../src/main/volumes/box';
import { voxelCount } from '../../../src/main/volumes/box';
import { allocate, bytesOf, type DType, type VoxelArray } from '../../../src/main/volumes/dtypes';

/** Deterministic voxels of any type, spanning the type's range (floats include negatives and fractions). */
export function randomVolume(dtype: DType, shape: Vec3, seed = 1): VoxelArray {
  const n = voxelCount(shape);
  const out = allocate(dtype, n);
  // murmur3's finaliser over a counter: every bit well mixed (an LCG's low bits repeat quickly).
  let counter = Math.imul(seed, 0x9e3779b9) >>> 0;
  const next = () => {
    let x = (counter = (counter + 1) >>> 0);
    x ^= x >>> 16;
    x = Math.imul(x, 0x85ebca6b);
    x ^= x >>> 13;
    x = Math.imul(x, 0xc2b2ae35);
    return (x ^ (x >>> 16)) >>> 0;
  };
  for (let i = 0; i < n; i++) {
    const a = next();
    const b = next();
    switch (dtype) {
      case 'uint64':
        (out as BigUint64Array)[i] = (BigInt(a) << 32n) | BigInt(b);
        break;
      case 'int64':
        (out as BigInt64Array)[i] = BigInt.asIntN(64, (BigInt(a) << 32n) | BigInt(b));
        break;
      case 'float32':
      case 'float64':
        (out as Float64Array)[i] = (a / 2 ** 32 - 0.5) * 2000 + b / 2 ** 40;
        break;
      default:
        (out as Uint32Array)[i] = a; // typed arrays wrap to their width (signed types go negative)
    }
  }
  return out;
}

/**
 * Label-like ids: boxes of one id (runs, several ids per 8^3 block) with `base` added, so
 * uint64 volumes can hold ids above 2^32.
 */
export function labelVolume(dtype: 'uint32' | 'uint64', shape: Vec3, base = 0n): VoxelArray {
  const [Z, Y, X] = shape;
  const out = allocate(dtype, voxelCount(shape));
  for (let z = 0; z < Z; z++)
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++) {
        const cell = Math.floor(z / 3) * 1000 + Math.floor(y / 7) * 30 + Math.floor(x / 5);
        const id = (cell * 7919) % 97; // 0 (background) for some cells
        const i = (z * Y + y) * X + x;
        if (dtype === 'uint64') (out as BigUint64Array)[i] = id === 0 ? 0n : BigInt(id) + base;
        else (out as Uint32Array)[i] = id;
      }
  return out;
}

/** Writes `data` as name.raw (little-endian C order) + name.json ({dtype, shape}) for the Python checks. */
export function saveReference(dir: string, name: string, dtype: DType, shape: Vec3, data: VoxelArray): void {
  writeFileSync(join(dir, `${name}.raw`), bytesOf(data));
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ dtype, shape }));
}

export const roiArg = (b: Box) => [b.min, b.max];

/** Python prelude: `ref(name, roi)` loads a saved reference (cut to roi = [[z0,y0,x0],[z1,y1,x1]]). */
export const PY_REF = `
import sys, os, json
import numpy as np
def ref(d, name, roi=None):
    meta = json.load(open(os.path.join(d, name + '.json')))
    a = np.fromfile(os.path.join(d, name + '.raw'), np.dtype(meta['dtype']).newbyteorder('<')).reshape(meta['shape'])
    if roi: a = a[roi[0][0]:roi[1][0], roi[0][1]:roi[1][1], roi[0][2]:roi[1][2]]
    return a
`;

/**
 * A neuroglancer precomputed reader in Python written from the spec (not from the app's code):
 * info scales, unsharded chunk files, neuroglancer_uint64_sharded_v1 (identity hash) shards,
 * raw and compressed_segmentation encodings. `read_scale(path, i)` returns the whole scale.
 */
export const PY_PRECOMPUTED = `
import gzip, struct
def _cmc(pos, grid):
    bits = [max(0, int(np.ceil(np.log2(g)))) if g > 1 else 0 for g in grid]
    code, shift = 0, 0
    for b in range(max(bits)):
        for d in range(3):
            if b < bits[d]:
                code |= ((pos[d] >> b) & 1) << shift
                shift += 1
    return code

def _shard_chunk(sdir, sh, cid):
    h = cid >> sh['preshift_bits']
    assert sh['hash'] == 'identity'
    mini = h & ((1 << sh['minishard_bits']) - 1)
    shard = (h >> sh['minishard_bits']) & ((1 << sh['shard_bits']) - 1)
    digits = (sh['shard_bits'] + 3) // 4
    fn = os.path.join(sdir, format(shard, 'x').zfill(digits) + '.shard')
    if not os.path.exists(fn): return None
    data = open(fn, 'rb').read()
    ib = 16 << sh['minishard_bits']
    start, end = struct.unpack_from('<QQ', data, 16 * mini)
    if start == end: return None
    idx = data[ib + start: ib + end]
    if sh.get('minishard_index_encoding') == 'gzip': idx = gzip.decompress(idx)
    arr = np.frombuffer(idx, '<u8').reshape(3, -1)
    ids = np.cumsum(arr[0].astype(np.uint64))
    pos = 0
    for i in range(arr.shape[1]):
        pos += int(arr[1][i])
        if int(ids[i]) == cid:
            blob = data[ib + pos: ib + pos + int(arr[2][i])]
            return gzip.decompress(blob) if sh.get('data_encoding') == 'gzip' else blob
        pos += int(arr[2][i])
    return None

def _cseg_decode(buf, shape_xyz, block, dt):
    w = np.frombuffer(buf, '<u4')
    words = 2 if dt == np.uint64 else 1
    sx, sy, sz = shape_xyz
    bx, by, bz = block
    out = np.zeros((sz, sy, sx), dt)
    base = int(w[0])
    gx, gy, gz = -(-sx // bx), -(-sy // by), -(-sz // bz)
    for kz in range(gz):
        for ky in range(gy):
            for kx in range(gx):
                h = base + 2 * (kx + gx * (ky + gy * kz))
                table = base + (int(w[h]) & 0xffffff)
                bits = int(w[h]) >> 24
                vals = base + int(w[h + 1])
                for z in range(min(bz, sz - kz * bz)):
                    for y in range(min(by, sy - ky * by)):
                        for x in range(min(bx, sx - kx * bx)):
                            idx = 0
                            if bits:
                                bit = ((z * by + y) * bx + x) * bits
                                idx = (int(w[vals + (bit >> 5)]) >> (bit & 31)) & ((1 << bits) - 1)
                            e = table + idx * words
                            v = int(w[e]) | ((int(w[e + 1]) << 32) if words == 2 else 0)
                            out[kz * bz + z, ky * by + y, kx * bx + x] = v
    return out

def read_scale(path, i):
    info = json.load(open(os.path.join(path, 'info')))
    s = info['scales'][i]
    dt = np.dtype(info['data_type'])
    size, cs, off = s['size'], s['chunk_sizes'][0], s['voxel_offset']
    out = np.zeros(size[::-1], dt)
    grid = [-(-size[a] // cs[a]) for a in range(3)]
    for gz in range(grid[2]):
        for gy in range(grid[1]):
            for gx in range(grid[0]):
                lo = [gx * cs[0], gy * cs[1], gz * cs[2]]
                hi = [min(size[a], lo[a] + cs[a]) for a in range(3)]
                if 'sharding' in s:
                    buf = _shard_chunk(os.path.join(path, s['key']), s['sharding'], _cmc([gx, gy, gz], grid))
                else:
                    fn = os.path.join(path, s['key'], '_'.join('%d-%d' % (lo[a] + off[a], hi[a] + off[a]) for a in range(3)))
                    buf = open(fn, 'rb').read() if os.path.exists(fn) else None
                if buf is None: continue
                shp = [hi[a] - lo[a] for a in range(3)]
                if s['encoding'] == 'raw':
                    blk = np.frombuffer(buf, dt.newbyteorder('<')).reshape(shp[::-1])
                else:
                    blk = _cseg_decode(buf, shp, s['compressed_segmentation_block_size'], dt.type)
                out[lo[2]:hi[2], lo[1]:hi[1], lo[0]:hi[0]] = blk
    return info, s, out
`;

/**
 * A fragment layer 'frags' (uint32 fragment ids, label-like boxes) whose fragment f maps to
 * segment 1000 + f % 5, indexed for proofreading, with segment 1001 named, coloured, noted,
 * done and locked; and a plain label layer 'plain' holding the mapped segments.
 */
export async function fragmentProject(project: import('../../../src/main/store/project').Project, shape: Vec3, resolution: Vec3) {
  const { createLayerFromArray } = await import('../../../src/main/volumes/create-layer');
  const { indexLabelLayer, setInitialMapping } = await import('../../../src/main/proofreading/index-layer');
  const { updateSegment } = await import('../../../src/main/proofreading/segments');
  const fragments = labelVolume('uint32', shape) as Uint32Array;
  const segmentOf = (f: number) => (f === 0 ? 0 : 1000 + (f % 5));
  const mapped = fragments.map(segmentOf);
  const frags = await createLayerFromArray(project, { name: 'frags', kind: 'fragments', dtype: 'uint32', data: fragments, shape, resolution });
  const plain = await createLayerFromArray(project, { name: 'plain', kind: 'labels', dtype: 'uint32', data: mapped, shape, resolution });
  const ids = [...new Set(fragments)].filter((f) => f !== 0).sort((a, b) => a - b);
  setInitialMapping(project, frags.id, ids, ids.map(segmentOf));
  await indexLabelLayer(project, frags.id);
  await indexLabelLayer(project, plain.id);
  const named = { name: 'axon, "A"', color: '#ff8800', status: 'done' as const, notes: 'checked\ntwice', locked: true };
  updateSegment(project.db, frags.id, true, 1001, named, 'frags');
  updateSegment(project.db, plain.id, false, 1001, named, 'plain');
  return { frags, plain, fragments, mapped, ids, segmentOf, named };
}
