// Worker bootstrap used only when running from TypeScript sources (tests, tsx): Node 20 does not
// apply `--import` loaders to worker threads, so register tsx here, then load the real entry.
import { workerData } from 'node:worker_threads';

const { register } = await import(workerData.__tsxApi);
register();
await import(workerData.__entry);
