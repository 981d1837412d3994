import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths';

let version: string | null = null;

export function appVersion(): string {
  version ??= (JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
