import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

/**
 * The checkout (or unpacked app) root: the nearest folder above this module that holds
 * package.json. Works from source (vitest, tsx) and from the bundle in out/main.
 */
export function repoRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return (root = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot locate the application root (no package.json above the code)');
    dir = parent;
  }
}

/** True when running TypeScript sources directly (vitest, tsx) rather than the built bundle. */
export function runningFromSource(): boolean {
  return import.meta.url.endsWith('.ts');
}
