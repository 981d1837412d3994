import type { SegmentMesh } from '@shared/api/proofreading';
import type { ApiClient } from '../../api/client';
import type { ProofreadingSession } from '../proofreading/session';

/** The API builds at most this many segments' meshes per call. */
export const MESHES_PER_CALL = 32;

interface Entry {
  mesh: SegmentMesh | null;
  /** An edit touched the segment since the mesh was fetched. */
  stale: boolean;
  loading: boolean;
  error: string | null;
}

export interface MeshFetchStats {
  segments: number;
  chunks: number;
  rebuiltChunks: number;
  ms: number;
}

/**
 * Meshes of segments, fetched from the server (which builds them per chunk in worker threads
 * and caches the pieces) and kept here per segment. An edit marks the segments it changed
 * stale; only those are fetched again, and the server rebuilds only the chunk pieces the edit
 * touched.
 */
export class MeshStore {
  private readonly entries = new Map<string, Entry>();
  private wanted: { layerId: string; ids: number[] } | null = null;
  private readonly listeners = new Set<() => void>();
  revision = 0;
  last: MeshFetchStats | null = null;

  constructor(
    private readonly api: ApiClient,
    private readonly session: ProofreadingSession,
  ) {}

  attach(): () => void {
    return this.session.onSegmentsChanged((e) => {
      let any = false;
      for (const [key, entry] of this.entries) {
        const [layerId, id] = splitKey(key);
        if (layerId !== e.layerId || !(e.all || e.ids.includes(id))) continue;
        entry.stale = true;
        any = true;
      }
      if (any && this.wanted) this.want(this.wanted.layerId, this.wanted.ids);
    });
  }

  /** The segments shown now: fetches those missing or stale. */
  want(layerId: string, ids: number[]): void {
    this.wanted = { layerId, ids };
    const need = ids.filter((id) => {
      const e = this.entries.get(key(layerId, id));
      return !e || (e.stale && !e.loading);
    });
    for (let i = 0; i < need.length; i += MESHES_PER_CALL) void this.fetch(layerId, need.slice(i, i + MESHES_PER_CALL));
  }

  get(layerId: string, id: number): SegmentMesh | null {
    return this.entries.get(key(layerId, id))?.mesh ?? null;
  }

  loading(layerId: string, ids: number[]): boolean {
    return ids.some((id) => this.entries.get(key(layerId, id))?.loading);
  }

  error(layerId: string, ids: number[]): string | null {
    for (const id of ids) {
      const e = this.entries.get(key(layerId, id));
      if (e?.error) return e.error;
    }
    return null;
  }

  subscribe(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private async fetch(layerId: string, ids: number[]): Promise<void> {
    for (const id of ids) {
      const e = this.entries.get(key(layerId, id));
      this.entries.set(key(layerId, id), { mesh: e?.mesh ?? null, stale: false, loading: true, error: null });
    }
    this.changed();
    const t0 = performance.now();
    try {
      const { meshes } = await this.api.call('meshes.get', { layerId, segmentIds: ids });
      for (const m of meshes) {
        const e = this.entries.get(key(layerId, m.segmentId));
        this.entries.set(key(layerId, m.segmentId), { mesh: m, stale: e?.stale ?? false, loading: false, error: null });
      }
      this.last = {
        segments: meshes.length,
        chunks: meshes.reduce((s, m) => s + m.chunks, 0),
        rebuiltChunks: meshes.reduce((s, m) => s + m.rebuiltChunks, 0),
        ms: performance.now() - t0,
      };
    } catch (err) {
      if (ids.length > 1) {
        // One bad id (e.g. a segment merged away meanwhile) fails the whole call: ask one by one.
        await Promise.all(ids.map((id) => this.fetch(layerId, [id])));
        return;
      }
      const e = this.entries.get(key(layerId, ids[0]));
      this.entries.set(key(layerId, ids[0]), { mesh: null, stale: e?.stale ?? false, loading: false, error: (err as Error).message });
    }
    for (const id of ids) {
      const e = this.entries.get(key(layerId, id));
      if (e?.loading) e.loading = false;
    }
    this.changed();
    // Edits that arrived while this fetch ran marked segments stale again.
    if (this.wanted && ids.some((id) => this.entries.get(key(layerId, id))?.stale)) this.want(this.wanted.layerId, this.wanted.ids);
  }

  private changed(): void {
    this.revision++;
    for (const l of this.listeners) l();
  }
}

function key(layerId: string, id: number): string {
  return `${layerId}\u0000${id}`;
}

function splitKey(k: string): [string, number] {
  const i = k.lastIndexOf('\u0000');
  return [k.slice(0, i), Number(k.slice(i + 1))];
}
