// `npm test`: builds the app when sources changed (the e2e tests drive the built app), then runs
// the unit tests and the end-to-end tests. Extra arguments go to vitest.
import { join } from 'node:path';
import { buildAppIfNeeded, ROOT, run } from './lib.mjs';

if (buildAppIfNeeded() !== 0) process.exit(1);
const vitest = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
const extra = process.argv.slice(2);
const status = run(process.execPath, [vitest, 'run', ...extra]);
process.exit(status);
