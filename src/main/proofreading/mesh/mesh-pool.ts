import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { workerScript } from '../../jobs/worker-script';
import type { MeshPiece } from './surface-nets';
import type { MeshJob, MeshReply } from './mesh-worker';

const IDLE_MS = 30_000;

interface Slot {
  worker: Worker;
  busy: number;
  idleTimer: NodeJS.Timeout | null;
}

/**
 * Worker threads that run surface nets off the main thread. Started on first use, stopped
 * after a while without work; never keeps the process alive.
 */
export class MeshPool {
  private slots: Slot[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (p: MeshPiece) => void; reject: (e: Error) => void; slot: Slot }>();

  constructor(private readonly size = Math.max(1, Math.min(4, cpus().length))) {}

  private spawn(): Slot {
    const script = workerScript('proofreading-mesh', 'src/main/proofreading/mesh/mesh-worker.ts');
    const worker = new Worker(script.url, { workerData: { ...script.bootData } });
    worker.unref();
    const slot: Slot = { worker, busy: 0, idleTimer: null };
    worker.on('message', (r: MeshReply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      this.release(slot);
      if (r.ok) p.resolve({ positions: r.positions, normals: r.normals, indices: r.indices });
      else p.reject(new Error(`meshing failed: ${r.error}`));
    });
    const fail = (err: Error) => {
      this.slots = this.slots.filter((s) => s !== slot);
      for (const [id, p] of this.pending) {
        if (p.slot !== slot) continue;
        this.pending.delete(id);
        p.reject(err);
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`mesh worker exited with code ${code}`)));
    this.slots.push(slot);
    return slot;
  }

  private pick(): Slot {
    const free = this.slots.find((s) => s.busy === 0);
    if (free) return free;
    if (this.slots.length < this.size) return this.spawn();
    return this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
  }

  private release(slot: Slot): void {
    slot.busy--;
    if (slot.busy === 0) {
      slot.idleTimer = setTimeout(() => {
        if (slot.busy === 0) {
          this.slots = this.slots.filter((s) => s !== slot);
          void slot.worker.terminate();
        }
      }, IDLE_MS);
      slot.idleTimer.unref();
    }
  }

  run(job: Omit<MeshJob, 'id'>): Promise<MeshPiece> {
    const slot = this.pick();
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    slot.idleTimer = null;
    slot.busy++;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot });
      slot.worker.postMessage({ ...job, id }, [job.labels.buffer as ArrayBuffer]);
    });
  }

  close(): void {
    for (const s of this.slots) {
      if (s.idleTimer) clearTimeout(s.idleTimer);
      void s.worker.terminate();
    }
    this.slots = [];
  }
}
