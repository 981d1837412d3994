#!/usr/bin/env node
// The `tokenunify` command: runs the built CLI (out/main/cli.js, made by `npm install` / `npm run build`),
// or the TypeScript sources through tsx when no build exists yet.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'out', 'main', 'cli.js');
const argv = process.argv.slice(2);

if (existsSync(built) && !process.env.TOKENUNIFY_FROM_SOURCE) {
  const { runCli } = await import(pathToFileURL(built).href);
  process.exitCode = await runCli(argv);
} else {
  const tsx = join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs');
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(tsx).href, join(root, 'src', 'main', 'cli', 'index.ts'), ...argv], {
    stdio: 'inherit',
  });
  process.exitCode = r.status ?? 1;
}
