/**
 * A training run on disk and in the database: runs/<id>/last.safetensors (weights + AdamW
 * state, rewritten atomically), runs/<id>/best.safetensors (fine-tuning: best validation
 * score), runs/<id>/result.json once finished; table `training_runs` (state, step, best) and
 * `training_points` (the curves). Starting a run whose id exists resumes it from its last
 * checkpoint when its settings match.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError, CancelledError, isAppError } from '../errors';
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from '../ml/checkpoint/index';
import { PROJECT_DIRS, type Project } from '../store/project';

export type RunKind = 'pretrain' | 'finetune';
export type RunState = 'running' | 'stopped' | 'finished' | 'failed';

export interface RunInfo {
  id: string;
  kind: RunKind;
  state: RunState;
  step: number;
  totalSteps: number;
  best: Record<string, number> | null;
  modelId: string | null;
  message: string;
  params: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface CurvePoint {
  split: 'train' | 'val';
  step: number;
  data: Record<string, number>;
}

interface RunRow {
  id: string;
  kind: RunKind;
  state: RunState;
  params: string;
  step: number;
  total_steps: number;
  best: string | null;
  model_id: string | null;
  message: string;
  created_at: string;
  updated_at: string;
}

function fromRow(r: RunRow): RunInfo {
  return {
    id: r.id,
    kind: r.kind,
    state: r.state,
    step: r.step,
    totalSteps: r.total_steps,
    best: r.best ? JSON.parse(r.best) : null,
    modelId: r.model_id,
    message: r.message,
    params: JSON.parse(r.params),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Settings that may change between a run and its resumption without making it another run. */
const VOLATILE = new Set(['run', 'restart', 'steps', 'threads', 'scan', 'checkpointEvery', 'validateEvery', 'modelName', 'device']);

function fingerprintOf(params: Record<string, unknown>): string {
  const kept = Object.fromEntries(
    Object.entries(params)
      .filter(([k, v]) => !VOLATILE.has(k) && v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  return JSON.stringify(kept);
}

/** The id a run gets when none is given: kind + a hash of its settings, so rerunning resumes. */
export function defaultRunId(kind: RunKind, params: Record<string, unknown>): string {
  return `${kind}-${createHash('sha256').update(fingerprintOf(params)).digest('hex').slice(0, 10)}`;
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function listRuns(project: Project): RunInfo[] {
  return (project.db.prepare('SELECT * FROM training_runs ORDER BY created_at').all() as RunRow[]).map(fromRow);
}

export function getRun(project: Project, id: string): RunInfo | null {
  const r = project.db.prepare('SELECT * FROM training_runs WHERE id = ?').get(id) as RunRow | undefined;
  return r ? fromRow(r) : null;
}

export function runPoints(project: Project, id: string, split?: 'train' | 'val'): CurvePoint[] {
  const rows = (split
    ? project.db.prepare('SELECT split, step, data FROM training_points WHERE run_id = ? AND split = ? ORDER BY step').all(id, split)
    : project.db.prepare('SELECT split, step, data FROM training_points WHERE run_id = ? ORDER BY split, step').all(id)) as { split: 'train' | 'val'; step: number; data: string }[];
  return rows.map((r) => ({ split: r.split, step: r.step, data: JSON.parse(r.data) }));
}

export class TrainingRun {
  private constructor(
    private readonly project: Project,
    readonly id: string,
    readonly kind: RunKind,
    readonly dir: string,
  ) {}

  /**
   * Opens run `id` for training: creates it, or resumes it when it exists with the same
   * settings (`restart` discards it first). A finished run is returned as is.
   */
  static open(project: Project, o: { id: string; kind: RunKind; params: Record<string, unknown>; totalSteps: number; restart?: boolean }): TrainingRun {
    if (!ID_PATTERN.test(o.id)) throw new AppError('BAD_REQUEST', `run name '${o.id}' must be letters, digits, '.', '_' or '-' (at most 100)`);
    const dir = project.path(PROJECT_DIRS.runs, o.id);
    const existing = getRun(project, o.id);
    if (existing && o.restart) {
      project.db.prepare('DELETE FROM training_runs WHERE id = ?').run(o.id);
      rmSync(dir, { recursive: true, force: true });
    } else if (existing) {
      if (existing.kind !== o.kind) throw new AppError('CONFLICT', `run '${o.id}' is a ${existing.kind} run, not ${o.kind}; choose another name`);
      if (fingerprintOf(existing.params) !== fingerprintOf(o.params)) {
        throw new AppError('CONFLICT', `run '${o.id}' exists with other settings; resume it with the same settings, pass --restart to start it over, or choose another name`);
      }
    }
    mkdirSync(dir, { recursive: true });
    const now = new Date().toISOString();
    if (!existing || o.restart) {
      project.db
        .prepare('INSERT INTO training_runs (id, kind, state, params, step, total_steps, created_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?, ?)')
        .run(o.id, o.kind, 'running', JSON.stringify(o.params), o.totalSteps, now, now);
    } else if (existing.state !== 'finished' || existing.totalSteps !== o.totalSteps) {
      project.db
        .prepare(`UPDATE training_runs SET state = 'running', total_steps = ?, params = ?, message = '', updated_at = ? WHERE id = ?`)
        .run(o.totalSteps, JSON.stringify(o.params), now, o.id);
    }
    return new TrainingRun(project, o.id, o.kind, dir);
  }

  get info(): RunInfo {
    return getRun(this.project, this.id)!;
  }

  get lastPath(): string {
    return join(this.dir, 'last.safetensors');
  }

  get bestPath(): string {
    return join(this.dir, 'best.safetensors');
  }

  /** The resumable state, when a checkpoint exists. */
  loadLast(): Checkpoint | null {
    return existsSync(this.lastPath) ? loadCheckpoint(this.lastPath) : null;
  }

  /** Drops curve points after `step` (they are recomputed after resuming from it). */
  truncatePoints(step: number): void {
    this.project.db.prepare('DELETE FROM training_points WHERE run_id = ? AND step > ?').run(this.id, step);
  }

  recordPoint(p: CurvePoint): void {
    this.project.db.prepare('INSERT OR REPLACE INTO training_points (run_id, split, step, data) VALUES (?, ?, ?, ?)').run(this.id, p.split, p.step, JSON.stringify(p.data));
  }

  points(split?: 'train' | 'val'): CurvePoint[] {
    return runPoints(this.project, this.id, split);
  }

  private writeAtomic(path: string, ckpt: Checkpoint): void {
    const tmp = `${path}.tmp`;
    saveCheckpoint(tmp, ckpt);
    renameSync(tmp, path);
  }

  saveLast(ckpt: Checkpoint, step: number): void {
    this.writeAtomic(this.lastPath, ckpt);
    this.project.db.prepare('UPDATE training_runs SET step = ?, updated_at = ? WHERE id = ?').run(step, new Date().toISOString(), this.id);
  }

  saveBest(ckpt: Checkpoint, best: Record<string, number>): void {
    this.writeAtomic(this.bestPath, ckpt);
    this.project.db.prepare('UPDATE training_runs SET best = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(best), new Date().toISOString(), this.id);
  }

  setState(state: RunState, message = ''): void {
    this.project.db.prepare('UPDATE training_runs SET state = ?, message = ?, updated_at = ? WHERE id = ?').run(state, message, new Date().toISOString(), this.id);
  }

  /**
   * Runs the rest of a training job: a cancel marks the run 'stopped' (resumable), any other
   * failure 'failed' (resumable too, from the last checkpoint).
   */
  async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const cancelled = err instanceof CancelledError || (isAppError(err) && err.code === 'CANCELLED');
      const info = this.info;
      if (cancelled) this.setState('stopped', `stopped at step ${info.step}/${info.totalSteps}`);
      else this.setState('failed', (err as Error)?.message ?? String(err));
      throw err;
    }
  }

  setModel(modelId: string): void {
    this.project.db.prepare('UPDATE training_runs SET model_id = ? WHERE id = ?').run(modelId, this.id);
  }

  saveResult(result: unknown): void {
    this.writeJson('result.json', result);
  }

  writeJson(name: string, value: unknown): void {
    writeFileSync(join(this.dir, name), JSON.stringify(value, null, 2));
  }

  readJson<T>(name: string): T | null {
    const file = join(this.dir, name);
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : null;
  }

  /** The result of a finished run, or null. */
  loadResult<R>(): R | null {
    const info = this.info;
    return info.state === 'finished' ? this.readJson<R>('result.json') : null;
  }
}
