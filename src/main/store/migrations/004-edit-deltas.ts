import type { Migration } from './index';

/**
 * Proofreading history stores each rewritten chunk as a compressed XOR delta between its
 * voxels before and after the edit, with content hashes of both states, instead of whole
 * chunk versions (~100x less space per brush stroke). History written by development builds
 * with the 002 layout is dropped; the label data itself is untouched.
 */
export const m004EditDeltas: Migration = {
  version: 4,
  name: 'proofreading: edit chunks as XOR deltas',
  up(db) {
    db.exec(`
      DELETE FROM edit_journal;
      DELETE FROM edits;
      DROP TABLE edit_chunks;
      DROP TABLE chunk_versions;

      -- Level-0 chunks an edit rewrote. Hashes are SHA-256 of the decoded voxels (little endian);
      -- delta is brotli(before XOR after): applying it to either state gives the other.
      CREATE TABLE edit_chunks (
        edit_id      INTEGER NOT NULL REFERENCES edits(id) ON DELETE CASCADE,
        cz           INTEGER NOT NULL,
        cy           INTEGER NOT NULL,
        cx           INTEGER NOT NULL,
        before_hash  BLOB NOT NULL,
        after_hash   BLOB NOT NULL,
        delta        BLOB NOT NULL,
        box          TEXT NOT NULL,               -- JSON {min, max}: the voxels that changed
        PRIMARY KEY (edit_id, cz, cy, cx)
      );
    `);
  },
};
