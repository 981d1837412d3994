import { randomUUID } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { AppError } from '../errors';
import { openProjectDatabase, schemaVersion, type Database } from './database';
import { ProjectLock } from './lock';

export const PROJECT_DB = 'project.sqlite';
const LOCK_FILE = '.lock';

/** Sub-folders of a project folder; each domain keeps its files in its own. */
export const PROJECT_DIRS = { volumes: 'volumes', models: 'models', runs: 'runs', exports: 'exports', tmp: 'tmp' } as const;

export interface ProjectSummary {
  id: string;
  name: string;
  path: string;
  createdAt: string;
  schemaVersion: number;
}

/**
 * An open project: a folder holding project.sqlite plus data folders, locked for
 * exclusive use while open. All access to a project's files goes through this handle.
 */
export class Project {
  private closed = false;

  private constructor(
    readonly root: string,
    readonly db: Database,
    private readonly lock: ProjectLock,
  ) {}

  static create(dir: string, name?: string): Project {
    const root = resolve(dir);
    if (existsSync(join(root, PROJECT_DB))) {
      throw new AppError('CONFLICT', `${root} already holds a project; open it instead`);
    }
    if (existsSync(root)) {
      if (!statSync(root).isDirectory()) throw new AppError('BAD_REQUEST', `${root} exists and is not a folder`);
      const entries = readdirSync(root).filter((e) => !e.startsWith('.'));
      if (entries.length > 0) throw new AppError('CONFLICT', `${root} is not empty; choose an empty or new folder for the project`);
    }
    try {
      mkdirSync(root, { recursive: true });
    } catch (err) {
      throw new AppError('READ_ONLY', `cannot create project folder ${root}: ${(err as Error).message}`);
    }
    assertWritable(root);
    const lock = ProjectLock.acquire(join(root, LOCK_FILE));
    try {
      for (const d of Object.values(PROJECT_DIRS)) mkdirSync(join(root, d), { recursive: true });
      const db = openProjectDatabase(join(root, PROJECT_DB), { create: true });
      const now = new Date().toISOString();
      const setMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
      db.transaction(() => {
        setMeta.run('id', randomUUID());
        setMeta.run('name', name?.trim() || basename(root));
        setMeta.run('created_at', now);
      })();
      return new Project(root, db, lock);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  static open(dir: string): Project {
    const root = resolve(dir);
    if (!existsSync(root)) throw new AppError('NOT_FOUND', `project folder ${root} does not exist`);
    if (!statSync(root).isDirectory()) throw new AppError('NOT_A_PROJECT', `${root} is a file, not a project folder`);
    if (!existsSync(join(root, PROJECT_DB))) {
      throw new AppError('NOT_A_PROJECT', `${root} is not a TokenUnify project (no ${PROJECT_DB})`);
    }
    assertWritable(root);
    const lock = ProjectLock.acquire(join(root, LOCK_FILE));
    try {
      const db = openProjectDatabase(join(root, PROJECT_DB), { create: false });
      for (const d of Object.values(PROJECT_DIRS)) mkdirSync(join(root, d), { recursive: true });
      const project = new Project(root, db, lock);
      project.meta('id'); // a database without project metadata is not ours
      return project;
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /**
   * Read-only view of a project for inspection (CLI `info`): takes no lock, migrates nothing,
   * so it works while the project is open elsewhere. Writes through it fail.
   */
  static inspect(dir: string): Project {
    const root = resolve(dir);
    if (!existsSync(join(root, PROJECT_DB))) {
      throw new AppError(existsSync(root) ? 'NOT_A_PROJECT' : 'NOT_FOUND', `${root} is not a TokenUnify project (no ${PROJECT_DB})`);
    }
    const db = openProjectDatabase(join(root, PROJECT_DB), { create: false, readOnly: true });
    const project = new Project(root, db, ProjectLock.none());
    project.meta('id');
    return project;
  }

  /**
   * A second connection to a project already open (and locked) in this process, for worker
   * threads. Refuses when the lock is not held by this process.
   */
  static attach(dir: string): Project {
    const root = resolve(dir);
    const db = openProjectDatabase(join(root, PROJECT_DB), { create: false });
    return new Project(root, db, ProjectLock.borrowed(join(root, LOCK_FILE)));
  }

  get id(): string {
    return this.meta('id');
  }

  get name(): string {
    return this.meta('name');
  }

  meta(key: string): string {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    if (!row) throw new AppError('PROJECT_CORRUPT', `project ${this.root} has no '${key}' metadata`);
    return row.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  summary(): ProjectSummary {
    return {
      id: this.id,
      name: this.name,
      path: this.root,
      createdAt: this.meta('created_at'),
      schemaVersion: schemaVersion(this.db),
    };
  }

  /** Absolute path of a file or folder inside the project. */
  path(...parts: string[]): string {
    return join(this.root, ...parts);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      if (!this.db.readonly) this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // Another connection (a worker) may hold the WAL; SQLite checkpoints on its next open.
    } finally {
      this.db.close();
      this.lock.release();
    }
  }
}

function assertWritable(root: string): void {
  try {
    accessSync(root, constants.W_OK);
  } catch {
    throw new AppError('READ_ONLY', `project folder ${root} is read-only; copy it somewhere writable to open it`);
  }
}
