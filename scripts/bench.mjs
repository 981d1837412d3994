// `npm run bench [name…]`: runs the benchmarks in bench/*.bench.ts (all, or those whose file
// name contains one of the given words). Benchmarks print ratios against baselines measured in
// the same run, plus absolute numbers and a description of the machine.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildAppIfNeeded, ROOT, run } from './lib.mjs';

const filters = process.argv.slice(2);
const benches = readdirSync(join(ROOT, 'bench'))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)))
  .sort();
if (benches.length === 0) {
  console.error(`no benchmark matches ${filters.join(', ')}`);
  process.exit(2);
}
if (buildAppIfNeeded() !== 0) process.exit(1);
const tsx = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
let failed = 0;
for (const b of benches) {
  console.log(`\n=== ${b} ===`);
  if (run(process.execPath, ['--import', tsx, '--expose-gc', join('bench', b)]) !== 0) failed++;
}
process.exit(failed ? 1 : 0);
