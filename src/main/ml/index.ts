/** Public API of the ML engine (see README.md in this folder). */
export { createModel, modelFromConfig, SegMambaModel, type BuiltNetwork } from './model';
export { DEFAULT_CROP, PRESET_NAMES, PRESETS, isPreset, presetConfig, validateCrop, type PresetName, type SegMambaConfig, type SegMambaOutputs } from './models/segmamba';
export { Predictor, type PredictorOptions } from './infer/predictor';
export { Trainer, type StepResult, type TrainerOptions } from './train/trainer';
export { LOSSES, bceLoss, weightedMseLoss, type LossBuilder, type LossContext, type LossName, type LossOutputs } from './train/losses';
export { DEFAULT_ADAMW, scheduledLr, type AdamWOptions, type ScheduleOptions } from './train/optim';
export {
  CHECKPOINT_FORMAT,
  importPth,
  loadCheckpoint,
  matchWeights,
  saveCheckpoint,
  type Checkpoint,
  type CheckpointMeta,
  type LoadReport,
  type Normalization,
  type OptimizerState,
  type TrainingState,
} from './checkpoint/index';
export { inferConfig, loadWeightsFor, type LoadedWeights } from './weights';
export { Executor, resolveScanBackend, type ExecutorInfo, type ExecutorOptions, type ScanBackendPref } from './runtime/executor';
export { chooseProvider, defaultThreads, releaseAllSessions, type DevicePreference, type ProviderChoice } from './runtime/ort';
export { Graph, Value } from './ir/graph';
export * as F from './ir/functional';
export { gradients } from './ir/autodiff';
export { Module, causalConv1d, conv3d, convTranspose3d, initWeights, layerNorm, linear, type ParamSpec } from './nn/module';
export { modelImport, modelImportCommand, modelInfo, modelInfoCommand, type ImportSummary, type ModelInfo } from './cli-commands';
export { Rng } from './util/rng';
