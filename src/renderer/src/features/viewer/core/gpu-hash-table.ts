import { hashId, TABLE_SEED } from './segment-ids';

/**
 * An open-addressing hash table from 64-bit keys to two 32-bit words, laid out as the texels
 * of an RGBA32UI texture (key lo, key hi, value a, value b) so a fragment shader can look keys
 * up with a bounded linear probe (`lookupGlsl`). Key 0 marks an empty slot (id 0 is
 * background and never needs an entry); deleted slots hold the tombstone key 2^64-1 so probe
 * chains stay intact. Every key sits within MAX_PROBES slots of its hash; the table doubles
 * when an insert would break that. Changed texel rows are tracked for partial uploads.
 */
export const MAX_PROBES = 32;
export const TEXTURE_WIDTH = 1024;
const TOMBSTONE = 0xffffffff;

export class GpuHashTable {
  /** 4 words per slot. */
  data: Uint32Array;
  capacity: number;
  private count = 0;
  private tombstones = 0;
  /** Lowest and highest texel rows changed since the last `takeDirtyRows`; full upload when `resized`. */
  private dirtyFrom = Infinity;
  private dirtyTo = -1;
  resized = true;

  constructor(initialCapacity = 16) {
    this.capacity = pow2AtLeast(Math.max(16, initialCapacity));
    this.data = new Uint32Array(this.capacity * 4);
  }

  get size(): number {
    return this.count;
  }

  get width(): number {
    return Math.min(TEXTURE_WIDTH, this.capacity);
  }

  get height(): number {
    return this.capacity / this.width;
  }

  /** Where `key` lives, or -1. */
  find(lo: number, hi: number): number {
    lo >>>= 0;
    hi >>>= 0;
    if ((lo | hi) === 0) return -1;
    const mask = this.capacity - 1;
    let slot = hashId(lo, hi, TABLE_SEED) & mask;
    for (let p = 0; p < MAX_PROBES; p++) {
      const k = slot * 4;
      const klo = this.data[k];
      const khi = this.data[k + 1];
      if (klo === lo && khi === hi) return slot;
      if (klo === 0 && khi === 0) return -1;
      slot = (slot + 1) & mask;
    }
    return -1;
  }

  get(lo: number, hi: number): [number, number] | undefined {
    const s = this.find(lo, hi);
    return s < 0 ? undefined : [this.data[s * 4 + 2], this.data[s * 4 + 3]];
  }

  set(lo: number, hi: number, a: number, b: number): void {
    lo >>>= 0;
    hi >>>= 0;
    if ((lo | hi) === 0) throw new RangeError('key 0 (background) cannot be stored');
    if (lo === TOMBSTONE && hi === TOMBSTONE) throw new RangeError('key 2^64-1 is reserved');
    const existing = this.find(lo, hi);
    if (existing >= 0) {
      this.data[existing * 4 + 2] = a >>> 0;
      this.data[existing * 4 + 3] = b >>> 0;
      this.markDirty(existing);
      return;
    }
    if ((this.count + this.tombstones + 1) * 2 > this.capacity) this.rebuild(this.capacity * (this.count * 4 > this.capacity ? 2 : 1));
    while (!this.insertNew(lo, hi, a >>> 0, b >>> 0)) this.rebuild(this.capacity * 2);
  }

  delete(lo: number, hi: number): boolean {
    const s = this.find(lo, hi);
    if (s < 0) return false;
    this.data[s * 4] = TOMBSTONE;
    this.data[s * 4 + 1] = TOMBSTONE;
    this.data[s * 4 + 2] = 0;
    this.data[s * 4 + 3] = 0;
    this.count--;
    this.tombstones++;
    this.markDirty(s);
    if (this.tombstones * 4 > this.capacity) this.rebuild(this.capacity);
    return true;
  }

  clear(): void {
    this.data.fill(0);
    this.count = 0;
    this.tombstones = 0;
    this.resized = true;
  }

  *entries(): IterableIterator<[number, number, number, number]> {
    for (let s = 0; s < this.capacity; s++) {
      const k = s * 4;
      const lo = this.data[k];
      const hi = this.data[k + 1];
      if ((lo | hi) === 0 || (lo === TOMBSTONE && hi === TOMBSTONE)) continue;
      yield [lo, hi, this.data[k + 2], this.data[k + 3]];
    }
  }

  /** Rows of the texture to re-upload: null when nothing changed; `all` after a resize. */
  takeDirtyRows(): { all: true } | { all: false; from: number; to: number } | null {
    if (this.resized) {
      this.resized = false;
      this.dirtyFrom = Infinity;
      this.dirtyTo = -1;
      return { all: true };
    }
    if (this.dirtyTo < 0) return null;
    const r = { all: false as const, from: this.dirtyFrom, to: this.dirtyTo };
    this.dirtyFrom = Infinity;
    this.dirtyTo = -1;
    return r;
  }

  private insertNew(lo: number, hi: number, a: number, b: number): boolean {
    const mask = this.capacity - 1;
    let slot = hashId(lo, hi, TABLE_SEED) & mask;
    for (let p = 0; p < MAX_PROBES; p++) {
      const k = slot * 4;
      const klo = this.data[k];
      const khi = this.data[k + 1];
      const empty = (klo | khi) === 0;
      const tomb = klo === TOMBSTONE && khi === TOMBSTONE;
      if (empty || tomb) {
        this.data[k] = lo;
        this.data[k + 1] = hi;
        this.data[k + 2] = a;
        this.data[k + 3] = b;
        this.count++;
        if (tomb) this.tombstones--;
        this.markDirty(slot);
        return true;
      }
      slot = (slot + 1) & mask;
    }
    return false;
  }

  private rebuild(capacity: number): void {
    const old = this.data;
    const oldCapacity = this.capacity;
    for (let size = pow2AtLeast(capacity); ; size *= 2) {
      this.capacity = size;
      this.data = new Uint32Array(size * 4);
      this.count = 0;
      this.tombstones = 0;
      let ok = true;
      for (let s = 0; s < oldCapacity && ok; s++) {
        const k = s * 4;
        const lo = old[k];
        const hi = old[k + 1];
        if ((lo | hi) === 0 || (lo === TOMBSTONE && hi === TOMBSTONE)) continue;
        ok = this.insertNew(lo, hi, old[k + 2], old[k + 3]);
      }
      if (ok) break;
    }
    this.resized = true;
  }

  private markDirty(slot: number): void {
    const row = Math.floor(slot / this.width);
    if (row < this.dirtyFrom) this.dirtyFrom = row;
    if (row > this.dirtyTo) this.dirtyTo = row;
  }
}

function pow2AtLeast(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
