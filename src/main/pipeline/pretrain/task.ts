/**
 * Job 'pipeline.pretrain': TokenUnify mixture-token-prediction pretraining on unlabeled
 * volumes (project layers or files). The network reconstructs one channel (the clean crop);
 * the next-token head is trained alongside. Resumable like fine-tuning; the last checkpoint is
 * registered as a 'pretrained' model when the run finishes.
 */
import type { TaskFn } from '../../jobs/types';
import { PretrainRequest, type PretrainParams } from '../../../shared/api/pipeline';
import type { Box, Vec3 } from '../../volumes/box';
import { resolveAugment } from '../augment';
import { withProject } from '../job-context';
import { registerModel } from '../models';
import { normalizationFor } from '../normalization';
import { TrainingRun, defaultRunId } from '../runs';
import { type Batch, concatBatch, stepRng, trainLoop } from '../train-loop';
import { modelFor, pipelineCheckpoint, prepareTrainer } from '../training';
import { tokenCount } from '../tokens';
import { assertRegion, describeRef, fullBox } from '../volume-source';
import { DEFAULT_SCHEDULE, PRETRAIN_TASKS, type ScheduleConfig, lossWeights, mixtureTokenLoss, taskForStep } from './objective';
import { type UnlabeledData, buildPretrainSample } from './samples';

export interface PretrainResult {
  run: string;
  modelId: string;
  modelName: string;
  steps: number;
  resumedFrom: number;
  lastLoss: number | null;
  tasks: Record<string, number>;
  seconds: number;
  stepSeconds: number | null;
}

const TASK_CODE = { random: 0, nextAll: 1, nextToken: 2 } as const;

export const pretrainTask: TaskFn<unknown, PretrainResult> = async (raw, ctx) => {
  const p: PretrainParams = PretrainRequest.parse(raw);
  return withProject(ctx, 'pretraining', async ({ project, open }) => {
    const crop = p.crop as Vec3;
    const sources: UnlabeledData[] = [];
    for (const s of p.sources) {
      const source = await open(s.source);
      const region = (s.region as Box | undefined) ?? fullBox(source.shape);
      assertRegion(source, region, 'pretraining region');
      sources.push({ source, region, normalization: await normalizationFor(source) });
    }
    const model = modelFor(p, 1);
    model.validateCrop(crop);
    tokenCount(crop);
    const schedule: ScheduleConfig = { ...DEFAULT_SCHEDULE, ...(p.schedule ?? {}), weights: { ...DEFAULT_SCHEDULE.weights, ...(p.schedule?.weights ?? {}) } };
    const runId = p.run ?? defaultRunId('pretrain', p as Record<string, unknown>);
    const run = TrainingRun.open(project, { id: runId, kind: 'pretrain', params: p as Record<string, unknown>, totalSteps: p.steps, restart: p.restart });
    const done = run.loadResult<PretrainResult>();
    if (done) return done;
    return run.guard(async () => {
      ctx.progress(0, 'building the training graph');
      const { trainer, resumedFrom } = await prepareTrainer(run, model, { ...p, crop }, mixtureTokenLoss);
      const augment = resolveAugment(p.augment);
      const normalization = sources[0].normalization;
      const extra = {
        pipeline: { task: 'pretrain', run: runId, crop, output: 'reconstruction', sources: p.sources.map((s) => describeRef(s.source)), sourceNormalizations: sources.map((s) => s.normalization), schedule, maskRatio: p.maskRatio },
      };
      const taskOf = (step: number) => taskForStep(step, p.steps, schedule, stepRng(p.seed, step, 1_000_000));

      const makeBatch = async (step: number): Promise<Batch> => {
        const task = taskOf(step);
        const xs: Float32Array[] = [];
        const ts: Float32Array[] = [];
        const tt: Float32Array[] = [];
        let masked = 0;
        for (let b = 0; b < p.batch; b++) {
          const s = await buildPretrainSample(sources, crop, augment, task, p.maskRatio, stepRng(p.seed, step, b));
          xs.push(s.x);
          ts.push(s.target);
          tt.push(s.tokenTarget);
          masked += s.masked / p.batch;
        }
        const w = lossWeights(task);
        return {
          feeds: { x: concatBatch(xs), target: concatBatch(ts), token_target: concatBatch(tt), recon_weight: Float32Array.of(w.recon), token_weight: Float32Array.of(w.token) },
          info: { task: TASK_CODE[task], maskedTokens: masked },
        };
      };

      const result = await trainLoop({
        ctx,
        run,
        trainer,
        totalSteps: p.steps,
        makeBatch,
        checkpoint: () => pipelineCheckpoint(trainer, normalization, extra),
        checkpointEvery: p.checkpointEvery,
      });

      ctx.progress(1, 'registering the model');
      const record = registerModel(project, {
        name: p.modelName ?? runId,
        preset: p.preset,
        checkpoint: run.lastPath,
        provenance: { kind: 'pretrained', method: 'TokenUnify mixture token prediction', run: runId, sources: extra.pipeline.sources, crop, steps: p.steps, schedule, maskRatio: p.maskRatio },
        metrics: { lastLoss: result.lastLoss },
      });
      run.setModel(record.id);
      const out: PretrainResult = {
        run: runId,
        modelId: record.id,
        modelName: record.name,
        steps: result.steps,
        resumedFrom,
        lastLoss: result.lastLoss,
        tasks: countTasks(p.steps, taskOf),
        seconds: result.seconds,
        stepSeconds: result.stepSeconds,
      };
      run.saveResult(out);
      run.setState('finished', `model ${record.name}`);
      return out;
    });
  });
};

/** How many of the run's steps each task gets. */
function countTasks(steps: number, taskOf: (step: number) => string): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(PRETRAIN_TASKS.map((t) => [t, 0]));
  for (let s = 1; s <= steps; s++) counts[taskOf(s)]++;
  return counts;
}
