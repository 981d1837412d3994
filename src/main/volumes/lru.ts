/**
 * A least-recently-used map bounded by a byte budget. `get` refreshes an entry; inserting
 * evicts the oldest entries until the total fits. An entry larger than the whole budget is
 * not kept at all. Concurrent loads of one key share a single promise (`getOrLoad`).
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, { value: V; bytes: number }>();
  private readonly loading = new Map<K, Promise<V>>();
  private total = 0;
  hits = 0;
  misses = 0;
  evictions = 0;

  constructor(
    private budget: number,
    private readonly sizeOf: (v: V) => number,
  ) {}

  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }

  get budgetBytes(): number {
    return this.budget;
  }

  setBudget(bytes: number): void {
    this.budget = Math.max(0, bytes);
    this.evictToFit();
  }

  get(key: K): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  set(key: K, value: V): void {
    this.delete(key);
    const bytes = this.sizeOf(value);
    if (bytes > this.budget) return;
    this.entries.set(key, { value, bytes });
    this.total += bytes;
    this.evictToFit();
  }

  delete(key: K): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    this.entries.delete(key);
    this.total -= e.bytes;
    return true;
  }

  /** Removes every entry whose key matches. */
  deleteWhere(pred: (key: K) => boolean): number {
    let n = 0;
    for (const k of [...this.entries.keys()]) if (pred(k) && this.delete(k)) n++;
    return n;
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }

  async getOrLoad(key: K, load: () => Promise<V>): Promise<V> {
    const hit = this.get(key);
    if (hit !== undefined) {
      this.hits++;
      return hit;
    }
    const pending = this.loading.get(key);
    if (pending) {
      this.hits++;
      return pending;
    }
    this.misses++;
    const p = load().then(
      (v) => {
        // A write or invalidation while loading wins over the stale load.
        if (this.loading.get(key) === p) this.set(key, v);
        this.loading.delete(key);
        return v;
      },
      (err) => {
        if (this.loading.get(key) === p) this.loading.delete(key);
        throw err;
      },
    );
    this.loading.set(key, p);
    return p;
  }

  /** Forgets an in-flight load so its result is not cached (after a write to that key). */
  forgetLoading(key: K): void {
    this.loading.delete(key);
  }

  forgetLoadingWhere(pred: (key: K) => boolean): void {
    for (const k of [...this.loading.keys()]) if (pred(k)) this.loading.delete(k);
  }

  private evictToFit(): void {
    for (const [k, e] of this.entries) {
      if (this.total <= this.budget) break;
      this.entries.delete(k);
      this.total -= e.bytes;
      this.evictions++;
    }
  }
}
