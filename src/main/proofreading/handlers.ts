import type { JobInfo } from '../../shared/api/jobs';
import type { PartialHandlers } from '../api/router';
import type { AppContext } from '../context';
import { AppError } from '../errors';
import type { Project } from '../store/project';
import { assertNameFree } from '../volumes/layers';
import { copyName } from './copy-layer';
import { ensureLabelLayerRow } from './index-layer';
import { requireLabelLayerInfo } from './label-layer';
import { ProofreadingService } from './service';

const services = new WeakMap<Project, Promise<ProofreadingService>>();
const indexJobs = new WeakMap<Project, Map<string, string>>();

function serviceFor(ctx: AppContext, project: Project): Promise<ProofreadingService> {
  let s = services.get(project);
  if (!s) {
    s = ProofreadingService.open(project, (event, data) => ctx.events.emit(event, data));
    services.set(project, s);
    s.catch(() => services.delete(project));
  }
  return s;
}

/** The open project's proofreading service. */
export function proofreadingOf(ctx: AppContext): Promise<ProofreadingService> {
  return serviceFor(ctx, ctx.requireProject());
}

/**
 * Project-open hook (AppContext.onProjectOpened): opens the proofreading service, which finishes
 * any edit a crash interrupted, before anything else reads the project's label chunks.
 */
export async function recoverProofreading(ctx: AppContext, project: Project): Promise<void> {
  await serviceFor(ctx, project);
}

/** Starts the index job of a layer unless it is indexed or being indexed. */
async function prepareLayer(ctx: AppContext, layerId: string): Promise<{ indexed: boolean; job: JobInfo | null }> {
  const project = ctx.requireProject();
  const service = await proofreadingOf(ctx);
  const h = await service.handle(layerId);
  const id = h.layer.info.id;
  if (service.isIndexed(id)) return { indexed: true, job: null };
  let jobs = indexJobs.get(project);
  if (!jobs) indexJobs.set(project, (jobs = new Map()));
  const running = jobs.get(id);
  const current = running ? ctx.jobs.get(running) : null;
  if (current && (current.state === 'queued' || current.state === 'running')) return { indexed: false, job: current };
  ensureLabelLayerRow(project, id);
  const job = ctx.jobs.start(project, 'proofreading.index', { layerId: id }, { title: `Count the segments of '${h.layer.info.name}'` });
  jobs.set(id, job.id);
  void ctx.jobs.wait(job.id).then((done) => {
    if (done.state !== 'succeeded' || project.isClosed) return;
    service.meshes.invalidateLayer(id);
    ctx.events.emit('segments.changed', { layerId: id, ids: [], all: true });
  });
  return { indexed: false, job };
}

export const proofreadingHandlers: PartialHandlers = {
  'segments.list': async (p, ctx) => {
    const service = await proofreadingOf(ctx);
    const prep = await prepareLayer(ctx, p.layerId);
    const layerId = requireLabelLayerInfo(ctx.requireProject(), p.layerId).id;
    if (!prep.indexed) return { layerId, indexed: false, indexJob: prep.job, total: 0, segments: [] };
    const { total, segments } = await service.listSegments(layerId, p);
    return { layerId, indexed: true, indexJob: null, total, segments };
  },
  'segments.get': async (p, ctx) => (await proofreadingOf(ctx)).getSegments(p.layerId, p.ids),
  'segments.update': async ({ layerId, id, ...patch }, ctx) => (await proofreadingOf(ctx)).updateSegment(layerId, id, patch),
  'segments.allocate': async (p, ctx) => ({ id: await (await proofreadingOf(ctx)).allocateSegment(p.layerId) }),
  'segments.locate': async (p, ctx) => (await proofreadingOf(ctx)).locate(p.layerId, p.id),
  'segments.at': async (p, ctx) => (await proofreadingOf(ctx)).labelAt(p.layerId, p.position),
  'mapping.get': async (p, ctx) => (await proofreadingOf(ctx)).mapping(p.layerId),

  'proofreading.prepare': (p, ctx) => prepareLayer(ctx, p.layerId),
  'proofreading.makeEditableCopy': (p, ctx) => {
    const project = ctx.requireProject();
    const info = requireLabelLayerInfo(project, p.layerId);
    const name = p.name ?? copyName(project, info.name);
    assertNameFree(project, name);
    const job = ctx.jobs.start(project, 'proofreading.copyLayer', { layerId: info.id, name }, { title: `Editable copy of '${info.name}'` });
    void ctx.jobs.wait(job.id).then((done) => {
      if (done.state !== 'succeeded' || project.isClosed) return;
      const result = done.result as { layerId: string };
      ctx.events.emit('layers.changed', { reason: 'imported', layerId: result.layerId });
    });
    return job;
  },
  'proofreading.settings': async (_p, ctx) => (await proofreadingOf(ctx)).settings(),
  'proofreading.setSettings': async (p, ctx) => (await proofreadingOf(ctx)).setSettings(p),

  'edits.paint': async (p, ctx) => (await proofreadingOf(ctx)).paint(p),
  'edits.fill': async (p, ctx) => (await proofreadingOf(ctx)).fill(p),
  'edits.fillPreview': async (p, ctx) => (await proofreadingOf(ctx)).fillPreview(p),
  'edits.merge': async (p, ctx) => (await proofreadingOf(ctx)).merge(p),
  'edits.split': async (p, ctx) => (await proofreadingOf(ctx)).split(p),
  'edits.splitPreview': async (p, ctx) => (await proofreadingOf(ctx)).splitPreview(p),
  'edits.interpolate': async (p, ctx) => (await proofreadingOf(ctx)).interpolate(p),
  'edits.interpolatePreview': async (p, ctx) => (await proofreadingOf(ctx)).interpolatePreview(p),

  'history.list': async (p, ctx) => (await proofreadingOf(ctx)).history(p.limit, p.layerId),
  'history.undo': async (_p, ctx) => (await proofreadingOf(ctx)).undo(),
  'history.redo': async (_p, ctx) => (await proofreadingOf(ctx)).redo(),

  'annotations.list': async (p, ctx) => (await proofreadingOf(ctx)).annotations.list(p),
  'annotations.create': async (p, ctx) => {
    const a = (await proofreadingOf(ctx)).annotations.create({ ...p, layerId: p.layerId ? requireLabelOrAnyLayer(ctx, p.layerId) : undefined });
    ctx.events.emit('annotations.changed', { ids: [a.id] });
    return a;
  },
  'annotations.update': async ({ id, ...patch }, ctx) => {
    const a = (await proofreadingOf(ctx)).annotations.update(id, patch);
    ctx.events.emit('annotations.changed', { ids: [id] });
    return a;
  },
  'annotations.delete': async (p, ctx) => {
    (await proofreadingOf(ctx)).annotations.delete(p.id);
    ctx.events.emit('annotations.changed', { ids: [p.id] });
    return { deleted: true as const };
  },

  'meshes.get': async (p, ctx) => ({ meshes: await (await proofreadingOf(ctx)).meshesOf(p.layerId, p.segmentIds, p.level) }),
};

/** Annotations may belong to any layer; resolves a layer name to its id. */
function requireLabelOrAnyLayer(ctx: AppContext, layerId: string): string {
  const row = ctx.requireProject().db.prepare('SELECT id FROM layers WHERE id = ? OR name = ?').pluck().get(layerId, layerId) as string | undefined;
  if (!row) throw new AppError('NOT_FOUND', `no layer '${layerId}' in this project`);
  return row;
}
