import { z } from 'zod';
import { JobInfo } from './jobs';
import { method, NoParams } from './method';
import { VoxelBox } from './volumes';

/**
 * TokenUnify pipeline jobs: pretraining, fine-tuning, whole-volume inference, segmentation of
 * affinities and evaluation. Each `pipeline.*` start method returns the JobInfo of a job whose
 * progress arrives as 'job.updated' and whose training curves arrive as 'job.event' with kind
 * 'train.point' (see TrainPoint). Runs and curves are also stored in the project.
 */

const PositiveVec3 = z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]);
const Name = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, dot, dash or underscore');

/** A project layer (id or name) or a file/folder in any supported format. */
export const SourceRef = z.union([
  z.object({ layer: z.string().trim().min(1).max(200) }).strict(),
  z.object({ path: z.string().trim().min(1).max(4096), dataset: z.string().trim().min(1).max(1000).optional() }).strict(),
]);
export type SourceRef = z.infer<typeof SourceRef>;

const Probability = z.number().min(0).max(1);
const Range = z.tuple([z.number(), z.number()]);
/** Per augmentation overrides of docs/pipeline.md's defaults; `false` turns all off. */
export const AugmentOverrides = z.union([
  z.literal(false),
  z
    .object({
      flip: z.object({ p: Probability }).partial().strict(),
      rotate: z.object({ p: Probability }).partial().strict(),
      transpose: z.object({ p: Probability }).partial().strict(),
      misalign: z.object({ p: Probability, maxShift: z.number().int().nonnegative() }).partial().strict(),
      contrast: z.object({ p: Probability, contrast: Range, brightness: Range }).partial().strict(),
      gamma: z.object({ p: Probability, range: Range }).partial().strict(),
      blur: z.object({ p: Probability, sigma: Range }).partial().strict(),
      noise: z.object({ p: Probability, sigma: Range }).partial().strict(),
      missing: z.object({ p: Probability }).partial().strict(),
    })
    .partial()
    .strict(),
]);

/** Changes to a preset's architecture (small models for tests and quick experiments). */
export const ModelOverrides = z
  .object({
    featureSize: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]),
    hiddenSize: z.number().int().positive(),
    depths: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative(), z.number().int().nonnegative(), z.number().int().nonnegative()]),
    kernelSize: PositiveVec3,
  })
  .partial()
  .strict();

const ScanBackend = z.enum(['auto', 'native', 'onnx', 'js']);

const trainingCommon = {
  /** Run name (folder runs/<run>/); default: derived from the settings, so the same request resumes. */
  run: Name.optional(),
  /** Discard an existing run of that name and start over. */
  restart: z.boolean().default(false),
  preset: z.string().default('tiny'),
  modelOverrides: ModelOverrides.optional(),
  /** Training crop [z, y, x]: every axis divisible by 16, stage token counts by 5 (e.g. 16x160x160, 16x80x80). */
  crop: PositiveVec3.default([16, 160, 160]),
  steps: z.number().int().positive().default(1000),
  batch: z.number().int().positive().max(64).default(1),
  lr: z.number().positive().default(2e-4),
  weightDecay: z.number().nonnegative().default(0.01),
  warmupSteps: z.number().int().nonnegative().default(20),
  seed: z.number().int().nonnegative().default(0),
  /** Save the resumable state every this many steps (and at least every 5 minutes). */
  checkpointEvery: z.number().int().positive().default(50),
  augment: AugmentOverrides.optional(),
  threads: z.number().int().positive().optional(),
  scan: ScanBackend.optional(),
  /** Name of the model registered when the run finishes (default: the run name). */
  modelName: z.string().trim().min(1).max(200).optional(),
};

export const PretrainSource = z.object({ source: SourceRef, region: VoxelBox.optional() }).strict();

export const PretrainRequest = z
  .object({
    ...trainingCommon,
    /** Unlabeled volumes (layers or files); crops are drawn in proportion to their size. */
    sources: z.array(PretrainSource).min(1).max(64),
    /** Random token prediction's mask ratio: a fixed fraction, or 'uniform' for U(0.2, 0.8). */
    maskRatio: z.union([z.number().gt(0).lt(1), z.literal('uniform')]).default(0.4),
    schedule: z
      .object({
        mode: z.enum(['staged', 'mixed']),
        randomFraction: Probability,
        alternateEvery: z.number().int().positive(),
        weights: z.object({ random: z.number().nonnegative(), nextAll: z.number().nonnegative(), nextToken: z.number().nonnegative() }).strict(),
      })
      .partial()
      .strict()
      .optional(),
  })
  .strict();
export type PretrainRequest = z.input<typeof PretrainRequest>;
export type PretrainParams = z.output<typeof PretrainRequest>;

/**
 * Thresholds tried at validation by default: 0.2 to 0.9 in steps of 0.05, all from one
 * agglomeration pass. A 0.2-step grid is too coarse: on cardona2010 the test VOI of every
 * 500-step model was lowest at 0.6 or 0.7, and 0.6 is not on such a grid.
 */
export const VALIDATION_THRESHOLDS: readonly number[] = Array.from({ length: 15 }, (_, i) => Math.round((0.2 + 0.05 * i) * 100) / 100);

export const FinetuneRequest = z
  .object({
    ...trainingCommon,
    image: SourceRef,
    labels: SourceRef,
    /** Optional training mask (same shape): voxels where it is 0 carry no training signal (pairs touching them weigh 0). */
    mask: SourceRef.optional(),
    /** Where training crops come from (default: the volume minus the validation region). */
    trainRegion: VoxelBox.optional(),
    /** Held out for validation (default: the last 20% of the rows, full z and x). */
    valRegion: VoxelBox.optional(),
    /** Pretrained model to start from (model id or name in the project, or a checkpoint path); mismatched heads are dropped. */
    init: z.string().trim().min(1).optional(),
    loss: z.enum(['mse', 'bce']).default('mse'),
    validateEvery: z.number().int().positive().default(100),
    /** Agglomeration thresholds tried at validation; the best VOI counts. */
    thresholds: z.array(z.number().min(0).max(1)).min(1).max(16).default([...VALIDATION_THRESHOLDS]),
    /** Score validation against the 3D connected components of its labels. */
    relabelValidation: z.boolean().default(true),
    valOverlap: z.number().min(0).lt(1).default(0.25),
  })
  .strict();
export type FinetuneRequest = z.input<typeof FinetuneRequest>;
export type FinetuneParams = z.output<typeof FinetuneRequest>;

export const InferRequest = z
  .object({
    /** Model id or name in the project, or a checkpoint path. */
    model: z.string().trim().min(1),
    image: SourceRef,
    /** Base name of the three affinity layers written: <output>-z, <output>-y, <output>-x. */
    output: Name,
    region: VoxelBox.optional(),
    /** Window [z, y, x] (default: the crop the model was trained on). */
    window: PositiveVec3.optional(),
    overlap: z.number().min(0).lt(1).default(0.5),
    tta: z.enum(['none', 'flips']).default('none'),
    /** Tiles processed (and written) one at a time; bounds memory. Default 64x512x512 voxels. */
    tile: PositiveVec3.optional(),
    threads: z.number().int().positive().optional(),
    scan: ScanBackend.optional(),
  })
  .strict();
export type InferRequest = z.input<typeof InferRequest>;
export type InferParams = z.output<typeof InferRequest>;

export const SegmentRequest = z
  .object({
    /** Base name of an affinity layer group written by pipeline.infer. */
    affinities: z.string().trim().min(1),
    /** Layers written: <output>-fragments (fragments + mapping) and <output> (flat), per threshold when several. */
    output: Name,
    region: VoxelBox.optional(),
    thresholds: z.array(z.number().min(0).max(1)).min(1).max(16).default([0.5]),
    merge: z.enum(['mean', 'quantile']).default('mean'),
    quantile: z.number().min(0).max(1).optional(),
    /** One 3D watershed instead of one per section. */
    threeD: z.boolean().default(false),
    boundaryThreshold: z.number().min(0).max(1).optional(),
    seedRadius: z.number().int().positive().optional(),
    minFragmentSize: z.number().int().nonnegative().optional(),
    blockShape: PositiveVec3.optional(),
    /** Index the fragment layer for proofreading (voxel counts per segment). */
    index: z.boolean().default(true),
  })
  .strict();
export type SegmentRequest = z.input<typeof SegmentRequest>;
export type SegmentParams = z.output<typeof SegmentRequest>;

export const EvaluateRequest = z
  .object({
    gt: SourceRef,
    seg: SourceRef,
    region: VoxelBox.optional(),
    /** Relabel the ground truth by 3D connected components (6-connectivity) before scoring. */
    relabelGt: z.boolean().default(false),
    blockShape: PositiveVec3.optional(),
  })
  .strict();
export type EvaluateRequest = z.input<typeof EvaluateRequest>;
export type EvaluateParams = z.output<typeof EvaluateRequest>;

/** A 'train.point' job event (also stored in training_points). */
export const TrainPoint = z
  .object({
    run: z.string(),
    split: z.enum(['train', 'val']),
    step: z.number().int(),
    totalSteps: z.number().int(),
  })
  .catchall(z.number());
export type TrainPoint = z.infer<typeof TrainPoint>;

export const TrainingRun = z.object({
  id: z.string(),
  kind: z.enum(['pretrain', 'finetune']),
  state: z.enum(['running', 'stopped', 'finished', 'failed']),
  step: z.number().int(),
  totalSteps: z.number().int(),
  best: z.record(z.string(), z.number()).nullable(),
  modelId: z.string().nullable(),
  message: z.string(),
  params: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TrainingRun = z.infer<typeof TrainingRun>;

export const CurvePoint = z.object({ split: z.enum(['train', 'val']), step: z.number().int(), data: z.record(z.string(), z.number()) });

export const ModelInfo = z.object({
  id: z.string(),
  name: z.string(),
  preset: z.string(),
  path: z.string(),
  provenance: z.record(z.string(), z.unknown()),
  metrics: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});
export type ModelInfo = z.infer<typeof ModelInfo>;

export const pipelineApi = {
  /** Starts TokenUnify self-supervised pretraining (job 'pipeline.pretrain'). */
  'pipeline.pretrain': method(PretrainRequest, JobInfo),
  /** Starts fine-tuning on labels (job 'pipeline.finetune'); resumes a run of the same name. */
  'pipeline.finetune': method(FinetuneRequest, JobInfo),
  /** Predicts affinities over a volume or region (job 'pipeline.infer'). */
  'pipeline.infer': method(InferRequest, JobInfo),
  /** Fragments + agglomeration of an affinity layer group (job 'pipeline.segment'). */
  'pipeline.segment': method(SegmentRequest, JobInfo),
  /** VOI and ARAND of a segmentation against a ground truth (job 'pipeline.evaluate'). */
  'pipeline.evaluate': method(EvaluateRequest, JobInfo),
  /** Training runs of the open project, oldest first. */
  'pipeline.runs': method(NoParams, z.array(TrainingRun)),
  /** A run's stored curve points. */
  'pipeline.curve': method(z.object({ run: z.string().min(1) }).strict(), z.array(CurvePoint)),
  /** The project's model library. */
  'pipeline.models': method(NoParams, z.array(ModelInfo)),
};
