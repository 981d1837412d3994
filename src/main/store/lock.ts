import { closeSync, linkSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { hostname } from 'node:os';
import { AppError } from '../errors';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An exclusive lock on a project folder (`.lock`). The owner record is written to a private
 * file first and then hard-linked to `.lock`, which fails if `.lock` exists: the lock appears
 * with its owner in one step, so a process killed while locking never leaves an anonymous lock.
 * A lock left by a process on this host that no longer runs is taken over; any other holder is
 * reported.
 */
export class ProjectLock {
  private released = false;

  private constructor(private readonly file: string) {}

  static acquire(file: string): ProjectLock {
    removeStaleDrafts(file);
    const record = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() } satisfies LockOwner);
    const draft = `${file}.${hostname()}.${process.pid}.draft`;
    writeFileSync(draft, record);
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          publish(draft, file, record);
          return new ProjectLock(file);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          removeStaleLock(file);
        }
      }
      throw new AppError('PROJECT_LOCKED', `could not lock ${file}`);
    } finally {
      rmSync(draft, { force: true });
    }
  }

  /** The lock held by this process, as seen from a worker thread; releasing it is a no-op. */
  static borrowed(file: string): ProjectLock {
    const owner = readOwner(file);
    if (!owner || owner === 'empty' || owner.pid !== process.pid || owner.host !== hostname()) {
      throw new AppError('PROJECT_LOCKED', `a worker may only attach to a project its own process holds open (${file})`);
    }
    const lock = new ProjectLock(file);
    lock.released = true;
    return lock;
  }

  /** No lock at all, for read-only inspection. */
  static none(): ProjectLock {
    const lock = new ProjectLock('');
    lock.released = true;
    return lock;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    rmSync(this.file, { force: true });
  }
}

/**
 * Creates `file` holding `text`, failing with EEXIST if it exists: a hard link to the written
 * draft where the file system has hard links; otherwise (FAT/exFAT drives, some network
 * shares) an exclusive create followed by the write, where a kill in between leaves an empty
 * lock, which the next opener takes over.
 */
function publish(draft: string, file: string, text: string): void {
  try {
    linkSync(draft, file);
  } catch (err) {
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    const fd = openSync(file, 'wx');
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Removes a lock left by a process that is gone: one on this host that no longer runs, or an
 * empty lock (see readOwner). Any other holder is reported as an error naming it.
 */
function removeStaleLock(file: string): void {
  const holder = readOwner(file);
  const here = holder !== null && holder !== 'empty' && holder.host === hostname();
  if (here && holder.pid === process.pid) {
    throw new AppError('PROJECT_LOCKED', `project is already open in this process (${file})`);
  }
  if (holder === 'empty' || (here && !alive(holder.pid))) {
    rmSync(file, { force: true }); // stale lock from a crashed process
    return;
  }
  const who = holder ? `process ${holder.pid} on ${holder.host} since ${holder.since}` : 'another process (unreadable lock file)';
  throw new AppError('PROJECT_LOCKED', `project is already open in ${who}; close it there first (lock file ${file})`);
}

const EMPTY_LOCK_GRACE_MS = 3000;

/**
 * The lock's owner; 'empty' for a zero-length lock older than a few seconds, which only a
 * process killed between creating and writing it leaves (see publish), so it is stale.
 */
function readOwner(file: string): LockOwner | 'empty' | null {
  try {
    const text = readFileSync(file, 'utf8');
    // Seconds old: not a holder still between creating and writing it.
    if (text.length === 0 && statSync(file).mtimeMs < Date.now() - EMPTY_LOCK_GRACE_MS) return 'empty';
    const o = JSON.parse(text) as LockOwner;
    return typeof o.pid === 'number' ? o : null;
  } catch {
    return null;
  }
}

/** Drafts of processes on this host that died between writing a draft and removing it. */
function removeStaleDrafts(file: string): void {
  const dir = dirname(file);
  const prefix = `${basename(file)}.${hostname()}.`; // drafts of other hosts are theirs to clean
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = name.startsWith(prefix) && name.endsWith('.draft') ? Number(name.slice(prefix.length, -'.draft'.length)) : NaN;
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) rmSync(join(dir, name), { force: true });
  }
}
