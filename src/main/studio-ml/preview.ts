/**
 * The live preview, main-thread side: picks the weights (a run's newest checkpoint, or a
 * library model) and hands the request to one preview worker thread, started on first use and
 * stopped after a minute idle. Jobs run one at a time, so the preview does not go through the
 * job queue: it must run while a training job does.
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { PreviewResult } from '../../shared/api/studio-ml';
import { AppError, type ErrorCode } from '../errors';
import { workerScript } from '../jobs/worker-script';
import { defaultThreads } from '../ml/runtime/ort';
import { resolveModel } from '../pipeline/models';
import { getRun } from '../pipeline/runs';
import type { Project } from '../store/project';
import type { Box } from '../volumes/box';
import { getLayer } from '../volumes/layers';
import type { PreviewJob, PreviewReply } from './preview-worker';
import { runDir } from './studio-runs';
import { join } from 'node:path';

const IDLE_MS = 60_000;

let worker: Worker | null = null;
let idle: NodeJS.Timeout | null = null;
let nextId = 1;
const pending = new Map<number, { resolve: (r: PreviewReply) => void; reject: (e: Error) => void }>();

function ensureWorker(): Worker {
  if (worker) return worker;
  const script = workerScript('studio-preview', 'src/main/studio-ml/preview-worker.ts');
  const w = new Worker(script.url, { workerData: { ...script.bootData } });
  w.unref();
  w.on('message', (r: PreviewReply) => {
    const p = pending.get(r.id);
    pending.delete(r.id);
    p?.resolve(r);
  });
  const fail = (err: Error) => {
    if (worker === w) worker = null;
    for (const [id, p] of pending) {
      pending.delete(id);
      p.reject(err);
    }
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`preview worker exited with code ${code}`)));
  worker = w;
  return w;
}

function send(job: Omit<PreviewJob, 'id'>): Promise<PreviewReply> {
  const w = ensureWorker();
  if (idle) clearTimeout(idle);
  idle = null;
  const id = nextId++;
  return new Promise<PreviewReply>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.postMessage({ ...job, id });
  }).finally(() => {
    if (pending.size === 0) {
      idle = setTimeout(() => {
        if (pending.size === 0 && worker) void worker.terminate();
        worker = null;
      }, IDLE_MS);
      idle.unref();
    }
  });
}

/** The newest checkpoint of a run: its last (resumable) one, else its best. */
export function runCheckpoint(project: Project, run: string): { path: string; source: string } {
  const info = getRun(project, run);
  const dir = runDir(project, run);
  const last = join(dir, 'last.safetensors');
  const best = join(dir, 'best.safetensors');
  if (existsSync(last)) return { path: last, source: `run ${run}, step ${info?.step ?? '?'}` };
  if (existsSync(best)) return { path: best, source: `run ${run}, best checkpoint` };
  throw new AppError('NOT_FOUND', `run '${run}' has no checkpoint yet; the first one is saved after its first checkpoint interval`);
}

export async function previewRegion(
  project: Project,
  req: { run?: string; model?: string; image: string; box: Box; segment?: boolean; threshold?: number },
  busy: boolean,
): Promise<PreviewResult> {
  if (!!req.run === !!req.model) throw new AppError('BAD_REQUEST', 'give either a run or a model to preview');
  const weights = req.run ? runCheckpoint(project, req.run) : (() => {
    const m = resolveModel(project, req.model!);
    return { path: m.path, source: `model ${m.record?.name ?? m.path}` };
  })();
  const image = getLayer(project, req.image);
  if (image.kind !== 'image') throw new AppError('BAD_REQUEST', `layer '${image.name}' is not an image layer`);
  const reply = await send({
    projectRoot: project.root,
    checkpoint: weights.path,
    imageLayer: image.id,
    box: req.box,
    segment: req.segment ?? false,
    threshold: req.threshold ?? 0.5,
    // Beside a training job, one thread keeps the two from fighting over the cores.
    threads: busy ? 1 : defaultThreads(),
  });
  if (!reply.ok) throw new AppError(reply.code as ErrorCode, `preview failed: ${reply.error}`);
  return { box: reply.box, affinities: reply.affinities, segmentation: reply.segmentation, source: weights.source, device: reply.device, seconds: reply.seconds };
}

/** Stops the preview worker (tests, shutdown). */
export async function stopPreviewWorker(): Promise<void> {
  const w = worker;
  worker = null;
  if (idle) clearTimeout(idle);
  if (w) await w.terminate();
}
