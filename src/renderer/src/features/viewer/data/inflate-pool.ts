import { inflateGzip } from '../core/inflate';

type Reply = { id: number; ok: true; out: Uint8Array } | { id: number; ok: false; message: string };

/**
 * A few workers that inflate gzip chunks, so decompressing a screenful of chunks never stalls
 * drawing or input. Falls back to inflating on the calling thread when workers are unavailable.
 */
export class InflatePool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (b: Uint8Array) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private turn = 0;

  constructor(size = Math.max(1, Math.min(4, (navigator.hardwareConcurrency || 2) - 1))) {
    try {
      for (let i = 0; i < size; i++) {
        const w = new Worker(new URL('./inflate-worker.ts', import.meta.url), { type: 'module' });
        w.onmessage = (e: MessageEvent<Reply>) => this.settle(e.data);
        w.onerror = () => this.failAll('an inflate worker failed');
        this.workers.push(w);
      }
    } catch {
      this.dispose();
    }
  }

  inflate(bytes: Uint8Array, expected: number): Promise<Uint8Array> {
    if (this.workers.length === 0) return inflateGzip(bytes, expected);
    // Transfer a buffer of exactly these bytes (the wire gives each chunk its own buffer).
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    const id = this.nextId++;
    const w = this.workers[this.turn++ % this.workers.length];
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, bytes: own.buffer, expected }, [own.buffer as ArrayBuffer]);
    });
  }

  dispose(): void {
    for (const w of this.workers) w.terminate();
    this.workers.length = 0;
    this.failAll('the viewer closed');
  }

  private settle(r: Reply): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if (r.ok) p.resolve(r.out);
    else p.reject(new Error(r.message));
  }

  private failAll(message: string): void {
    for (const p of this.pending.values()) p.reject(new Error(message));
    this.pending.clear();
  }
}
