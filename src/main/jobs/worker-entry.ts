import { parentPort, workerData } from 'node:worker_threads';
import { CancelledError, isAppError } from '../errors';
import { TASKS } from './tasks';
import type { RunnerMessage, TaskContext, WorkerData, WorkerMessage } from './types';

/** Entry of every job worker thread: runs one task and reports back to the runner. */
async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('worker-entry must run in a worker thread');
  const data = workerData as WorkerData;
  const post = (m: WorkerMessage) => port.postMessage(m);
  const abort = new AbortController();
  port.on('message', (m: RunnerMessage) => {
    if (m.type === 'cancel') abort.abort();
  });

  let lastSent = 0;
  let pending: { fraction: number; message: string } | null = null;
  const flush = () => {
    if (pending) post({ type: 'progress', ...pending });
    pending = null;
    lastSent = Date.now();
  };
  const ctx: TaskContext = {
    signal: abort.signal,
    projectRoot: data.projectRoot,
    progress(fraction, message = '') {
      pending = { fraction: Math.min(1, Math.max(0, fraction)), message };
      if (Date.now() - lastSent >= 100 || fraction >= 1) flush();
    },
    emit(kind, payload) {
      post({ type: 'event', kind, data: payload });
    },
    throwIfCancelled() {
      if (abort.signal.aborted) throw new CancelledError();
    },
  };

  try {
    const load = TASKS[data.kind];
    if (!load) throw new Error(`unknown job kind '${data.kind}'`);
    const task = await load();
    const result = await task(data.params, ctx);
    flush();
    post({ type: 'done', result });
  } catch (err) {
    flush();
    const cancelled = abort.signal.aborted || err instanceof CancelledError;
    post({
      type: 'failed',
      error: {
        code: cancelled ? 'CANCELLED' : isAppError(err) ? err.code : 'INTERNAL',
        message: cancelled ? 'cancelled' : (err as Error)?.message ?? String(err),
      },
    });
  }
}

void main();
