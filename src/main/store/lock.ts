import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
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
 * An exclusive lock on a project folder (`.lock`, created with O_EXCL). A lock left by a
 * process on this host that no longer runs is taken over; any other holder is reported.
 */
export class ProjectLock {
  private released = false;

  private constructor(private readonly file: string) {}

  static acquire(file: string): ProjectLock {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx');
        const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
        writeSync(fd, JSON.stringify(owner));
        closeSync(fd);
        return new ProjectLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const owner = readOwner(file);
        if (owner && owner.host === hostname() && (owner.pid === process.pid || !alive(owner.pid))) {
          if (owner.pid === process.pid) {
            throw new AppError('PROJECT_LOCKED', `project is already open in this process (${file})`);
          }
          rmSync(file, { force: true }); // stale lock from a crashed process
          continue;
        }
        const who = owner ? `process ${owner.pid} on ${owner.host} since ${owner.since}` : 'another process';
        throw new AppError('PROJECT_LOCKED', `project is already open in ${who}; close it there first (lock file ${file})`);
      }
    }
    throw new AppError('PROJECT_LOCKED', `could not lock ${file}`);
  }

  /** The lock held by this process, as seen from a worker thread; releasing it is a no-op. */
  static borrowed(file: string): ProjectLock {
    const owner = readOwner(file);
    if (!owner || owner.pid !== process.pid || owner.host !== hostname()) {
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

function readOwner(file: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
    return typeof o.pid === 'number' ? o : null;
  } catch {
    return null;
  }
}
