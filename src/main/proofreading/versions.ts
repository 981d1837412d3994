import type { Database } from '../store/database';

/**
 * Content-addressed chunk files in SQLite. An edit references the version a chunk had before
 * and the one it wrote; consecutive edits of one chunk share the version between them, so the
 * history holds each chunk state once (gzip, as the store writes it). `refs` counts the
 * edit_chunks references; a version nobody references is deleted.
 */
export class ChunkVersions {
  private readonly upsert;
  private readonly decRef;
  private readonly dropUnused;
  private readonly bytesOf;
  private readonly hashOf;

  constructor(private readonly db: Database) {
    this.upsert = db.prepare(
      'INSERT INTO chunk_versions (hash, bytes, refs) VALUES (?, ?, 1) ON CONFLICT(hash) DO UPDATE SET refs = refs + 1 RETURNING id',
    );
    this.decRef = db.prepare('UPDATE chunk_versions SET refs = refs - 1 WHERE id = ?');
    this.dropUnused = db.prepare('DELETE FROM chunk_versions WHERE id = ? AND refs <= 0');
    this.bytesOf = db.prepare('SELECT bytes FROM chunk_versions WHERE id = ?').pluck();
    this.hashOf = db.prepare('SELECT hex(hash) FROM chunk_versions WHERE id = ?').pluck();
  }

  /** Adds a reference to the version with these bytes (null: the all-zero chunk, no row). */
  ref(hash: string | null, bytes: Uint8Array | null): number | null {
    if (hash === null || bytes === null) return null;
    return (this.upsert.get(Buffer.from(hash, 'hex'), bytes) as { id: number }).id;
  }

  release(id: number | null): void {
    if (id === null) return;
    this.decRef.run(id);
    this.dropUnused.run(id);
  }

  bytes(id: number | null): Buffer | null {
    if (id === null) return null;
    const b = this.bytesOf.get(id) as Buffer | undefined;
    if (!b) throw new Error(`chunk version ${id} is missing`);
    return b;
  }

  hash(id: number | null): string | null {
    if (id === null) return null;
    return (this.hashOf.get(id) as string).toLowerCase();
  }

  /** Bytes the history keeps (sum of stored chunk versions). */
  totalBytes(): number {
    return this.db.prepare('SELECT total(length(bytes)) FROM chunk_versions').pluck().get() as number;
  }

  /**
   * Recounts references from edit_chunks and deletes versions nobody references (after a
   * layer's edits went with the layer, whose cascade does not see the counts).
   */
  collectGarbage(): number {
    return this.db.transaction(() => {
      this.db
        .prepare(
          `UPDATE chunk_versions SET refs =
             (SELECT count(*) FROM edit_chunks WHERE before_version = chunk_versions.id) +
             (SELECT count(*) FROM edit_chunks WHERE after_version = chunk_versions.id)`,
        )
        .run();
      return this.db.prepare('DELETE FROM chunk_versions WHERE refs <= 0').run().changes;
    })();
  }
}
