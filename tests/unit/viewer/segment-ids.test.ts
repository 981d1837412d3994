import { describe, expect, it } from 'vitest';
import { GpuHashTable, MAX_PROBES } from '../../../src/renderer/src/features/viewer/core/gpu-hash-table';
import { div255, hashId, joinId, mix32, parseId, segmentColor, splitId, TABLE_SEED, toSegmentId } from '../../../src/renderer/src/features/viewer/core/segment-ids';
import { HASH_GLSL } from '../../../src/renderer/src/features/viewer/gl/shaders';

describe('segment ids', () => {
  it('splits and joins 64-bit ids exactly', () => {
    for (const id of [0n, 1n, 0xffffffffn, 0x100000000n, 123456789012345678n, (1n << 64n) - 2n]) {
      const [lo, hi] = splitId(id);
      expect(joinId(lo, hi)).toBe(id);
    }
    expect(() => toSegmentId(-1)).toThrow(RangeError);
    expect(() => toSegmentId(1n << 64n)).toThrow(RangeError);
    expect(parseId(' 42 ')).toBe(42n);
    expect(parseId('18446744073709551615')).toBe((1n << 64n) - 1n);
    expect(parseId('18446744073709551616')).toBeNull();
    expect(parseId('-3')).toBeNull();
  });

  it('mix32 is murmur3 fmix32 (reference values)', () => {
    // fmix32 fixed points and known outputs computed with 32-bit unsigned arithmetic.
    expect(mix32(0)).toBe(0);
    const ref = (x: bigint) => {
      const m = 0xffffffffn;
      x ^= x >> 16n;
      x = (x * 0x85ebca6bn) & m;
      x ^= x >> 13n;
      x = (x * 0xc2b2ae35n) & m;
      x ^= x >> 16n;
      return Number(x);
    };
    for (const v of [1, 2, 0xdeadbeef, 0xffffffff, 123456]) expect(mix32(v)).toBe(ref(BigInt(v >>> 0)));
  });

  it('gives stable, saturated, well-spread colours; the GLSL twin uses the same constants', () => {
    expect(segmentColor(42n)).toEqual(segmentColor(42n));
    const colours = new Set<string>();
    for (let i = 1n; i <= 2000n; i++) {
      const [r, g, b] = segmentColor(i);
      expect(Math.max(r, g, b)).toBeGreaterThanOrEqual(189);
      expect(Math.max(r, g, b) - Math.min(r, g, b)).toBeGreaterThan(60);
      colours.add(`${r},${g},${b}`);
    }
    expect(colours.size).toBeGreaterThan(1900);
    expect(segmentColor(5n)).not.toEqual(segmentColor(5n + (1n << 32n)));
    for (const c of ['0x85ebca6bu', '0xc2b2ae35u', '((h & 0x3ffu) * 1536u) >> 10u', '(((h >> 11u) & 127u) * 105u) >> 7u', '(((h >> 19u) & 63u) * 65u) >> 6u', '(x + 1u + (x >> 8u)) >> 8u']) expect(HASH_GLSL).toContain(c);
    // No integer division left in the shader's colour path.
    expect(HASH_GLSL.slice(HASH_GLSL.indexOf('vec3 segmentColor'))).not.toMatch(/[^/]\/ *\d+u/);
  });
});

describe('GPU hash table', () => {
  it('stores, updates and deletes 64-bit keys, keeping every key within MAX_PROBES of its slot', () => {
    const t = new GpuHashTable();
    const ref = new Map<bigint, bigint>();
    const keys: bigint[] = [];
    let seed = 7;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let i = 0; i < 20000; i++) {
      const key = i % 3 === 0 ? BigInt(rnd()) | (BigInt(rnd() & 0xff) << 32n) : BigInt(1 + (rnd() % 50000));
      if (key === 0n) continue;
      const val = BigInt(rnd());
      const [lo, hi] = splitId(key);
      if (i % 5 === 4 && ref.size) {
        const at = rnd() % keys.length;
        const victim = keys[at];
        keys[at] = keys[keys.length - 1];
        keys.pop();
        const [vl, vh] = splitId(victim);
        expect(t.delete(vl, vh)).toBe(true);
        ref.delete(victim);
        continue;
      }
      t.set(lo, hi, Number(val), 0);
      if (!ref.has(key)) keys.push(key);
      ref.set(key, val);
    }
    expect(t.size).toBe(ref.size);
    for (const [k, v] of ref) {
      const [lo, hi] = splitId(k);
      expect(t.get(lo, hi)?.[0]).toBe(Number(v));
      // Same probe the shader does: from the hash slot, at most MAX_PROBES steps.
      const slot = t.find(lo, hi);
      const home = hashId(lo, hi, TABLE_SEED) & (t.capacity - 1);
      expect((slot - home + t.capacity) % t.capacity).toBeLessThan(MAX_PROBES);
    }
    expect(t.get(123456789, 77)).toBeUndefined();
    expect(() => t.set(0, 0, 1, 1)).toThrow(RangeError);
    expect(t.width * t.height).toBe(t.capacity);
  });

  it('reports changed texture rows for partial uploads, everything after a resize', () => {
    const t = new GpuHashTable(4096);
    expect(t.takeDirtyRows()).toEqual({ all: true });
    expect(t.takeDirtyRows()).toBeNull();
    t.set(5, 0, 9, 0);
    const d = t.takeDirtyRows();
    expect(d).toMatchObject({ all: false });
    const slot = t.find(5, 0);
    if (d && !d.all) expect(d.from).toBe(Math.floor(slot / t.width));
    for (let i = 1; i < 3000; i++) t.set(i, 1, i, 0);
    expect(t.takeDirtyRows()).toEqual({ all: true }); // grew
  });
});

describe('div255', () => {
  it('equals floor(x / 255) over every product the colour formula forms', () => {
    for (let x = 0; x < 255 * 255; x++) expect(div255(x)).toBe(Math.floor(x / 255));
  });
});
