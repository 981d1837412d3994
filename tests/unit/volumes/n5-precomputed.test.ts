import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { murmurHash3X86_128Bytes } from '../../../src/main/volumes/readers/murmurhash3';
import { openVolume } from '../../../src/main/volumes/readers/open';
import { compressedMortonCode } from '../../../src/main/volumes/readers/precomputed-sharding';
import { referencePython, skipNotice } from '../../helpers/python';
import { expectReaderMatches, runFixtures, suiteDir } from '../../helpers/volumes';

const MODULES = ['numpy', 'numcodecs'];
const py = referencePython(MODULES);
if (!py) skipNotice('N5 and neuroglancer precomputed reader tests against spec-following Python writers', MODULES);

/**
 * Small writers following the specs (N5: github.com/saalfeldlab/n5; precomputed, its
 * compressed_segmentation encoding and sharding: neuroglancer/src/datasource/precomputed),
 * independent of the TypeScript readers. The Python MurmurHash3 is checked against SMHasher's
 * verification value before use.
 */
const FIXTURES = `
import gzip, struct, numcodecs
def blocks(shape, chunks):
    return np.ndindex(*[-(-s // c) for s, c in zip(shape, chunks)])
def part_of(a, idx, chunks):
    return a[tuple(slice(i * c, (i + 1) * c) for i, c in zip(idx, chunks))]
def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f: f.write(data)

# ---- N5 ----
def n5_dataset(path, a, block, compression, extra=None, skip=()):
    comp = {'gzip': {'type': 'gzip', 'level': 5, 'useZlib': False}, 'raw': {'type': 'raw'},
            'blosc': {'type': 'blosc', 'cname': 'lz4', 'clevel': 5, 'shuffle': 1, 'blocksize': 0, 'nthreads': 1}}[compression]
    attrs = {'dimensions': list(a.shape[::-1]), 'blockSize': list(block[::-1]), 'dataType': a.dtype.name, 'compression': comp}
    attrs.update(extra or {})
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, 'attributes.json'), 'w') as f: json.dump(attrs, f)
    for idx in blocks(a.shape, block):
        if idx in skip: continue
        p = part_of(a, idx, block)
        data = p.astype(p.dtype.newbyteorder('>')).tobytes()
        if compression == 'gzip': data = gzip.compress(data)
        if compression == 'blosc': data = numcodecs.Blosc(cname='lz4', clevel=5, shuffle=1).encode(data)
        header = struct.pack('>HH', 0, 3) + b''.join(struct.pack('>I', d) for d in p.shape[::-1])
        write(os.path.join(path, str(idx[2]), str(idx[1]), str(idx[0])), header + data)
n5 = os.path.join(out, 'vol.n5'); os.makedirs(n5)
with open(os.path.join(n5, 'attributes.json'), 'w') as f: json.dump({'n5': '2.5.0'}, f)
a = rand('uint16', (9, 37, 41)); a[0:4, 0:16, 0:16] = 0; save('n5_gzip', a)
n5_dataset(os.path.join(n5, 'gz'), a, (4, 16, 16), 'gzip', skip=[(0, 0, 0)])
a = rand('float32', (5, 20, 30)); save('n5_raw', a)
n5_dataset(os.path.join(n5, 'raw'), a, (5, 8, 8), 'raw')
a = rand('int64', (4, 25, 20)); save('n5_blosc', a)
n5_dataset(os.path.join(n5, 'bl'), a, (2, 16, 16), 'blosc')
ms = os.path.join(n5, 'pyr'); os.makedirs(ms)
with open(os.path.join(ms, 'attributes.json'), 'w') as f: json.dump({'multiScale': True}, f)
s0 = rand('uint8', (6, 40, 40)); s1 = rand('uint8', (6, 20, 20)); save('n5_s0', s0); save('n5_s1', s1)
n5_dataset(os.path.join(ms, 's0'), s0, (3, 16, 16), 'gzip', {'downsamplingFactors': [1, 1, 1], 'pixelResolution': {'dimensions': [4.0, 4.0, 40.0], 'unit': 'nm'}})
n5_dataset(os.path.join(ms, 's1'), s1, (3, 16, 16), 'gzip', {'downsamplingFactors': [2, 2, 1]})

# ---- neuroglancer precomputed ----
def murmur3_x86_128(key, seed=0):
    def rotl(x, r): return ((x << r) | (x >> (32 - r))) & 0xffffffff
    def fmix(h):
        h ^= h >> 16; h = (h * 0x85ebca6b) & 0xffffffff; h ^= h >> 13; h = (h * 0xc2b2ae35) & 0xffffffff; return h ^ (h >> 16)
    c1, c2, c3, c4 = 0x239b961b, 0xab0e9789, 0x38b34ae5, 0xa1e38b93
    h = [seed] * 4
    n = len(key); nb = n // 16
    for i in range(nb):
        k = list(struct.unpack('<4I', key[i * 16:(i + 1) * 16]))
        k[0] = (rotl((k[0] * c1) & 0xffffffff, 15) * c2) & 0xffffffff; h[0] ^= k[0]
        h[0] = ((rotl(h[0], 19) + h[1]) * 5 + 0x561ccd1b) & 0xffffffff
        k[1] = (rotl((k[1] * c2) & 0xffffffff, 16) * c3) & 0xffffffff; h[1] ^= k[1]
        h[1] = ((rotl(h[1], 17) + h[2]) * 5 + 0x0bcaa747) & 0xffffffff
        k[2] = (rotl((k[2] * c3) & 0xffffffff, 17) * c4) & 0xffffffff; h[2] ^= k[2]
        h[2] = ((rotl(h[2], 15) + h[3]) * 5 + 0x96cd1c35) & 0xffffffff
        k[3] = (rotl((k[3] * c4) & 0xffffffff, 18) * c1) & 0xffffffff; h[3] ^= k[3]
        h[3] = ((rotl(h[3], 13) + h[0]) * 5 + 0x32ac3b17) & 0xffffffff
    tail = key[nb * 16:] + bytes(16)
    k = list(struct.unpack('<4I', tail[:16]))
    rem = n & 15
    mix = [(c1, 15, c2), (c2, 16, c3), (c3, 17, c4), (c4, 18, c1)]
    for j in range(3, -1, -1):
        if rem > 4 * j:
            a_, r, b_ = mix[j]
            kk = k[j] & ((1 << (8 * min(4, rem - 4 * j))) - 1)
            h[j] ^= (rotl((kk * a_) & 0xffffffff, r) * b_) & 0xffffffff
    h = [x ^ n for x in h]
    h[0] = (h[0] + h[1] + h[2] + h[3]) & 0xffffffff
    h[1] = (h[1] + h[0]) & 0xffffffff; h[2] = (h[2] + h[0]) & 0xffffffff; h[3] = (h[3] + h[0]) & 0xffffffff
    h = [fmix(x) for x in h]
    h[0] = (h[0] + h[1] + h[2] + h[3]) & 0xffffffff
    h[1] = (h[1] + h[0]) & 0xffffffff; h[2] = (h[2] + h[0]) & 0xffffffff; h[3] = (h[3] + h[0]) & 0xffffffff
    return struct.pack('<4I', *h)
keyb = bytes(range(256)); hashes = b''.join(murmur3_x86_128(keyb[:i], 256 - i) for i in range(256))
assert struct.unpack('<I', murmur3_x86_128(hashes, 0)[:4])[0] == 0xB3ECE62A  # SMHasher verification value

def cseg_encode(p, block):
    sz, sy, sx = p.shape; bz, by, bx = block
    g = [-(-sz // bz), -(-sy // by), -(-sx // bx)]
    nblocks = g[0] * g[1] * g[2]
    header = [0] * (2 * nblocks); body = []
    for kz in range(g[0]):
        for ky in range(g[1]):
            for kx in range(g[2]):
                blk = p[kz * bz:(kz + 1) * bz, ky * by:(ky + 1) * by, kx * bx:(kx + 1) * bx]
                vals, inv = np.unique(blk, return_inverse=True)
                bits = next(b for b in [0, 1, 2, 4, 8, 16, 32] if (1 << b) >= len(vals))
                table = 2 * nblocks + len(body)
                for v in vals:
                    v = int(v)
                    body += [v & 0xffffffff, v >> 32] if p.dtype == np.uint64 else [v]
                values = 2 * nblocks + len(body)
                if bits:
                    full = np.zeros((bz, by, bx), np.uint64)
                    full[:blk.shape[0], :blk.shape[1], :blk.shape[2]] = inv.reshape(blk.shape)
                    words = [0] * (-(-bz * by * bx * bits // 32))
                    for i, v in enumerate(full.ravel()):
                        words[(i * bits) // 32] |= int(v) << ((i * bits) % 32)
                    body += words
                hdr = 2 * (kx + g[2] * (ky + g[1] * kz))
                header[hdr] = table | (bits << 24); header[hdr + 1] = values
    return np.array([1] + header + body, '<u4').tobytes()

def morton(pos, grid):
    bits = [max(0, int(np.ceil(np.log2(g)))) for g in grid]
    code, o = 0, 0
    for b in range(max(bits)):
        for d in range(3):
            if b < bits[d]:
                code |= ((pos[d] >> b) & 1) << o; o += 1
    return code

def precomputed(name, type_, scales, encoding, chunk, offset=(0, 0, 0), cs_block=(4, 8, 8), sharding=None, gz_every=0, skip=()):
    root = os.path.join(out, name)
    info = {'type': type_, 'data_type': scales[0][1].dtype.name, 'num_channels': 1, 'scales': []}
    for key, a, res in scales:
        sc = {'key': key, 'size': list(a.shape[::-1]), 'resolution': list(res[::-1]), 'chunk_sizes': [list(chunk[::-1])],
              'encoding': encoding, 'voxel_offset': list(offset[::-1])}
        if encoding == 'compressed_segmentation': sc['compressed_segmentation_block_size'] = list(cs_block[::-1])
        if sharding: sc['sharding'] = sharding
        info['scales'].append(sc)
        grid = [-(-s // c) for s, c in zip(a.shape, chunk)]
        chunks = {}
        for n, idx in enumerate(blocks(a.shape, chunk)):
            if key == scales[0][0] and idx in skip: continue  # absent chunk (zeros) in the first scale
            p = part_of(a, idx, chunk)
            data = p.astype(p.dtype.newbyteorder('<')).tobytes() if encoding == 'raw' else cseg_encode(p, cs_block)
            if sharding:
                chunks[morton(idx[::-1], grid[::-1])] = data
                continue
            lo = [i * c + o for i, c, o in zip(idx, chunk, offset)]
            hi = [l + s for l, s in zip(lo, p.shape)]
            fname = f'{lo[2]}-{hi[2]}_{lo[1]}-{hi[1]}_{lo[0]}-{hi[0]}'
            if gz_every and n % gz_every == 0:
                write(os.path.join(root, key, fname + '.gz'), gzip.compress(data))
            else:
                write(os.path.join(root, key, fname), data)
        if sharding: write_shards(os.path.join(root, key), chunks, sharding)
    with open(os.path.join(root, 'info'), 'w') as f: json.dump(info, f)

def write_shards(d, chunks, s):
    mb, sb, pre = s['minishard_bits'], s['shard_bits'], s['preshift_bits']
    def h(cid):
        x = cid >> pre
        if s['hash'] == 'identity': return x
        return struct.unpack('<Q', murmur3_x86_128(struct.pack('<Q', x))[:8])[0]
    shards = {}
    for cid, data in chunks.items():
        hv = h(cid)
        shards.setdefault((hv >> mb) & ((1 << sb) - 1), {}).setdefault(hv & ((1 << mb) - 1), []).append((cid, data))
    enc = lambda b, e: gzip.compress(b) if e == 'gzip' else b
    for shard, minis in shards.items():
        body = b''; index = np.zeros((1 << mb, 2), '<u8')
        for m in range(1 << mb):
            entries = sorted(minis.get(m, []))
            if not entries: continue
            ids, starts, sizes = [], [], []
            for cid, data in entries:
                e = enc(data, s.get('data_encoding', 'raw'))
                ids.append(cid); starts.append(len(body)); sizes.append(len(e)); body += e
            prev_end, offs = 0, []
            for st, sz in zip(starts, sizes):
                offs.append(st - prev_end); prev_end = st + sz
            idx = np.array([ids[0]] + [b - a for a, b in zip(ids, ids[1:])] + offs + sizes, '<u8').tobytes()
            idx = enc(idx, s.get('minishard_index_encoding', 'raw'))
            index[m] = (len(body), len(body) + len(idx)); body += idx
        digits = -(-sb // 4)
        write(os.path.join(d, f'{shard:0{digits}x}.shard'), index.tobytes() + body)

s0 = rand('uint8', (10, 40, 50)); s1 = rand('uint8', (10, 20, 25))
s0[0:4, 0:16, 0:16] = 0; save('pc_s0', s0); save('pc_s1', s1)
precomputed('img', 'image', [('s0', s0, (40, 4, 4)), ('s1', s1, (40, 8, 8))], 'raw', (4, 16, 16), offset=(2, 3, 5), gz_every=2, skip=[(0, 0, 0)])
seg = (rng.integers(0, 6, size=(10, 30, 37)) * 1000003).astype(np.uint32); save('cs32', seg)
precomputed('cs32', 'segmentation', [('8_8_40', seg, (40, 8, 8))], 'compressed_segmentation', (8, 16, 16))
seg = (rng.integers(0, 3, size=(9, 20, 21)).astype(np.uint64) * np.uint64(2**40 + 3)); save('cs64', seg)
precomputed('cs64', 'segmentation', [('a', seg, (30, 6, 6))], 'compressed_segmentation', (4, 8, 8), cs_block=(2, 4, 8))
seg = (rng.integers(0, 2**62, size=(7, 33, 35), dtype=np.uint64)); save('sh_id', seg)
precomputed('sh_id', 'segmentation', [('s', seg, (40, 4, 4))], 'raw', (4, 8, 16), sharding={'@type': 'neuroglancer_uint64_sharded_v1',
    'preshift_bits': 0, 'hash': 'identity', 'minishard_bits': 1, 'shard_bits': 1, 'minishard_index_encoding': 'gzip', 'data_encoding': 'gzip'})
seg = (rng.integers(0, 9, size=(8, 40, 36)) * 77).astype(np.uint32); save('sh_mm', seg)
precomputed('sh_mm', 'segmentation', [('s', seg, (40, 4, 4))], 'compressed_segmentation', (4, 8, 8), sharding={'@type': 'neuroglancer_uint64_sharded_v1',
    'preshift_bits': 1, 'hash': 'murmurhash3_x86_128', 'minishard_bits': 2, 'shard_bits': 2, 'minishard_index_encoding': 'raw', 'data_encoding': 'raw'})
`;

describe('MurmurHash3_x86_128 and compressed Morton codes', () => {
  it("matches SMHasher's verification value", () => {
    const key = new Uint8Array(256);
    const hashes = new Uint8Array(16 * 256);
    for (let i = 0; i < 256; i++) {
      key[i] = i;
      hashes.set(murmurHash3X86_128Bytes(key.subarray(0, i), 256 - i), i * 16);
    }
    const f = murmurHash3X86_128Bytes(hashes, 0);
    expect((f[0] | (f[1] << 8) | (f[2] << 16) | (f[3] << 24)) >>> 0).toBe(0xb3ece62a);
  });

  it('interleaves x, y, z bits and drops exhausted axes', () => {
    expect(compressedMortonCode([1, 0, 0], [4, 4, 4])).toBe(1n);
    expect(compressedMortonCode([0, 1, 0], [4, 4, 4])).toBe(2n);
    expect(compressedMortonCode([0, 0, 1], [4, 4, 4])).toBe(4n);
    expect(compressedMortonCode([3, 0, 0], [4, 4, 4])).toBe(0b1001n);
    // x has 3 bits, y and z 1 bit: after bit 0 only x remains
    expect(compressedMortonCode([7, 1, 1], [8, 2, 2])).toBe(0b11111n);
  });
});

describe.skipIf(!py)('N5 and neuroglancer precomputed readers vs spec-following writers', () => {
  const dir = suiteDir('tu-n5pc-');
  beforeAll(() => {
    runFixtures(FIXTURES, dir);
  });

  it('reads N5 datasets: gzip with a missing block, raw with clipped edge blocks, blosc int64', async () => {
    const g = await expectReaderMatches(dir, 'vol.n5', 'n5_gzip', { dataset: 'gz' });
    expect(g.format).toBe('n5');
    expect(g.levels[0].chunkShape).toEqual([4, 16, 16]);
    await expectReaderMatches(dir, 'vol.n5', 'n5_raw', { dataset: 'raw' });
    await expectReaderMatches(dir, 'vol.n5', 'n5_blosc', { dataset: 'bl' });
  });

  it('reads an N5 s0/s1 multiscale group with downsampling factors and pixel resolution', async () => {
    const r = await expectReaderMatches(dir, 'vol.n5', 'n5_s0', { dataset: 'pyr' });
    expect(r.levels.length).toBe(2);
    expect(r.resolution).toEqual([40, 4, 4]);
    expect(r.levels[1].factors).toEqual([1, 2, 2]);
    expect(r.levels[1].resolution).toEqual([40, 8, 8]);
    await expectReaderMatches(dir, 'vol.n5', 'n5_s1', { dataset: 'pyr', level: 1 });
    await expect(openVolume(join(dir, 'vol.n5'))).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/vol\.n5.*gz/) });
  });

  it('reads unsharded raw precomputed scales (gzip and plain files, absent chunks, voxel offset)', async () => {
    const r = await expectReaderMatches(dir, 'img', 'pc_s0');
    expect(r.format).toBe('precomputed');
    expect(r.details).toMatchObject({ voxelOffset: [2, 3, 5], encoding: 'raw', sharded: false });
    expect(r.levels.map((l) => l.factors)).toEqual([
      [1, 1, 1],
      [1, 2, 2],
    ]);
    await expectReaderMatches(dir, 'img', 'pc_s1', { level: 1 });
  });

  it('decodes compressed_segmentation (uint32 and uint64, partial blocks)', async () => {
    await expectReaderMatches(dir, 'cs32', 'cs32');
    await expectReaderMatches(dir, 'cs64', 'cs64');
  });

  it('reads sharded volumes: identity hash with gzip, murmurhash3 with compressed_segmentation', async () => {
    const r = await expectReaderMatches(dir, 'sh_id', 'sh_id');
    expect(r.details.sharded).toBe(true);
    await expectReaderMatches(dir, 'sh_mm', 'sh_mm');
  });
});
