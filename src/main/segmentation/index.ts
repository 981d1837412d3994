/**
 * Affinities to neurons and their scores: training targets (TypeScript), fragments by
 * seeded watershed, region-graph agglomeration, block-wise processing, the proofreading
 * split, connected components, distance transform and VOI / ARAND (native, Node-API).
 * Every kernel has a synchronous variant (`...Sync`, small inputs) and an async one that
 * runs on a native worker thread.
 */
export * from './types';
export * from './affinity-targets';
export * from './morphology';
export * from './watershed';
export * from './agglomeration';
export * from './blockwise';
export * from './metrics';
export { segmentationAddon } from './native';
