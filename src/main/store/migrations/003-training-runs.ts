import type { Migration } from './index';

/**
 * Pipeline: training runs (pretraining and fine-tuning) with their curves, so the app can
 * list runs, resume them and draw loss / validation VOI and ARAND over steps
 * (see docs/pipeline.md). Checkpoints live in runs/<run id>/ in the project folder.
 */
export const m003TrainingRuns: Migration = {
  version: 3,
  name: 'pipeline: training runs and their curves',
  up(db) {
    db.exec(`
      CREATE TABLE training_runs (
        id           TEXT PRIMARY KEY,            -- run name, also its folder runs/<id>/
        kind         TEXT NOT NULL CHECK (kind IN ('pretrain', 'finetune')),
        state        TEXT NOT NULL CHECK (state IN ('running', 'stopped', 'finished', 'failed')),
        params       TEXT NOT NULL DEFAULT '{}',  -- JSON: the request that started the run
        step         INTEGER NOT NULL DEFAULT 0,  -- last step saved in runs/<id>/last.safetensors
        total_steps  INTEGER NOT NULL,
        best         TEXT,                        -- JSON: best validation point (fine-tuning)
        model_id     TEXT REFERENCES models(id) ON DELETE SET NULL,
        message      TEXT NOT NULL DEFAULT '',
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL
      );

      -- One row per logged step: split 'train' (loss, lr, ...) or 'val' (VOI, ARAND, ...).
      CREATE TABLE training_points (
        run_id  TEXT NOT NULL REFERENCES training_runs(id) ON DELETE CASCADE,
        split   TEXT NOT NULL CHECK (split IN ('train', 'val')),
        step    INTEGER NOT NULL,
        data    TEXT NOT NULL,                    -- JSON object of numbers
        PRIMARY KEY (run_id, split, step)
      ) WITHOUT ROWID;
    `);
  },
};
