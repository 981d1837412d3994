// Helpers shared by the npm scripts (postinstall, start, test, bench). Plain Node, no dependencies.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: ROOT, ...opts });
  return r.status ?? (r.error ? 1 : 0);
}

export function onPath(cmd) {
  return spawnSync(process.platform === 'win32' ? 'where' : 'which', [cmd], { stdio: 'ignore' }).status === 0;
}

function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** True when out/ is missing or older than any source or build config. */
export function buildIsStale() {
  const marker = join(ROOT, 'out', 'main', 'cli.js');
  if (!existsSync(marker) || !existsSync(join(ROOT, 'out', 'renderer', 'index.html'))) return true;
  const built = statSync(marker).mtimeMs;
  const sources = Math.max(newestMtime(join(ROOT, 'src')), statSync(join(ROOT, 'electron.vite.config.ts')).mtimeMs);
  return sources > built;
}

export function buildApp() {
  const bin = join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
  return run(process.execPath, [bin, 'build']);
}

export function buildAppIfNeeded() {
  if (!buildIsStale()) return 0;
  console.log('[tokenunify] building the app (electron-vite build)…');
  return buildApp();
}
