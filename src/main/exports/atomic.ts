import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, rename, rm, stat, statfs } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { AppError, CancelledError, isAppError } from '../errors';

/**
 * Every export is written under a temporary name beside its target and renamed into place
 * only when complete, so a cancelled, failed or interrupted export never leaves a file that
 * looks finished. A full disk is reported as NO_SPACE.
 */

/** Messages of NO_SPACE errors start with this. */
export const NO_SPACE_PREFIX = 'no space left';

/** Below this many free bytes, a failed write is taken to be a full disk (libraries such as HDF5 hide errno). */
const NEARLY_FULL_BYTES = 256 * 1024;

export interface AtomicOutput {
  /** The final path. */
  path: string;
  /** Side files written next to the main output (e.g. `OUT.mapping.csv`), by final path. */
  sideFiles?: string[];
}

export interface AtomicOptions {
  overwrite?: boolean;
  signal?: AbortSignal;
}

function partialName(path: string): string {
  return join(dirname(path), `.${basename(path)}.partial-${randomBytes(4).toString('hex')}`);
}

/** Checks the destination before anything is written: its folder exists, the targets are free. */
export function checkDestination(out: AtomicOutput, opts: { overwrite?: boolean; existingMainOk?: boolean } = {}): void {
  const folder = dirname(out.path);
  if (!existsSync(folder)) throw new AppError('NOT_FOUND', `folder ${folder} does not exist`);
  for (const p of [...(opts.existingMainOk ? [] : [out.path]), ...(out.sideFiles ?? [])]) {
    if (existsSync(p) && !opts.overwrite) throw new AppError('CONFLICT', `${p} already exists; choose another name or allow overwriting`);
  }
}

async function freeBytes(dir: string): Promise<number | null> {
  try {
    const s = await statfs(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

export function isNoSpaceError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || (isAppError(err) && err.code === 'NO_SPACE');
}

export function noSpaceError(path: string, free: number | null): AppError {
  const left = free === null ? '' : ` (${(free / 1024).toFixed(0)} KiB free)`;
  return new AppError('NO_SPACE', `${NO_SPACE_PREFIX} on the disk holding ${dirname(path)}${left} while writing ${path}; nothing was written. Free some space or choose another folder.`);
}

/**
 * Runs `write(tmpPaths)` with temporary names for the main output and each side file, then
 * renames side files first and the main output last (a main output under its final name
 * implies complete side files). On failure or cancel every temporary is removed; a full disk
 * (ENOSPC, or a failure of the write itself while the disk has almost no space left, since
 * some libraries hide errno) becomes NO_SPACE.
 */
export async function writeAtomically<T>(out: AtomicOutput, opts: AtomicOptions, write: (tmp: { path: string; sideFiles: string[] }) => Promise<T>): Promise<T> {
  const path = resolve(out.path);
  const sides = (out.sideFiles ?? []).map((p) => resolve(p));
  const tmp = { path: partialName(path), sideFiles: sides.map(partialName) };
  const all = [tmp.path, ...tmp.sideFiles];
  const renamed: string[] = [];
  try {
    if (opts.signal?.aborted) throw new CancelledError();
    const result = await write(tmp);
    if (opts.signal?.aborted) throw new CancelledError();
    for (let i = 0; i < sides.length; i++) {
      if (!existsSync(tmp.sideFiles[i])) continue;
      if (opts.overwrite) await clearForRename(sides[i], tmp.sideFiles[i]);
      await rename(tmp.sideFiles[i], sides[i]);
      renamed.push(sides[i]);
    }
    if (opts.overwrite) await clearForRename(path, tmp.path);
    await rename(tmp.path, path);
    return result;
  } catch (err) {
    let failure = err;
    if (isNoSpaceError(err)) failure = noSpaceError(path, await freeBytes(dirname(path)));
    else if (!isAppError(err) || err.code === 'CORRUPT_FILE' || err.code === 'INTERNAL') {
      const free = await freeBytes(dirname(path));
      if (free !== null && free < NEARLY_FULL_BYTES) failure = noSpaceError(path, free);
    }
    // Side files already renamed belong to this failed export too.
    await Promise.all([...all, ...renamed].map((p) => rm(p, { recursive: true, force: true })));
    throw failure;
  }
}

/** rename() replaces a file by a file atomically, but not folders: a folder target, or any target of a folder, goes first. */
async function clearForRename(target: string, replacement: string): Promise<void> {
  const t = await stat(target).catch(() => null);
  if (!t) return;
  if (t.isDirectory() || (await stat(replacement)).isDirectory()) await rm(target, { recursive: true, force: true });
}

/** Bytes of a file, or of every file under a folder. */
export async function sizeOf(path: string): Promise<number> {
  const s = await stat(path);
  if (!s.isDirectory()) return s.size;
  let total = 0;
  for (const e of await readdir(path, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) total += (await stat(join(e.parentPath, e.name))).size;
  }
  return total;
}
