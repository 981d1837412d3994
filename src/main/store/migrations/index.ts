import type { Database } from 'better-sqlite3';
import { m001Initial } from './001-initial';
import { m002Proofreading } from './002-proofreading';
import { m003TrainingRuns } from './003-training-runs';
import { m004EditDeltas } from './004-edit-deltas';

export interface Migration {
  /** Schema version after this migration; consecutive from 1. */
  version: number;
  name: string;
  up(db: Database): void;
}

/** Every schema change is a new file here, appended in order. Never edit a released one. */
export const MIGRATIONS: readonly Migration[] = [m001Initial, m002Proofreading, m003TrainingRuns, m004EditDeltas];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
