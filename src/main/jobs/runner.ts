import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { AppError, type ErrorCode } from '../errors';
import { ERROR_CODES } from '../../shared/api/errors';
import type { Project } from '../store/project';
import { isTaskKind } from './tasks';
import type { JobInfo, JobState, WorkerData, WorkerMessage } from './types';
import { workerScript } from './worker-script';

const CANCEL_GRACE_MS = 15_000;

export interface StartOptions {
  title?: string;
  /** Called for every structured event the task emits. */
  onEvent?: (kind: string, data: unknown) => void;
}

interface RunningJob {
  info: JobInfo;
  project: Project | null;
  worker: Worker | null;
  params: unknown;
  onEvent?: (kind: string, data: unknown) => void;
  done: Promise<JobInfo>;
  settle: (info: JobInfo) => void;
  progressHistory: { t: number; f: number }[];
  killTimer?: NodeJS.Timeout;
}

export interface JobRunnerEvents {
  updated: [JobInfo];
  event: [{ jobId: string; kind: string; data: unknown }];
}

/**
 * Runs long work in worker threads, at most `concurrency` at a time, records every job in
 * its project's database, and reports progress (fraction, message, ETA) as events.
 */
export class JobRunner extends EventEmitter<JobRunnerEvents> {
  private readonly jobs = new Map<string, RunningJob>();
  private readonly queue: RunningJob[] = [];
  private active = 0;

  constructor(private readonly concurrency = 1) {
    super();
  }

  /** Marks jobs that were running when the app last stopped as interrupted. */
  static recoverInterrupted(project: Project): number {
    const r = project.db
      .prepare(`UPDATE jobs SET state = 'interrupted', message = 'the app stopped while this job ran', finished_at = ? WHERE state IN ('queued', 'running')`)
      .run(new Date().toISOString());
    return r.changes;
  }

  start(project: Project | null, kind: string, params: unknown, opts: StartOptions = {}): JobInfo {
    if (!isTaskKind(kind)) throw new AppError('BAD_REQUEST', `unknown job kind '${kind}'`);
    const info: JobInfo = {
      id: randomUUID(),
      kind,
      title: opts.title ?? kind,
      state: 'queued',
      progress: 0,
      message: 'waiting',
      etaSeconds: null,
      createdAt: new Date().toISOString(),
      startedAt: null,
      finishedAt: null,
      error: null,
      errorCode: null,
      result: null,
    };
    let settle!: (i: JobInfo) => void;
    const done = new Promise<JobInfo>((r) => (settle = r));
    const job: RunningJob = { info, project, worker: null, params, onEvent: opts.onEvent, done, settle, progressHistory: [] };
    this.jobs.set(info.id, job);
    project?.db
      .prepare('INSERT INTO jobs (id, kind, title, params, state, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(info.id, kind, info.title, JSON.stringify(params ?? {}), 'queued', info.createdAt);
    this.queue.push(job);
    this.emit('updated', { ...info });
    this.pump();
    return { ...info };
  }

  /** Resolves when the job ends, whatever its final state. */
  wait(id: string): Promise<JobInfo> {
    const job = this.jobs.get(id);
    if (!job) throw new AppError('NOT_FOUND', `no job ${id} in this session`);
    return job.done;
  }

  /** Starts a job and waits for it; throws an AppError when it fails or is cancelled. */
  async run<R>(project: Project | null, kind: string, params: unknown, opts: StartOptions = {}): Promise<R> {
    const info = await this.wait(this.start(project, kind, params, opts).id);
    if (info.state === 'succeeded') return info.result as R;
    throw jobError(info);
  }

  cancel(id: string): JobInfo {
    const job = this.jobs.get(id);
    if (!job) throw new AppError('NOT_FOUND', `no job ${id} in this session`);
    if (job.info.state === 'queued') {
      this.queue.splice(this.queue.indexOf(job), 1);
      this.finish(job, 'cancelled', { message: 'cancelled before it started' });
    } else if (job.info.state === 'running' && job.worker) {
      job.worker.postMessage({ type: 'cancel' });
      this.update(job, { message: 'cancelling…' });
      // A task that ignores cancellation is stopped after a grace period.
      job.killTimer = setTimeout(() => void job.worker?.terminate(), CANCEL_GRACE_MS);
    }
    return { ...job.info };
  }

  get(id: string): JobInfo | null {
    const job = this.jobs.get(id);
    return job ? { ...job.info } : null;
  }

  /** Jobs of this session, newest first. */
  list(project?: Project | null): JobInfo[] {
    return [...this.jobs.values()]
      .filter((j) => project === undefined || j.project === project)
      .map((j) => ({ ...j.info }))
      .reverse();
  }

  /** Cancels everything and waits for the workers to stop. */
  async shutdown(): Promise<void> {
    const pending = [...this.jobs.values()].filter((j) => j.info.state === 'running' || j.info.state === 'queued');
    for (const j of pending) this.cancel(j.info.id);
    await Promise.all(pending.map((j) => j.done));
  }

  private pump(): void {
    while (this.active < this.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.launch(job);
    }
  }

  private launch(job: RunningJob): void {
    this.active++;
    const script = workerScript();
    const data: WorkerData = { kind: job.info.kind, params: job.params, projectRoot: job.project?.root ?? null };
    const worker = new Worker(script.url, { workerData: { ...data, ...script.bootData } });
    job.worker = worker;
    const startedAt = new Date().toISOString();
    job.project?.db.prepare(`UPDATE jobs SET state = 'running', started_at = ? WHERE id = ?`).run(startedAt, job.info.id);
    this.update(job, { state: 'running', startedAt, message: 'starting' });
    let ended = false;
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') {
        this.recordProgress(job, m.fraction);
        this.update(job, { progress: m.fraction, message: m.message, etaSeconds: this.eta(job) });
      } else if (m.type === 'event') {
        job.onEvent?.(m.kind, m.data);
        this.emit('event', { jobId: job.info.id, kind: m.kind, data: m.data });
      } else if (m.type === 'done') {
        ended = true;
        this.finish(job, 'succeeded', { result: m.result, progress: 1, message: 'done' });
      } else if (m.type === 'failed') {
        ended = true;
        const cancelled = m.error.code === 'CANCELLED';
        this.finish(job, cancelled ? 'cancelled' : 'failed', {
          error: cancelled ? null : m.error.message,
          errorCode: m.error.code,
          message: cancelled ? 'cancelled' : m.error.message,
        });
      }
    });
    worker.on('error', (err) => {
      if (ended) return;
      ended = true;
      this.finish(job, 'failed', { error: err.message, errorCode: 'INTERNAL', message: err.message });
    });
    worker.on('exit', (code) => {
      if (ended) return;
      ended = true;
      const cancelled = job.info.message === 'cancelling…';
      this.finish(job, cancelled ? 'cancelled' : 'failed', {
        error: cancelled ? null : `worker exited with code ${code}`,
        errorCode: cancelled ? 'CANCELLED' : 'INTERNAL',
        message: cancelled ? 'cancelled (stopped)' : `worker exited with code ${code}`,
      });
    });
  }

  private recordProgress(job: RunningJob, f: number): void {
    const h = job.progressHistory;
    h.push({ t: Date.now(), f });
    if (h.length > 50) h.shift();
  }

  /** ETA from the progress rate over the recent window. */
  private eta(job: RunningJob): number | null {
    const h = job.progressHistory;
    if (h.length < 2) return null;
    const a = h[0];
    const b = h[h.length - 1];
    const rate = (b.f - a.f) / ((b.t - a.t) / 1000);
    if (!(rate > 0)) return null;
    return Math.max(0, (1 - b.f) / rate);
  }

  private update(job: RunningJob, patch: Partial<JobInfo>): void {
    Object.assign(job.info, patch);
    this.emit('updated', { ...job.info });
  }

  private finish(job: RunningJob, state: JobState, patch: Partial<JobInfo>): void {
    if (job.killTimer) clearTimeout(job.killTimer);
    const wasRunning = job.worker !== null;
    const finishedAt = new Date().toISOString();
    this.update(job, { ...patch, state, finishedAt, etaSeconds: null });
    try {
      if (job.project && !job.project.isClosed) {
        job.project.db
          .prepare('UPDATE jobs SET state = ?, progress = ?, message = ?, result = ?, error = ?, finished_at = ? WHERE id = ?')
          .run(state, job.info.progress, job.info.message, JSON.stringify(job.info.result ?? null), job.info.error, finishedAt, job.info.id);
      }
    } finally {
      if (job.worker) void job.worker.terminate();
      job.worker = null;
      if (wasRunning) this.active--;
      job.settle({ ...job.info });
      this.pump();
    }
  }
}

/** The AppError a finished, unsuccessful job stands for, keeping the task's error code. */
export function jobError(info: JobInfo): AppError {
  if (info.state === 'cancelled') return new AppError('CANCELLED', `${info.title} was cancelled`);
  const code = (ERROR_CODES as readonly string[]).includes(info.errorCode ?? '') ? (info.errorCode as ErrorCode) : 'INTERNAL';
  return new AppError(code, info.error ?? `${info.title} failed`);
}
