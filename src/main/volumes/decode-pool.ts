import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError, type ErrorCode } from '../errors';
import { workerScript, type WorkerScript } from '../jobs/worker-script';
import type { Vec3 } from './box';
import { viewAs, type DType } from './dtypes';
import type { Chunk } from './readers/types';

export interface DecodeRequest {
  id: number;
  uri: string;
  dataset?: string;
  level: number;
  coord: Vec3;
}

export type DecodeReply =
  | { id: number; ok: true; buffer: ArrayBuffer; shape: Vec3 }
  | { id: number; ok: false; code: ErrorCode | string; message: string };

interface Pending {
  resolve: (c: Chunk) => void;
  reject: (e: Error) => void;
  dtype: DType;
}

interface PoolWorker {
  worker: Worker;
  pending: Map<number, Pending>;
}

/** The decode worker's entry: out/main/volume-worker.js when built, else the TS source via tsx. */
function workerEntry(): WorkerScript | null {
  const script = workerScript('volume-worker', 'src/main/volumes/decode-worker.ts');
  // A bundle built without the volume-worker entry falls back to decoding inline.
  const entry = script.bootData.__entry ?? script.url.href;
  return existsSync(fileURLToPath(entry)) ? script : null;
}

/**
 * A few worker threads that decode chunks of external (in-place) layers, keeping decoding off
 * the main thread. Workers start on first use, are unref'd (they never keep the process
 * alive) and each keeps its own open readers.
 */
export class DecodePool {
  private readonly workers: PoolWorker[] = [];
  private nextId = 1;
  private readonly entry = workerEntry();

  constructor(readonly size = Math.max(1, Math.min(2, cpus().length - 1))) {}

  /** False when no worker entry exists (a bundle built without it): callers then decode inline. */
  get available(): boolean {
    return this.entry !== null;
  }

  readChunk(uri: string, dataset: string | undefined, dtype: DType, level: number, coord: Vec3): Promise<Chunk> {
    const w = this.pick();
    const id = this.nextId++;
    return new Promise<Chunk>((resolve, reject) => {
      w.pending.set(id, { resolve, reject, dtype });
      if (w.pending.size === 1) w.worker.ref();
      w.worker.postMessage({ id, uri, dataset, level, coord } satisfies DecodeRequest);
    });
  }

  private pick(): PoolWorker {
    if (!this.entry) throw new AppError('INTERNAL', 'the volume decode worker is not built (out/main/volume-worker.js)');
    if (this.workers.length < this.size) return this.spawn();
    return this.workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  }

  private spawn(): PoolWorker {
    const worker = new Worker(this.entry!.url, { workerData: this.entry!.bootData });
    const pw: PoolWorker = { worker, pending: new Map() };
    worker.unref();
    worker.on('message', (m: DecodeReply) => {
      const p = pw.pending.get(m.id);
      if (!p) return;
      pw.pending.delete(m.id);
      if (pw.pending.size === 0) worker.unref();
      if (m.ok) p.resolve({ data: viewAs(p.dtype, new Uint8Array(m.buffer)), shape: m.shape });
      else p.reject(new AppError(m.code as ErrorCode, m.message));
    });
    const fail = (err: Error) => {
      for (const p of pw.pending.values()) p.reject(new AppError('INTERNAL', `volume decode worker failed: ${err.message}`));
      pw.pending.clear();
      const i = this.workers.indexOf(pw);
      if (i >= 0) this.workers.splice(i, 1);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
    this.workers.push(pw);
    return pw;
  }

  async close(): Promise<void> {
    const ws = this.workers.splice(0);
    await Promise.all(ws.map((w) => w.worker.terminate()));
  }
}

let shared: DecodePool | null = null;

export function sharedDecodePool(): DecodePool {
  if (!shared) shared = new DecodePool();
  return shared;
}
