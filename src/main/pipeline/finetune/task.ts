/**
 * Job 'pipeline.finetune': trains a SegMamba on nearest-neighbour affinities of labels
 * (weighted MSE on sigmoid outputs with class-balance weights, or BCE), optionally starting
 * from a pretrained model (mismatched heads dropped and reported), validating on a held-out
 * region every N steps (VOI/ARAND after segmentation), keeping the best and the last
 * checkpoint, resuming after interruption, and registering the best model when done.
 */
import { AppError } from '../../errors';
import type { TaskFn } from '../../jobs/types';
import { LOSSES } from '../../ml/train/losses';
import { FinetuneRequest, type FinetuneParams } from '../../../shared/api/pipeline';
import { boxSize, formatBox, intersect, voxelCount, type Box, type Vec3 } from '../../volumes/box';
import { resolveAugment } from '../augment';
import { withProject } from '../job-context';
import { registerModel, resolveModel } from '../models';
import { normalizationFor } from '../normalization';
import { TrainingRun, defaultRunId } from '../runs';
import { type Batch, concatBatch, stepRng, trainLoop } from '../train-loop';
import { type LoadSummary, loadParent, modelFor, pipelineCheckpoint, prepareTrainer, summarizeLoad } from '../training';
import { assertRegion, describeRef, fullBox } from '../volume-source';
import { buildSample } from './samples';
import { loadValidationSet, validate } from './validation';

export interface FinetuneResult {
  run: string;
  modelId: string;
  modelName: string;
  steps: number;
  resumedFrom: number;
  best: Record<string, number> | null;
  lastLoss: number | null;
  trainRegion: Box;
  valRegion: Box;
  loadReport: LoadSummary | null;
  seconds: number;
  stepSeconds: number | null;
}

/** Default split: validation = the last 20% of the rows (at least one crop high), training = the rest. */
export function defaultRegions(shape: Vec3, crop: Vec3, train?: Box, val?: Box): { train: Box; val: Box } {
  if (train && val) return { train, val };
  if (val) return { train: train ?? splitAway(fullBox(shape), val), val };
  const base = train ?? fullBox(shape);
  const size = boxSize(base);
  const rows = Math.min(size[1] - 1, Math.max(Math.ceil(size[1] * 0.2), Math.min(crop[1], Math.floor(size[1] / 2))));
  const cut = base.max[1] - rows;
  if (rows < 1) throw new AppError('BAD_REQUEST', `region ${formatBox(base)} is too small to hold out validation rows; give valRegion`);
  return {
    train: { min: [...base.min] as Vec3, max: [base.max[0], cut, base.max[2]] },
    val: { min: [base.min[0], cut, base.min[2]], max: [...base.max] as Vec3 },
  };
}

/** The largest box of `whole` on one side of `hole` along the axis where it leaves most room. */
function splitAway(whole: Box, hole: Box): Box {
  let best: Box | null = null;
  for (let a = 0; a < 3; a++) {
    const below: Box = { min: [...whole.min] as Vec3, max: [...whole.max] as Vec3 };
    below.max[a] = hole.min[a];
    const above: Box = { min: [...whole.min] as Vec3, max: [...whole.max] as Vec3 };
    above.min[a] = hole.max[a];
    for (const b of [below, above]) if (b.max[a] > b.min[a] && (!best || voxelCount(boxSize(b)) > voxelCount(boxSize(best)))) best = b;
  }
  if (!best) throw new AppError('BAD_REQUEST', `the validation region ${formatBox(hole)} leaves no room for training; give trainRegion`);
  return best;
}

export const finetuneTask: TaskFn<unknown, FinetuneResult> = async (raw, ctx) => {
  const p: FinetuneParams = FinetuneRequest.parse(raw);
  return withProject(ctx, 'fine-tuning', async ({ project, open }) => {
    const image = await open(p.image);
    const labels = await open(p.labels);
    if (!image.shape.every((s, i) => s === labels.shape[i])) {
      throw new AppError('BAD_REQUEST', `${image.label} is ${image.shape.join('x')} but ${labels.label} is ${labels.shape.join('x')}; labels must match their image`);
    }
    const mask = p.mask ? await open(p.mask) : undefined;
    if (mask && !mask.shape.every((s, i) => s === image.shape[i])) {
      throw new AppError('BAD_REQUEST', `the training mask ${mask.label} is ${mask.shape.join('x')} but ${image.label} is ${image.shape.join('x')}`);
    }
    const crop = p.crop as Vec3;
    const regions = defaultRegions(image.shape, crop, p.trainRegion as Box | undefined, p.valRegion as Box | undefined);
    assertRegion(image, regions.train, 'training region');
    assertRegion(image, regions.val, 'validation region');
    if (intersect(regions.train, regions.val)) {
      throw new AppError('BAD_REQUEST', `training region ${formatBox(regions.train)} overlaps validation region ${formatBox(regions.val)}`);
    }
    const normalization = await normalizationFor(image);
    const parent = p.init ? resolveModel(project, p.init) : null;
    const parentCkpt = parent ? loadParent(parent.path) : null;
    const preset = parentCkpt?.preset ?? p.preset;
    const model = modelFor({ ...p, preset }, 3, parentCkpt?.config);
    model.validateCrop(crop);

    const runParams = { ...p, trainRegion: regions.train, valRegion: regions.val } as Record<string, unknown>;
    const runId = p.run ?? defaultRunId('finetune', runParams);
    const run = TrainingRun.open(project, { id: runId, kind: 'finetune', params: runParams, totalSteps: p.steps, restart: p.restart });
    const done = run.loadResult<FinetuneResult>();
    if (done) return done;
    return run.guard(async () => {
      ctx.progress(0, 'building the training graph');
      const prepared = await prepareTrainer(run, model, { ...p, crop }, LOSSES[p.loss], parentCkpt?.tensors);
      const { trainer, resumedFrom } = prepared;
      if (prepared.loadReport) run.writeJson('load-report.json', summarizeLoad(prepared.loadReport));
      const loadReport = run.readJson<LoadSummary>('load-report.json');
      const augment = resolveAugment(p.augment);
      const data = { image, labels, mask, normalization, region: regions.train };
      const valSet = await loadValidationSet(image, labels, normalization, regions.val, p.relabelValidation, mask);
      const provenance = {
        kind: 'fine-tuned',
        run: runId,
        parent: parent ? { id: parent.record?.id ?? null, name: parent.record?.name ?? null, path: parent.record ? null : parent.path } : null,
        image: describeRef(p.image),
        labels: describeRef(p.labels),
        mask: p.mask ? describeRef(p.mask) : null,
        trainRegion: regions.train,
        valRegion: regions.val,
        crop,
        loss: p.loss,
      };
      const extra = { pipeline: { task: 'finetune', run: runId, crop, output: 'affinities', channels: ['z', 'y', 'x'], offsets: [[-1, 0, 0], [0, -1, 0], [0, 0, -1]] } };

      const makeBatch = async (step: number): Promise<Batch> => {
        const xs: Float32Array[] = [];
        const ts: Float32Array[] = [];
        const ws: Float32Array[] = [];
        let pos = 0;
        for (let b = 0; b < p.batch; b++) {
          const s = await buildSample(data, crop, augment, stepRng(p.seed, step, b));
          xs.push(s.x);
          ts.push(s.target);
          ws.push(s.weight);
          pos += s.positiveFraction / p.batch;
        }
        return { feeds: { x: concatBatch(xs), target: concatBatch(ts), weight: concatBatch(ws) }, info: { positiveFraction: pos } };
      };

      const result = await trainLoop({
        ctx,
        run,
        trainer,
        totalSteps: p.steps,
        makeBatch,
        checkpoint: () => pipelineCheckpoint(trainer, normalization, extra),
        checkpointEvery: p.checkpointEvery,
        validation: {
          every: p.validateEvery,
          score: 'voi',
          best: run.info.best,
          run: () => validate(valSet, model, trainer.weights, { window: crop, overlap: p.valOverlap, thresholds: p.thresholds, threads: p.threads, scan: p.scan, signal: ctx.signal }),
        },
      });

      ctx.progress(1, 'registering the model');
      const best = result.best;
      const chosen = best ? run.bestPath : run.lastPath;
      const record = registerModel(project, {
        name: p.modelName ?? runId,
        preset,
        checkpoint: chosen,
        provenance: { ...provenance, steps: p.steps, checkpoint: best ? `best (step ${best.step})` : 'last', loadReport },
        metrics: best ? { validation: best, recommendedThreshold: best.threshold } : {},
      });
      run.setModel(record.id);
      const out: FinetuneResult = {
        run: runId,
        modelId: record.id,
        modelName: record.name,
        steps: result.steps,
        resumedFrom,
        best,
        lastLoss: result.lastLoss,
        trainRegion: regions.train,
        valRegion: regions.val,
        loadReport,
        seconds: result.seconds,
        stepSeconds: result.stepSeconds,
      };
      run.saveResult(out);
      run.setState('finished', `model ${record.name}`);
      return out;
    });
  });
};
