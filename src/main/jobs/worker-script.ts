import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot, runningFromSource } from '../paths';

export interface WorkerScript {
  url: URL;
  /** Extra workerData fields the script needs (the TS bootstrap's entry). */
  bootData: Record<string, string>;
}

/**
 * Where a worker's entry is: the bundled out/main/<name>.js, or when running from TypeScript
 * sources (tests, tsx) the source file loaded through a tsx bootstrap.
 */
export function workerScript(name = 'worker', sourceEntry = 'src/main/jobs/worker-entry.ts'): WorkerScript {
  const root = repoRoot();
  if (!runningFromSource()) {
    const built = join(root, 'out', 'main', `${name}.js`);
    if (existsSync(built)) return { url: pathToFileURL(built), bootData: {} };
  }
  return {
    url: pathToFileURL(join(root, 'src', 'main', 'jobs', 'ts-worker-boot.mjs')),
    bootData: {
      __entry: pathToFileURL(join(root, sourceEntry)).href,
      __tsxApi: pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'esm', 'api', 'index.mjs')).href,
    },
  };
}
