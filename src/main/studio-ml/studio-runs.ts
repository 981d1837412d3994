/**
 * Fine-tuning runs launched from the app: a record next to the pipeline's run folder
 * (runs/<run>/studio.json) holding the proofread layers, the training-data summary, the device
 * and the exact pipeline request, so a paused run resumes with identical settings; plus the
 * session's map from runs to the jobs training them (pause = cancel the job: the pipeline
 * saves a checkpoint and marks the run stopped).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FinetuneRequest } from '../../shared/api/pipeline';
import type { StudioRun } from '../../shared/api/studio-ml';
import type { JobInfo } from '../../shared/api/jobs';
import { AppError } from '../errors';
import { getRun, listRuns, type RunInfo } from '../pipeline/runs';
import { PROJECT_DIRS, type Project } from '../store/project';
import type { Box } from '../volumes/box';

export interface StudioRunRecord {
  run: string;
  labels: string;
  image: string;
  init: string | null;
  device: string;
  /** Boxes of the label layer when the run was created (the snapshot's dense regions). */
  boxes: Box[];
  summary: { labeledVoxels: number; objects: number; doneSegments: number; boxes: number };
  /** The pipeline.finetune request (labels and mask point at the run's snapshot). */
  pipeline: FinetuneRequest & { run: string };
  createdAt: string;
}

const RUN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function runDir(project: Project, run: string): string {
  if (!RUN_NAME.test(run)) throw new AppError('BAD_REQUEST', `run name '${run}' must be letters, digits, '.', '_' or '-' (at most 100)`);
  return project.path(PROJECT_DIRS.runs, run);
}

export function snapshotDir(project: Project, run: string): string {
  return join(runDir(project, run), 'training-data');
}

export function saveStudioRecord(project: Project, rec: StudioRunRecord): void {
  const dir = runDir(project, rec.run);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'studio.json'), JSON.stringify(rec, null, 2));
}

export function loadStudioRecord(project: Project, run: string): StudioRunRecord | null {
  const file = join(runDir(project, run), 'studio.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as StudioRunRecord) : null;
}

/** A fresh run name: finetune-YYYYMMDD-HHMMSS (with a suffix if taken). */
export function newRunName(project: Project, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const base = `finetune-${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  let name = base;
  for (let i = 2; runExists(project, name); i++) name = `${base}-${i}`;
  return name;
}

export function runExists(project: Project, run: string): boolean {
  return getRun(project, run) !== null || existsSync(runDir(project, run));
}

/** Jobs training runs in this session, per project. */
const activeJobs = new WeakMap<Project, Map<string, string>>();

export function trackRunJob(project: Project, run: string, jobId: string): void {
  let m = activeJobs.get(project);
  if (!m) activeJobs.set(project, (m = new Map()));
  m.set(run, jobId);
}

export function runJobId(project: Project, run: string): string | null {
  return activeJobs.get(project)?.get(run) ?? null;
}

function isActive(j: JobInfo | null): boolean {
  return !!j && (j.state === 'running' || j.state === 'queued');
}

/**
 * The project's training runs with their studio records and live jobs. A run left 'running'
 * without a job (the app stopped during training) is reported as stopped: it resumes from its
 * last checkpoint. A studio run whose job never reached training has no pipeline row yet and
 * is reported from its record.
 */
export function listStudioRuns(project: Project, jobOf: (id: string) => JobInfo | null): StudioRun[] {
  const rows = listRuns(project);
  const known = new Set(rows.map((r) => r.id));
  const out: StudioRun[] = rows.map((r) => decorate(project, r, jobOf));
  const dir = project.path(PROJECT_DIRS.runs);
  if (existsSync(dir)) {
    for (const rec of studioRecords(project).filter((x) => !known.has(x.run))) {
      const jobId = runJobId(project, rec.run);
      const job = jobId ? jobOf(jobId) : null;
      const live = job && isActive(job) ? job : null;
      out.push({
        id: rec.run,
        kind: 'finetune',
        state: live ? 'running' : 'failed',
        step: 0,
        totalSteps: rec.pipeline.steps ?? 0,
        best: null,
        modelId: null,
        message: live ? live.message : (job?.error ?? 'preparing the training data did not finish'),
        params: rec.pipeline as Record<string, unknown>,
        createdAt: rec.createdAt,
        updatedAt: rec.createdAt,
        job: live,
        studio: studioPart(rec),
      });
    }
  }
  return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

function studioRecords(project: Project): StudioRunRecord[] {
  const dir = project.path(PROJECT_DIRS.runs);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && RUN_NAME.test(d.name))
    .map((d) => safeRecord(project, d.name))
    .filter((r): r is StudioRunRecord => r !== null);
}

function studioPart(rec: StudioRunRecord | null): StudioRun['studio'] {
  return rec ? { labels: rec.labels, image: rec.image, init: rec.init, device: rec.device, summary: rec.summary } : null;
}

function decorate(project: Project, r: RunInfo, jobOf: (id: string) => JobInfo | null): StudioRun {
  const jobId = runJobId(project, r.id);
  const job = jobId ? jobOf(jobId) : null;
  const live = job && isActive(job) ? job : null;
  const interrupted = r.state === 'running' && !live;
  return {
    ...r,
    state: interrupted ? 'stopped' : r.state,
    message: interrupted ? `interrupted at step ${r.step}/${r.totalSteps}; resume to continue` : r.message,
    job: live,
    studio: studioPart(safeRecord(project, r.id)),
  };
}

function safeRecord(project: Project, run: string): StudioRunRecord | null {
  try {
    return loadStudioRecord(project, run);
  } catch {
    return null;
  }
}

/** Deletes a run: its curves, its row and its folder (checkpoints, snapshot). Its model stays. */
export function deleteRun(project: Project, run: string): void {
  const dir = runDir(project, run);
  if (!runExists(project, run)) throw new AppError('NOT_FOUND', `no training run '${run}'`);
  project.db.transaction(() => {
    project.db.prepare('DELETE FROM training_points WHERE run_id = ?').run(run);
    project.db.prepare('DELETE FROM training_runs WHERE id = ?').run(run);
  })();
  rmSync(dir, { recursive: true, force: true });
  activeJobs.get(project)?.delete(run);
}
