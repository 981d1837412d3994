/** API glue of the proofread -> retrain loop (src/shared/api/studio-ml.ts). */
import type { FinetuneRequest } from '../../shared/api/pipeline';
import type { PartialHandlers } from '../api/router';
import type { AppContext } from '../context';
import { AppError } from '../errors';
import { affinityLayerName } from '../pipeline/affinity-layers';
import { resolveModel } from '../pipeline/models';
import { getRun } from '../pipeline/runs';
import type { Project } from '../store/project';
import type { Box, Vec3 } from '../volumes/box';
import { volumeService } from '../volumes/handlers';
import { assertNameFree, getLayer } from '../volumes/layers';
import { presetConfig, validateCrop } from '../ml/models/segmamba';
import { deviceLine, deviceReport } from './device';
import { deleteModel, listLibrary, predictsAffinities } from './model-library';
import { previewRegion } from './preview';
import { qualityService } from './quality/service';
import { affinityGroup } from './segment-task';
import { snapshotFiles } from './snapshot';
import { createBox, deleteBox, listBoxes, updateBox } from './training-boxes';
import { planTrainingData } from './training-plan';
import {
  deleteRun,
  listStudioRuns,
  loadStudioRecord,
  newRunName,
  runExists,
  runJobId,
  saveStudioRecord,
  snapshotDir,
  trackRunJob,
  type StudioRunRecord,
} from './studio-runs';

/** Announces the layers a job wrote once it succeeds, so open views reload the layer list. */
function announceLayers(ctx: AppContext, jobId: string): void {
  void ctx.jobs.wait(jobId).then((info) => {
    if (info.state === 'succeeded') ctx.events.emit('layers.changed', { reason: 'other', layerId: null });
  });
}

function activeJob(ctx: AppContext, project: Project, run: string) {
  const id = runJobId(project, run);
  const job = id ? ctx.jobs.get(id) : null;
  return job && (job.state === 'running' || job.state === 'queued') ? job : null;
}

function startRunJob(ctx: AppContext, project: Project, run: string, steps?: number) {
  if (activeJob(ctx, project, run)) throw new AppError('CONFLICT', `run '${run}' is already training`);
  const job = ctx.jobs.start(project, 'studio.finetune', { run, ...(steps ? { steps } : {}) }, { title: `Fine-tune on corrections (${run})` });
  trackRunJob(project, run, job.id);
  return job;
}

const DEFAULT_VALIDATE_EVERY = 50;

export const studioMlHandlers: PartialHandlers = {
  'studio.device': () => deviceReport(),
  'studio.models': (_p, ctx) => listLibrary(ctx.requireProject()),
  'studio.models.import': (p, ctx) => ctx.jobs.start(ctx.requireProject(), 'studio.importModel', p, { title: `Import model ${p.name ?? p.path}` }),
  'studio.models.delete': ({ id, confirmName }, ctx) => {
    deleteModel(ctx.requireProject(), id, confirmName);
    return { deleted: true as const };
  },
  'studio.pretrain': async (p, ctx) => {
    const project = ctx.requireProject();
    const image = getLayer(project, p.image);
    if (image.kind !== 'image') throw new AppError('BAD_REQUEST', `layer '${image.name}' is an ${image.kind} layer; pretraining learns from image (EM) layers`);
    const device = await deviceReport();
    const preset = p.preset ?? device.recommended.preset;
    const crop = (p.crop ?? device.recommended.crop) as Vec3;
    const name = p.name ?? `pretrained-${image.name.replace(/[^A-Za-z0-9._-]/g, '_')}-${preset}`;
    if (runExists(project, name)) throw new AppError('CONFLICT', `a training run '${name}' already exists; choose another name`);
    const params = { sources: [{ source: { layer: image.id } }], preset, crop, steps: p.steps ?? device.recommended.steps, run: name, modelName: name, checkpointEvery: 25 };
    const job = ctx.jobs.start(project, 'pipeline.pretrain', params, { title: `Pretrain ${preset} on ${image.name}` });
    trackRunJob(project, name, job.id);
    return job;
  },

  'studio.boxes.list': (p, ctx) => listBoxes(ctx.requireProject(), p.layerId),
  'studio.boxes.create': (p, ctx) => createBox(ctx.requireProject(), p.layerId, p.box as Box, p.role),
  'studio.boxes.update': (p, ctx) => updateBox(ctx.requireProject(), p.id, { role: p.role, box: p.box as Box | undefined }),
  'studio.boxes.delete': (p, ctx) => {
    deleteBox(ctx.requireProject(), p.id);
    return { deleted: true as const };
  },
  'studio.trainingData': async (p, ctx) => {
    const project = ctx.requireProject();
    return (await planTrainingData(project, volumeService(project), { ...p, crop: p.crop as Vec3 | undefined })).summary;
  },

  'studio.finetune': async (p, ctx) => {
    const project = ctx.requireProject();
    const device = await deviceReport();
    // Any model may be the start: heads that do not fit (a pretrained 1-channel head) are dropped.
    const init = p.init ? resolveModel(project, p.init) : null;
    const crop = (p.crop ?? device.recommended.crop) as Vec3;
    const preset = p.preset ?? device.recommended.preset;
    // Refuse a preset or crop the network cannot take before anything is written.
    validateCrop(presetConfig(preset, p.modelOverrides ?? {}), crop);
    const plan = await planTrainingData(project, volumeService(project), { labels: p.labels, image: p.image, validation: p.validation, crop });
    if (!plan.regions) throw new AppError('BAD_REQUEST', `cannot fine-tune on these labels: ${plan.summary.errors.join(' ')}`);
    const run = p.name ?? newRunName(project);
    if (runExists(project, run)) throw new AppError('CONFLICT', `a training run '${run}' already exists; choose another name`);
    const files = snapshotFiles(snapshotDir(project, run));
    const steps = p.steps ?? device.recommended.steps;
    const pipeline: FinetuneRequest & { run: string } = {
      run,
      image: { layer: plan.summary.image },
      labels: { path: files.labels },
      mask: { path: files.mask },
      trainRegion: plan.regions.train,
      valRegion: plan.regions.val,
      ...(init ? { init: init.record?.id ?? init.path } : {}),
      preset,
      ...(p.modelOverrides ? { modelOverrides: p.modelOverrides } : {}),
      crop,
      steps,
      ...(p.lr ? { lr: p.lr } : {}),
      ...(p.augment === false ? { augment: false as const } : {}),
      ...(p.scan ? { scan: p.scan } : {}),
      validateEvery: p.validateEvery ?? Math.min(DEFAULT_VALIDATE_EVERY, steps),
      checkpointEvery: p.checkpointEvery ?? Math.max(1, Math.min(25, Math.ceil(steps / 10))),
      warmupSteps: Math.min(20, Math.floor(steps / 5)),
      modelName: run,
    };
    const rec: StudioRunRecord = {
      run,
      labels: plan.summary.labels,
      image: plan.summary.image,
      init: init?.record?.id ?? init?.path ?? null,
      device: await deviceLine(p.scan ?? 'auto'),
      boxes: plan.summary.boxes.map((b) => b.box as Box),
      summary: { labeledVoxels: plan.summary.labeledVoxels, objects: plan.summary.objects, doneSegments: plan.summary.doneSegments, boxes: plan.summary.boxes.length },
      pipeline,
      createdAt: new Date().toISOString(),
    };
    saveStudioRecord(project, rec);
    return { run, job: startRunJob(ctx, project, run) };
  },
  'studio.runs': (_p, ctx) => listStudioRuns(ctx.requireProject(), (id) => ctx.jobs.get(id)),
  'studio.runs.pause': ({ run }, ctx) => {
    const job = activeJob(ctx, ctx.requireProject(), run);
    if (!job) return { paused: false };
    ctx.jobs.cancel(job.id);
    return { paused: true };
  },
  'studio.runs.resume': ({ run, steps }, ctx) => {
    const project = ctx.requireProject();
    const info = getRun(project, run);
    if (info?.state === 'finished' && !steps) throw new AppError('CONFLICT', `run '${run}' has finished; give more steps to continue training it`);
    if (loadStudioRecord(project, run)) return startRunJob(ctx, project, run, steps ?? info?.totalSteps);
    if (info?.kind !== 'pretrain') throw new AppError('NOT_FOUND', `run '${run}' was not started from the app; resume it with the same pipeline.finetune request`);
    // A pretraining run resumes from its stored request (same settings = same run).
    if (activeJob(ctx, project, run)) throw new AppError('CONFLICT', `run '${run}' is already training`);
    const job = ctx.jobs.start(project, 'pipeline.pretrain', { ...info.params, steps: steps ?? info.totalSteps }, { title: `Pretrain (${run})` });
    trackRunJob(project, run, job.id);
    return job;
  },
  'studio.runs.discard': async ({ run }, ctx) => {
    const project = ctx.requireProject();
    const job = activeJob(ctx, project, run);
    if (job) {
      ctx.jobs.cancel(job.id);
      await ctx.jobs.wait(job.id);
    }
    deleteRun(project, run);
    return { deleted: true as const };
  },

  'studio.preview': (p, ctx) => {
    const project = ctx.requireProject();
    const busy = ctx.jobs.list(project).some((j) => j.state === 'running');
    return previewRegion(project, { ...p, box: p.box as Box }, busy);
  },
  'studio.segment': (p, ctx) => {
    const project = ctx.requireProject();
    const model = resolveModel(project, p.model);
    if (model.record && !predictsAffinities(model.record)) {
      throw new AppError('BAD_REQUEST', `model '${model.record.name}' does not predict affinities (a pretrained model: fine-tune it first)`);
    }
    const image = getLayer(project, p.image);
    if (image.kind !== 'image') throw new AppError('BAD_REQUEST', `layer '${image.name}' is not an image layer`);
    for (const n of [0, 1, 2].map((c) => affinityLayerName(affinityGroup(p.name), c)).concat([`${p.name}-fragments`, p.name])) assertNameFree(project, n);
    const job = ctx.jobs.start(project, 'studio.segment', { ...p, model: model.record?.id ?? model.path, image: image.id }, { title: `Segment ${image.name} with ${model.record?.name ?? p.model} -> ${p.name}` });
    announceLayers(ctx, job.id);
    return job;
  },

  'studio.quality.start': (p, ctx) => qualityService(ctx).start(p.layerId, p.referenceId, p.region as Box | undefined),
  'studio.quality.get': (p, ctx) => qualityService(ctx).get(p.layerId, p.referenceId),
  'studio.quality.stop': (p, ctx) => ({ stopped: qualityService(ctx).stop(p.layerId, p.referenceId) }),
};
