import { pagesCovering } from './virtual-rows';

export type PageFetcher<T> = (offset: number, limit: number) => Promise<{ total: number; rows: T[] }>;

/**
 * A long server-side list read page by page as it scrolls into view (the segments panel with
 * many thousands of segments). `refresh()` keeps showing the old rows while their pages are
 * fetched again, so edits do not make the list flicker.
 */
export class PagedList<T> {
  private readonly pages = new Map<number, T[]>();
  private readonly stale = new Set<number>();
  private readonly inFlight = new Set<number>();
  private readonly listeners = new Set<() => void>();
  private generation = 0;
  private range = { first: 0, last: 0 };
  total: number | null = null;
  error: string | null = null;
  /** Bumped on every change (React reads it with useSyncExternalStore). */
  revision = 0;

  constructor(
    private readonly fetchPage: PageFetcher<T>,
    readonly pageSize = 200,
  ) {}

  row(index: number): T | undefined {
    return this.pages.get(Math.floor(index / this.pageSize))?.[index % this.pageSize];
  }

  /** Makes sure rows [first, last) are (being) loaded; the first call loads page 0 to learn the total. */
  ensure(first: number, last: number): void {
    this.range = { first, last };
    const wanted = this.total === null ? [0] : pagesCovering(first, Math.min(last, this.total), this.pageSize);
    for (const p of wanted) if ((!this.pages.has(p) || this.stale.has(p)) && !this.inFlight.has(p)) void this.load(p);
  }

  /** Fetches the visible pages again (keeping the old rows meanwhile) and forgets the others. */
  refresh(): void {
    this.generation++;
    this.inFlight.clear();
    for (const p of this.pages.keys()) this.stale.add(p);
    this.ensure(this.range.first, this.range.last);
  }

  subscribe(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private async load(page: number): Promise<void> {
    const gen = this.generation;
    this.inFlight.add(page);
    let r: { total: number; rows: T[] };
    try {
      r = await this.fetchPage(page * this.pageSize, this.pageSize);
    } catch (err) {
      if (gen !== this.generation) return;
      this.inFlight.delete(page);
      this.error = (err as Error).message;
      this.changed();
      return;
    }
    if (gen !== this.generation) return;
    this.inFlight.delete(page);
    if (this.total !== r.total) {
      // The list changed length: pages beyond the end are gone, the others may have shifted.
      for (const p of this.pages.keys()) if (p !== page) this.stale.add(p);
      for (const p of [...this.pages.keys()]) if (p * this.pageSize >= r.total) this.pages.delete(p);
    }
    this.total = r.total;
    this.pages.set(page, r.rows);
    this.stale.delete(page);
    this.error = null;
    this.changed();
    // The first page told the total: load the rest of what is in view.
    this.ensure(this.range.first, this.range.last);
  }

  private changed(): void {
    this.revision++;
    for (const l of this.listeners) l();
  }
}
