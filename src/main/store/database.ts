import BetterSqlite3, { type Database } from 'better-sqlite3';
import { AppError } from '../errors';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations/index';

export type { Database };

/**
 * Opens a project database: checks integrity and version before anything is written,
 * then enables WAL and foreign keys and applies pending migrations in one transaction.
 * A corrupt file or one written by a newer app version is refused and left untouched.
 */
export function openProjectDatabase(file: string, { create, readOnly = false }: { create: boolean; readOnly?: boolean }): Database {
  let db: Database;
  try {
    db = new BetterSqlite3(file, { fileMustExist: !create, readonly: readOnly });
  } catch (err) {
    throw new AppError('PROJECT_CORRUPT', `cannot open project database ${file}: ${(err as Error).message}`);
  }
  try {
    inspect(db, file);
    if (readOnly) {
      if (schemaVersion(db) < LATEST_SCHEMA_VERSION) {
        throw new AppError('PROJECT_CORRUPT', `project database ${file} has an older schema (${schemaVersion(db)}); open the project once to upgrade it`);
      }
      return db;
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function inspect(db: Database, file: string): void {
  let version: number;
  try {
    version = db.pragma('user_version', { simple: true }) as number;
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(String(check));
  } catch (err) {
    throw new AppError('PROJECT_CORRUPT', `project database ${file} is corrupt: ${(err as Error).message}`);
  }
  if (version > LATEST_SCHEMA_VERSION) {
    throw new AppError(
      'PROJECT_TOO_NEW',
      `project database ${file} has schema version ${version}, newer than this app supports (${LATEST_SCHEMA_VERSION}); update TokenUnify Studio to open it`,
    );
  }
}

/** Applies every migration newer than the database's user_version, each in its own transaction. */
export function migrate(db: Database): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return db.pragma('user_version', { simple: true }) as number;
}

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}
