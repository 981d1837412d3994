/** What a task running in a worker thread sees of the job that runs it. */
export interface TaskContext {
  /** Aborted when the user cancels the job. */
  readonly signal: AbortSignal;
  /** Root folder of the project the job belongs to (null for project-less jobs). */
  readonly projectRoot: string | null;
  /** Reports progress in [0, 1] with a short message; cheap to call often (throttled). */
  progress(fraction: number, message?: string): void;
  /** Sends a structured event to listeners (e.g. a training curve point). */
  emit(kind: string, data: unknown): void;
  /** Throws CancelledError when the job was cancelled. */
  throwIfCancelled(): void;
}

export type TaskFn<P = unknown, R = unknown> = (params: P, ctx: TaskContext) => Promise<R>;

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export interface JobInfo {
  id: string;
  kind: string;
  title: string;
  state: JobState;
  progress: number;
  message: string;
  etaSeconds: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  /** The AppError code of a failure (e.g. NO_SPACE, CANCELLED), so callers can react to its kind. */
  errorCode: string | null;
  result: unknown;
}

/** Messages from a job worker to the runner. */
export type WorkerMessage =
  | { type: 'progress'; fraction: number; message: string }
  | { type: 'event'; kind: string; data: unknown }
  | { type: 'done'; result: unknown }
  | { type: 'failed'; error: { code: string; message: string } };

/** Messages from the runner to a job worker. */
export type RunnerMessage = { type: 'cancel' };

export interface WorkerData {
  kind: string;
  params: unknown;
  projectRoot: string | null;
}
