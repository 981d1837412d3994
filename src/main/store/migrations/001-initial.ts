import type { Migration } from './index';

export const m001Initial: Migration = {
  version: 1,
  name: 'initial schema',
  up(db) {
    db.exec(`
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );

      -- A layer is an image, label, affinity or fragment volume. 'store' layers live in the
      -- project's OME-Zarr store (volumes/<id>.ome.zarr); 'external' ones are opened in place.
      CREATE TABLE layers (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE,
        kind        TEXT NOT NULL CHECK (kind IN ('image', 'labels', 'affinities', 'fragments')),
        source      TEXT NOT NULL CHECK (source IN ('store', 'external')),
        uri         TEXT NOT NULL,
        format      TEXT NOT NULL,
        dtype       TEXT NOT NULL,
        shape       TEXT NOT NULL,              -- JSON [c?, z, y, x]
        resolution  TEXT NOT NULL,              -- JSON [z, y, x] nanometres
        meta        TEXT NOT NULL DEFAULT '{}', -- JSON, format-specific (levels, chunks, dataset path, ...)
        editable    INTEGER NOT NULL DEFAULT 1,
        created_at  TEXT NOT NULL
      );

      CREATE TABLE segments (
        layer_id     TEXT NOT NULL REFERENCES layers(id) ON DELETE CASCADE,
        id           INTEGER NOT NULL,
        name         TEXT,
        color        TEXT,
        status       TEXT NOT NULL DEFAULT 'unreviewed' CHECK (status IN ('unreviewed', 'in_progress', 'done')),
        notes        TEXT NOT NULL DEFAULT '',
        locked       INTEGER NOT NULL DEFAULT 0,
        voxel_count  INTEGER,
        PRIMARY KEY (layer_id, id)
      );

      CREATE TABLE annotations (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        layer_id    TEXT REFERENCES layers(id) ON DELETE CASCADE,
        kind        TEXT NOT NULL,              -- bookmark | todo | box | ...
        position    TEXT NOT NULL,              -- JSON [z, y, x]
        extent      TEXT,                       -- JSON [dz, dy, dx] for boxes
        text        TEXT NOT NULL DEFAULT '',
        done        INTEGER NOT NULL DEFAULT 0,
        created_at  TEXT NOT NULL
      );

      -- One row per user edit; the chunk versions it replaced live in later migrations' tables.
      CREATE TABLE edits (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        layer_id    TEXT REFERENCES layers(id) ON DELETE CASCADE,
        kind        TEXT NOT NULL,
        summary     TEXT NOT NULL DEFAULT '{}',
        undone      INTEGER NOT NULL DEFAULT 0,
        created_at  TEXT NOT NULL
      );

      CREATE TABLE jobs (
        id           TEXT PRIMARY KEY,
        kind         TEXT NOT NULL,
        title        TEXT NOT NULL,
        params       TEXT NOT NULL DEFAULT '{}',
        state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
        progress     REAL NOT NULL DEFAULT 0,
        message      TEXT NOT NULL DEFAULT '',
        result       TEXT,
        error        TEXT,
        created_at   TEXT NOT NULL,
        started_at   TEXT,
        finished_at  TEXT
      );

      CREATE TABLE models (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        preset      TEXT NOT NULL,
        path        TEXT NOT NULL,              -- relative to the project folder
        provenance  TEXT NOT NULL DEFAULT '{}', -- JSON: imported | pretrained | fine-tuned, data, parent
        metrics     TEXT NOT NULL DEFAULT '{}',
        created_at  TEXT NOT NULL
      );
    `);
  },
};
