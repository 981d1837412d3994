import { z } from 'zod';
import { JobInfo } from './jobs';
import { method, NoParams } from './method';
import { ModelInfo, ModelOverrides, TrainingRun } from './pipeline';
import { VoxelBox } from './volumes';

/**
 * The proofread -> retrain loop of the app (issue 8): the model library, training data taken
 * from proofreading (segments marked done, painted boxes), "Fine-tune on my corrections" with
 * pause / resume / discard, a live preview of the current checkpoint on a view region,
 * segmenting a volume or region with a model, segmentation quality against a reference over
 * the edit history, and which device training and inference use. Orchestrates the pipeline,
 * proofreading and segmentation services (see docs/finetune-loop.md).
 */

const LayerId = z.string().trim().min(1, 'a layer id is required').max(200);
const Vec3 = z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]);
const Name = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, dot, dash or underscore');

function typedArray<T>(ctor: abstract new (...args: never[]) => T, name: string) {
  return z.custom<T>((v) => v instanceof ctor, { message: `expected a ${name}` });
}
const U8 = typedArray<Uint8Array>(Uint8Array, 'Uint8Array');
const U32 = typedArray<Uint32Array>(Uint32Array, 'Uint32Array');

// ---- device -------------------------------------------------------------------------------

export const DeviceReport = z.object({
  /** onnxruntime's execution provider for the network (training and inference). */
  runtime: z.object({ provider: z.enum(['cpu', 'cuda']), reason: z.string() }),
  /** The selective scan inside the Mamba layers: what 'auto' resolves to, and why. */
  scan: z.object({
    backend: z.enum(['native', 'onnx', 'js']),
    device: z.enum(['cpu', 'cuda']),
    reason: z.string(),
    cpu: z.object({ available: z.boolean(), reason: z.string(), threads: z.number(), simd: z.string().nullable() }),
    cuda: z.object({ available: z.boolean(), reason: z.string(), device: z.string().nullable() }),
  }),
  /** One line for the UI, e.g. "CPU (2 threads, native AVX2 scan)". */
  summary: z.string(),
  /** Defaults the fine-tuning dialog starts from on this device. */
  recommended: z.object({ preset: z.string(), crop: Vec3, steps: z.number().int(), reason: z.string() }),
  host: z.object({ cpu: z.string(), cores: z.number(), memoryGiB: z.number() }),
});
export type DeviceReport = z.infer<typeof DeviceReport>;

// ---- model library ------------------------------------------------------------------------

export const ModelKind = z.enum(['imported', 'pretrained', 'fine-tuned', 'other']);
export type ModelKind = z.infer<typeof ModelKind>;

export const LibraryModel = ModelInfo.extend({
  kind: ModelKind,
  /** The model it was trained from, when known. */
  parent: z.object({ id: z.string().nullable(), name: z.string().nullable() }).nullable(),
  /** The training run that produced it. */
  run: z.object({ id: z.string(), state: z.string(), step: z.number(), totalSteps: z.number(), createdAt: z.string(), updatedAt: z.string() }).nullable(),
  /** Parameter count of its preset (null for custom architectures). */
  params: z.number().nullable(),
  fileBytes: z.number().nullable(),
  /** Predicts the three affinities (segments volumes); pretrained models need fine-tuning first. */
  canSegment: z.boolean(),
});
export type LibraryModel = z.infer<typeof LibraryModel>;

export const ImportModelRequest = z
  .object({
    /** An official TokenUnify `.pth`, or an engine / bare safetensors checkpoint. */
    path: z.string().trim().min(1).max(4096),
    name: z.string().trim().min(1).max(200).optional(),
    /** The preset of the checkpoint (default: recognised from its tensor shapes). */
    preset: z.string().trim().min(1).max(50).optional(),
  })
  .strict();

export const PretrainVolumeRequest = z
  .object({
    image: LayerId,
    /** Default: the device's recommendation. */
    preset: z.string().optional(),
    steps: z.number().int().positive().max(1_000_000).optional(),
    crop: Vec3.optional(),
    name: Name.optional(),
  })
  .strict();

// ---- training data from proofreading ------------------------------------------------------

export const BoxRole = z.enum(['train', 'validation']);
export type BoxRole = z.infer<typeof BoxRole>;

/** A painted box: every voxel inside is labelled (dense labels), usable as training data. */
export const TrainingBox = z.object({
  id: z.number(),
  layerId: z.string(),
  box: VoxelBox,
  role: BoxRole,
  createdAt: z.string(),
});
export type TrainingBox = z.infer<typeof TrainingBox>;

export const ValidationChoice = z.union([
  z.object({ kind: z.literal('auto') }).strict(),
  z.object({ kind: z.literal('region'), box: VoxelBox }).strict(),
]);
export type ValidationChoice = z.infer<typeof ValidationChoice>;

export const TrainingDataRequest = z
  .object({
    /** The proofread label or fragment layer. */
    labels: LayerId,
    image: LayerId,
    /** Default auto: a box with role 'validation', else the last ~20% of the labelled rows. */
    validation: ValidationChoice.optional(),
    /** Training crop (for the "labels smaller than a crop" warning). */
    crop: Vec3.optional(),
  })
  .strict();
export type TrainingDataRequest = z.input<typeof TrainingDataRequest>;

const SplitPart = z.object({
  region: VoxelBox.nullable(),
  /** Voxels with a known label (in done segments, their one-voxel rim, or a box). */
  voxels: z.number(),
  objects: z.number(),
});

export const TrainingDataSummary = z.object({
  labels: z.string(),
  image: z.string(),
  doneSegments: z.number(),
  boxes: z.array(TrainingBox),
  labeledVoxels: z.number(),
  objects: z.number(),
  /** Bounding box of every labelled voxel. */
  bounds: VoxelBox.nullable(),
  train: SplitPart,
  validation: SplitPart.extend({ source: z.enum(['auto', 'box', 'region']) }),
  /** Problems that block training (e.g. no labels at all). */
  errors: z.array(z.string()),
  /** Advice (too few objects or voxels); training may still start. */
  warnings: z.array(z.string()),
  thresholds: z.object({ minObjects: z.number(), minVoxels: z.number(), minValidationObjects: z.number() }),
});
export type TrainingDataSummary = z.infer<typeof TrainingDataSummary>;

// ---- fine-tuning --------------------------------------------------------------------------

export const FinetuneCorrectionsRequest = z
  .object({
    labels: LayerId,
    image: LayerId,
    /** Model (id or name) to start from; none: from scratch. */
    init: z.string().trim().min(1).optional(),
    /** Name of the model registered when training ends (default: the run name). */
    name: Name.optional(),
    validation: ValidationChoice.optional(),
    /** Default: the device's recommendation (CPU: tiny; GPU: base). A model to start from fixes it. */
    preset: z.string().optional(),
    steps: z.number().int().positive().max(1_000_000).optional(),
    lr: z.number().positive().max(1).optional(),
    crop: Vec3.optional(),
    augment: z.boolean().optional(),
    scan: z.enum(['auto', 'native', 'onnx']).optional(),
    validateEvery: z.number().int().positive().optional(),
    /** How often the resumable checkpoint (and so the live preview) is refreshed. */
    checkpointEvery: z.number().int().positive().optional(),
    /** A smaller architecture than the preset's (quick experiments and tests; as pipeline.finetune). */
    modelOverrides: ModelOverrides.optional(),
  })
  .strict();
export type FinetuneCorrectionsRequest = z.input<typeof FinetuneCorrectionsRequest>;

export const StudioRun = TrainingRun.extend({
  /** The job training it in this session (running or queued), if any. */
  job: JobInfo.nullable(),
  /** Launched from the app: the proofread layers and the training data used. */
  studio: z
    .object({
      labels: z.string(),
      image: z.string(),
      init: z.string().nullable(),
      device: z.string(),
      summary: z.object({ labeledVoxels: z.number(), objects: z.number(), doneSegments: z.number(), boxes: z.number() }),
    })
    .nullable(),
});
export type StudioRun = z.infer<typeof StudioRun>;

const RunRef = z.object({ run: z.string().trim().min(1).max(100) }).strict();

// ---- preview and segmentation -------------------------------------------------------------

export const PreviewRequest = z
  .object({
    /** A training run (its newest checkpoint) ... */
    run: z.string().trim().min(1).optional(),
    /** ... or a model of the library. */
    model: z.string().trim().min(1).optional(),
    image: LayerId,
    /** The view region; cut around its centre to one window deep and at most 2 x 2 windows in plane. */
    box: VoxelBox,
    /** Also segment the predicted affinities (watershed + agglomeration at `threshold`). */
    segment: z.boolean().optional(),
    threshold: z.number().min(0).max(1).optional(),
  })
  .strict();

export const PreviewResult = z.object({
  box: VoxelBox,
  /** uint8 affinities q = round(255 p), channels z, y, x, each C-order over `box`. */
  affinities: U8,
  segmentation: U32.nullable(),
  /** Which weights ran: the run's step or the model. */
  source: z.string(),
  device: z.string(),
  seconds: z.number(),
});
export type PreviewResult = z.infer<typeof PreviewResult>;

export const SegmentWithModelRequest = z
  .object({
    model: z.string().trim().min(1),
    image: LayerId,
    /** Default: the whole volume. */
    region: VoxelBox.optional(),
    /** Base name: writes <name>-aff-{z,y,x}, <name>-fragments (proofreadable) and <name>. */
    name: Name,
    /** Agglomeration threshold (default: the model's recommended one, else 0.5). */
    threshold: z.number().min(0).max(1).optional(),
  })
  .strict();

// ---- quality against a reference ----------------------------------------------------------

export const QualityMetrics = z.object({
  voiSplit: z.number(),
  voiMerge: z.number(),
  voi: z.number(),
  arand: z.number(),
  /** Voxels scored (reference label != 0). */
  counted: z.number(),
});
export type QualityMetrics = z.infer<typeof QualityMetrics>;

export const QualityPoint = z.object({
  /** The edit after which this holds (null: before the oldest edit still in the history). */
  editId: z.number().nullable(),
  label: z.string(),
  at: z.string().nullable(),
  metrics: QualityMetrics.nullable(),
});
export type QualityPoint = z.infer<typeof QualityPoint>;

export const QualityState = z.object({
  layerId: z.string(),
  referenceId: z.string(),
  region: VoxelBox,
  current: QualityMetrics.nullable(),
  /** One point per applied edit of the layer, oldest first. */
  points: z.array(QualityPoint),
  /** How the last update was made: chunks re-counted, or the mapping re-applied. */
  lastUpdate: z.object({ kind: z.enum(['full', 'chunks', 'mapping']), chunks: z.number(), milliseconds: z.number() }),
});
export type QualityState = z.infer<typeof QualityState>;

const QualityRef = z.object({ layerId: LayerId, referenceId: LayerId }).strict();

export const studioMlApi = {
  'studio.device': method(NoParams, DeviceReport),
  'studio.models': method(NoParams, z.array(LibraryModel)),
  /** Imports a checkpoint into the library (job 'studio.importModel'). */
  'studio.models.import': method(ImportModelRequest, JobInfo),
  /** Deletes a model and its file; `confirmName` must equal its name. */
  'studio.models.delete': method(z.object({ id: z.string().min(1), confirmName: z.string() }).strict(), z.object({ deleted: z.literal(true) })),
  /** TokenUnify self-supervised pretraining on an image layer with the device's defaults. */
  'studio.pretrain': method(PretrainVolumeRequest, JobInfo),

  'studio.boxes.list': method(z.object({ layerId: LayerId.optional() }).strict(), z.array(TrainingBox)),
  'studio.boxes.create': method(z.object({ layerId: LayerId, box: VoxelBox, role: BoxRole.optional() }).strict(), TrainingBox),
  'studio.boxes.update': method(z.object({ id: z.number().int().positive(), role: BoxRole.optional(), box: VoxelBox.optional() }).strict(), TrainingBox),
  'studio.boxes.delete': method(z.object({ id: z.number().int().positive() }).strict(), z.object({ deleted: z.literal(true) })),
  /** What "fine-tune on my corrections" would train on, with warnings when it is too little. */
  'studio.trainingData': method(TrainingDataRequest, TrainingDataSummary),

  /** Snapshots the training data and starts fine-tuning (job 'studio.finetune'). */
  'studio.finetune': method(FinetuneCorrectionsRequest, z.object({ run: z.string(), job: JobInfo })),
  'studio.runs': method(NoParams, z.array(StudioRun)),
  /** Stops a run's job with a checkpoint (resumable). */
  'studio.runs.pause': method(RunRef, z.object({ paused: z.boolean() })),
  /** Continues a stopped run from its checkpoint (optionally with a new total of steps). */
  'studio.runs.resume': method(RunRef.extend({ steps: z.number().int().positive().optional() }).strict(), JobInfo),
  /** Stops a run if needed and deletes it: checkpoints, curves, training data (not its model). */
  'studio.runs.discard': method(RunRef, z.object({ deleted: z.literal(true) })),

  /** Runs a run's newest checkpoint (or a model) on a view region. */
  'studio.preview': method(PreviewRequest, PreviewResult),
  /** Affinities -> fragments + mapping -> a proofreadable layer (job 'studio.segment'). */
  'studio.segment': method(SegmentWithModelRequest, JobInfo),

  /** Starts tracking a layer's quality against a reference (and computes it over the edit history). */
  'studio.quality.start': method(QualityRef.extend({ region: VoxelBox.optional() }).strict(), QualityState),
  'studio.quality.get': method(QualityRef, QualityState.nullable()),
  'studio.quality.stop': method(QualityRef, z.object({ stopped: z.boolean() })),
};

export const studioMlEvents = {
  /** A tracked layer's quality changed (an edit, undo, redo or mapping change). */
  'studio.quality.updated': QualityState,
};
