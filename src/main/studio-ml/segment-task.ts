/**
 * Job 'studio.segment': a volume (or region) segmented with a library model, ready for
 * proofreading: affinities (<name>-aff-z/-y/-x) -> fragments + agglomeration ->
 * <name>-fragments (fragment layer with its mapping, indexed) and <name> (flat). The
 * agglomeration threshold defaults to the one the model's validation recommended.
 */
import type { TaskFn } from '../jobs/types';
import { inferTask } from '../pipeline/infer/task';
import { withProject } from '../pipeline/job-context';
import { findModel } from '../pipeline/models';
import { segmentTask } from '../pipeline/segment/task';
import type { Box } from '../volumes/box';
import { progressPart } from './task-context';

export interface StudioSegmentParams {
  model: string;
  image: string;
  region?: Box;
  name: string;
  threshold?: number;
}

export interface StudioSegmentResult {
  fragments: { id: string; name: string; count: number };
  segmentation: { id: string; name: string; segments: number };
  affinities: { id: string; name: string }[];
  threshold: number;
  region: Box;
  device: string;
  scanBackend: string;
  seconds: number;
}

/** Affinity group name of a segmentation made by the app. */
export const affinityGroup = (name: string) => `${name}-aff`;

export const studioSegmentTask: TaskFn<StudioSegmentParams, StudioSegmentResult> = async (p, ctx) => {
  const started = Date.now();
  const threshold =
    p.threshold ??
    (await withProject(ctx, 'segmentation', async ({ project }) => {
      const t = findModel(project, p.model)?.metrics.recommendedThreshold;
      return typeof t === 'number' ? t : 0.5;
    }));
  const inferred = await inferTask({ model: p.model, image: { layer: p.image }, output: affinityGroup(p.name), ...(p.region ? { region: p.region } : {}) }, progressPart(ctx, 0, 0.8));
  const seg = await segmentTask({ affinities: affinityGroup(p.name), output: p.name, thresholds: [threshold], ...(p.region ? { region: p.region } : {}) }, progressPart(ctx, 0.8, 0.2));
  const flat = seg.segmentations[0];
  return {
    fragments: seg.fragments,
    segmentation: { id: flat.id, name: flat.name, segments: flat.segments },
    affinities: inferred.layers,
    threshold,
    region: inferred.region,
    device: inferred.device,
    scanBackend: inferred.scanBackend,
    seconds: (Date.now() - started) / 1000,
  };
};
