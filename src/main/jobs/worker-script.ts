import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot, runningFromSource } from '../paths';

export interface WorkerScript {
  url: URL;
  execArgv: string[];
}

/**
 * Where the job worker's entry is: the bundled out/main/worker.js, or when running from
 * TypeScript sources (tests, tsx) the source file loaded through tsx.
 */
export function workerScript(): WorkerScript {
  const root = repoRoot();
  if (!runningFromSource()) {
    const built = join(root, 'out', 'main', 'worker.js');
    if (existsSync(built)) return { url: pathToFileURL(built), execArgv: [] };
  }
  const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  return {
    url: pathToFileURL(join(root, 'src', 'main', 'jobs', 'worker-entry.ts')),
    execArgv: ['--import', tsx],
  };
}
