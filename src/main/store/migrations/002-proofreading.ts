import type { Migration } from './index';

/**
 * Proofreading: the per-chunk label index that voxel counts and segment lookups come from,
 * the fragment -> segment mapping of fragment layers, and the edit log's payload (chunk
 * versions, mapping rows, count deltas) plus the write-ahead journal that makes an edit's
 * chunk-file writes crash safe (see docs/proofreading.md).
 */
export const m002Proofreading: Migration = {
  version: 2,
  name: 'proofreading: label index, fragment mapping, edit payloads, edit journal',
  up(db) {
    db.exec(`
      -- One row per label or fragment layer prepared for proofreading.
      CREATE TABLE label_layers (
        layer_id          TEXT PRIMARY KEY REFERENCES layers(id) ON DELETE CASCADE,
        indexed_at        TEXT,                      -- NULL until the index job finished
        next_segment_id   INTEGER NOT NULL DEFAULT 1,  -- ids are never reused, even after undo
        next_fragment_id  INTEGER NOT NULL DEFAULT 1,
        mapping_version   INTEGER NOT NULL DEFAULT 0
      );

      -- Voxels of each stored label (segment id; fragment id on fragment layers) per level-0 chunk.
      CREATE TABLE label_chunks (
        layer_id  TEXT NOT NULL REFERENCES layers(id) ON DELETE CASCADE,
        label     INTEGER NOT NULL,
        chunk     INTEGER NOT NULL,                  -- (z * gridY + y) * gridX + x
        voxels    INTEGER NOT NULL,
        PRIMARY KEY (layer_id, label, chunk)
      ) WITHOUT ROWID;

      -- Fragment layers: fragment (supervoxel) -> segment.
      CREATE TABLE fragments (
        layer_id     TEXT NOT NULL REFERENCES layers(id) ON DELETE CASCADE,
        id           INTEGER NOT NULL,
        segment_id   INTEGER NOT NULL,
        voxel_count  INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (layer_id, id)
      ) WITHOUT ROWID;
      CREATE INDEX fragments_by_segment ON fragments (layer_id, segment_id);

      -- Content-addressed chunk files (bytes exactly as the store writes them), shared by edits.
      CREATE TABLE chunk_versions (
        id     INTEGER PRIMARY KEY,
        hash   BLOB NOT NULL UNIQUE,
        bytes  BLOB NOT NULL,
        refs   INTEGER NOT NULL
      );

      -- Level-0 chunks an edit rewrote: the version it replaced and the one it wrote (NULL: no file, all zero).
      CREATE TABLE edit_chunks (
        edit_id         INTEGER NOT NULL REFERENCES edits(id) ON DELETE CASCADE,
        cz              INTEGER NOT NULL,
        cy              INTEGER NOT NULL,
        cx              INTEGER NOT NULL,
        before_version  INTEGER REFERENCES chunk_versions(id),
        after_version   INTEGER REFERENCES chunk_versions(id),
        box             TEXT NOT NULL,               -- JSON {min, max}: the voxels that changed
        PRIMARY KEY (edit_id, cz, cy, cx)
      );
      CREATE INDEX edit_chunks_before ON edit_chunks (before_version);
      CREATE INDEX edit_chunks_after ON edit_chunks (after_version);

      -- Fragment layers: mapping rows an edit changed (before NULL: the edit created the fragment).
      CREATE TABLE edit_mapping (
        edit_id         INTEGER NOT NULL REFERENCES edits(id) ON DELETE CASCADE,
        fragment_id     INTEGER NOT NULL,
        before_segment  INTEGER,
        after_segment   INTEGER NOT NULL,
        PRIMARY KEY (edit_id, fragment_id)
      ) WITHOUT ROWID;

      -- Voxel-count changes of an edit: Float64 triples (label, chunk, delta) and pairs (segment, delta).
      CREATE TABLE edit_counts (
        edit_id         INTEGER PRIMARY KEY REFERENCES edits(id) ON DELETE CASCADE,
        label_deltas    BLOB NOT NULL,
        segment_deltas  BLOB NOT NULL
      );

      -- Write-ahead journal: chunk files of this edit still to be written ('apply': after versions,
      -- 'revert': before versions). Recovery on open finishes them; then the row is deleted.
      CREATE TABLE edit_journal (
        edit_id     INTEGER PRIMARY KEY REFERENCES edits(id) ON DELETE CASCADE,
        direction   TEXT NOT NULL CHECK (direction IN ('apply', 'revert')),
        started_at  TEXT NOT NULL
      );

      CREATE INDEX edits_undone ON edits (undone, id);
    `);
  },
};
