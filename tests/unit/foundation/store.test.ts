import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { spawn, spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/main/store/database';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../../src/main/store/migrations/index';
import { Project, PROJECT_DB } from '../../../src/main/store/project';
import { ProjectLock } from '../../../src/main/store/lock';

const tsxLoader = pathToFileURL(join(process.cwd(), 'node_modules/tsx/dist/loader.mjs')).href;
const dirs: string[] = [];
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'tu-store-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) {
    try {
      chmodSync(d, 0o755);
    } catch {}
    rmSync(d, { recursive: true, force: true });
  }
});

/** Snapshot of a folder's files and their contents, to prove nothing changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, f);
    out[f] = statSync(p).isFile() ? readFileSync(p).toString('base64') : '<dir>';
  }
  return out;
}

describe('project store', () => {
  it('creates a project folder with WAL, foreign keys and the latest schema', () => {
    const dir = join(scratch(), 'p');
    const p = Project.create(dir, 'My volume');
    expect(p.summary()).toMatchObject({ name: 'My volume', path: dir, schemaVersion: LATEST_SCHEMA_VERSION });
    expect(p.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(p.db.pragma('foreign_keys', { simple: true })).toBe(1);
    for (const sub of ['volumes', 'models', 'exports']) expect(existsSync(join(dir, sub))).toBe(true);
    const id = p.id;
    p.close();
    const again = Project.open(dir);
    expect(again.id).toBe(id);
    again.close();
  });

  it('enforces foreign keys (segments cascade with their layer)', () => {
    const p = Project.create(join(scratch(), 'p'));
    const now = new Date().toISOString();
    p.db.prepare(`INSERT INTO layers (id, name, kind, source, uri, format, dtype, shape, resolution, created_at) VALUES ('L1','seg','labels','store','x','ome-zarr','uint32','[1,1,1]','[1,1,1]',?)`).run(now);
    p.db.prepare(`INSERT INTO segments (layer_id, id) VALUES ('L1', 5)`).run();
    expect(() => p.db.prepare(`INSERT INTO segments (layer_id, id) VALUES ('nope', 1)`).run()).toThrow(/FOREIGN KEY/);
    p.db.prepare(`DELETE FROM layers WHERE id = 'L1'`).run();
    expect(p.db.prepare('SELECT COUNT(*) AS n FROM segments').get()).toEqual({ n: 0 });
    p.close();
  });

  it('applies pending migrations in order and only once', () => {
    const db = new BetterSqlite3(':memory:');
    expect(migrate(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_m, i) => i + 1));
    expect(migrate(db)).toBe(LATEST_SCHEMA_VERSION); // idempotent
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type='table'`).all().map((r) => (r as { name: string }).name);
    expect(tables).toEqual(expect.arrayContaining(['meta', 'layers', 'segments', 'annotations', 'edits', 'jobs', 'models']));
  });

  it('rolls a failing migration back as a whole', () => {
    const db = new BetterSqlite3(':memory:');
    const bad = { version: 1, name: 'half', up: (d: typeof db) => d.exec('CREATE TABLE a (x); CREATE TABLE a (y);') };
    expect(() => db.transaction(() => { bad.up(db); db.pragma('user_version = 1'); })()).toThrow();
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    expect(db.prepare(`SELECT COUNT(*) AS n FROM sqlite_master WHERE name='a'`).get()).toEqual({ n: 0 });
  });

  it('refuses a folder that is not a project, and a missing folder, changing nothing', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    const before = snapshot(dir);
    expect(() => Project.open(dir)).toThrow(/not a TokenUnify project/);
    expect(() => Project.open(join(dir, 'absent'))).toThrow(/does not exist/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses a corrupt database without touching it', () => {
    const dir = scratch();
    writeFileSync(join(dir, PROJECT_DB), Buffer.from('SQLite format 3\0' + 'garbage'.repeat(200)));
    const before = snapshot(dir);
    expect(() => Project.open(dir)).toThrow(expect.objectContaining({ code: 'PROJECT_CORRUPT' }));
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses a database from a newer app version without touching it', () => {
    const dir = join(scratch(), 'p');
    Project.create(dir).close();
    const db = new BetterSqlite3(join(dir, PROJECT_DB));
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 5}`);
    db.close();
    const before = snapshot(dir);
    expect(() => Project.open(dir)).toThrow(expect.objectContaining({ code: 'PROJECT_TOO_NEW' }));
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses a read-only folder with a clear message and changes nothing', () => {
    const dir = join(scratch(), 'p');
    Project.create(dir).close();
    chmodSync(dir, 0o555);
    chmodSync(join(dir, '..'), 0o755);
    const before = snapshot(dir);
    // Root ignores permission bits, so run the attempt as an unprivileged user in that case -
    // after loading the code, which may sit in a folder only root can read (e.g. a mktemp clone).
    const asUser = process.getuid?.() === 0 ? 'process.setgid(65534); process.setuid(65534);' : '';
    const script = `
      const { Project } = await import(${JSON.stringify(new URL('../../../src/main/store/project.ts', import.meta.url).href)});
      ${asUser}
      try { Project.open(${JSON.stringify(dir)}); console.log('OPENED'); } catch (e) { console.log(e.code + ': ' + e.message); }`;
    const r = spawnSync(process.execPath, ['--import', tsxLoader, '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stdout.trim(), r.stderr).toMatch(/^READ_ONLY: project folder .* is read-only/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('allows one holder at a time and takes over a stale lock', () => {
    const dir = join(scratch(), 'p');
    const p = Project.create(dir);
    expect(() => Project.open(dir)).toThrow(expect.objectContaining({ code: 'PROJECT_LOCKED' }));
    p.close();
    // A lock left by a process that no longer runs is stale.
    writeFileSync(join(dir, '.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), since: 'x' }));
    const q = Project.open(dir);
    q.close();
    // A lock held by a live process on another host is respected.
    writeFileSync(join(dir, '.lock'), JSON.stringify({ pid: 1, host: 'another-machine', since: 'x' }));
    expect(() => Project.open(dir)).toThrow(/another-machine/);
  });

  it('never leaves an anonymous lock: an empty lock file and drafts of dead processes are stale', () => {
    const dir = join(scratch(), 'p');
    Project.create(dir).close();
    // What a process killed between creating and writing the lock leaves (the old scheme, and
    // file systems without hard links): taken over once it is seconds old, not before.
    writeFileSync(join(dir, '.lock'), '');
    expect(() => Project.open(dir)).toThrow(/unreadable lock file/);
    utimesSync(join(dir, '.lock'), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const deadDraft = join(dir, `.lock.${hostname()}.${2 ** 22 + 12345}.draft`);
    writeFileSync(deadDraft, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), since: 'x' }));
    const p = Project.open(dir);
    expect(JSON.parse(readFileSync(join(dir, '.lock'), 'utf8')).pid).toBe(process.pid);
    expect(readdirSync(dir).filter((n) => n.endsWith('.draft'))).toEqual([]);
    // The owner is in the lock file from the moment it exists, so a second opener names it.
    expect(() => Project.open(dir)).toThrow(/already open in this process/);
    p.close();
    expect(existsSync(join(dir, '.lock'))).toBe(false);
    // Unreadable content is not taken over: it says so instead.
    writeFileSync(join(dir, '.lock'), '{not json');
    expect(() => Project.open(dir)).toThrow(/unreadable lock file/);
  });

  it('a process killed at any moment while locking leaves a lock the next opener can take over', async () => {
    const file = join(scratch(), '.lock');
    // The child locks and unlocks as fast as it can, so a kill lands inside acquire() often.
    const script = `
      const { ProjectLock } = await import(${JSON.stringify(pathToFileURL(join(process.cwd(), 'src/main/store/lock.ts')).href)});
      console.log('LOOPING');
      for (;;) ProjectLock.acquire(${JSON.stringify(file)}).release();`;
    for (let kill = 0; kill < 12; kill++) {
      const child = spawn(process.execPath, ['--import', tsxLoader, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), 5 + kill * 3));
        child.once('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child ended without being killed (${signal})`))));
      });
      ProjectLock.acquire(file).release();
      expect(readdirSync(join(file, '..'))).toEqual([]);
    }
  }, 60_000);

  it('inspects a project without locking it, also while it is open', () => {
    const dir = join(scratch(), 'p');
    const p = Project.create(dir, 'Open one');
    const view = Project.inspect(dir);
    expect(view.name).toBe('Open one');
    expect(() => view.db.prepare(`INSERT INTO meta (key, value) VALUES ('x', 'y')`).run()).toThrow(/readonly/);
    view.close();
    p.close();
  });

  it('will not create a project inside a non-empty folder or over an existing one', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'data.tif'), 'x');
    expect(() => Project.create(dir)).toThrow(/not empty/);
    const p = join(scratch(), 'p');
    Project.create(p).close();
    expect(() => Project.create(p)).toThrow(/already holds a project/);
  });
});
