/**
 * Job 'pipeline.evaluate': VOI (split = H(seg|gt), merge = H(gt|seg), bits) and adapted Rand
 * error of a segmentation against a ground truth, skimage conventions (ground-truth label 0
 * ignored; CREMI's variant alongside), streamed block by block through one contingency table.
 * Either volume may be a project layer or a file in any supported format. With `relabelGt`
 * the ground truth is first relabelled by 3D connected components (block-wise, exact).
 */
import { AppError } from '../../errors';
import type { TaskFn } from '../../jobs/types';
import { MetricsAccumulator, type SegmentationMetrics } from '../../segmentation/index';
import { EvaluateRequest, type EvaluateParams } from '../../../shared/api/pipeline';
import { boxSize, formatShape, voxelCount, type Box, type Vec3 } from '../../volumes/box';
import { withOptionalProject } from '../job-context';
import { toUint32Labels } from '../labels';
import { assertRegion, openSource, fullBox, type VolumeSource } from '../volume-source';
import { tileBoxes } from '../windows';
import { BlockwiseComponents } from './components';

export interface EvaluateResult extends SegmentationMetrics {
  gt: string;
  seg: string;
  region: Box;
  relabelledGt: boolean;
  blocks: number;
  seconds: number;
}

function labelReader(source: VolumeSource): (box: Box) => Promise<Uint32Array> {
  const renumber = new Map<bigint, number>();
  return async (box) => toUint32Labels(await source.readRegion(box), source.label, renumber);
}

export interface EvaluateOptions {
  region?: Box;
  relabelGt?: boolean;
  blockShape?: Vec3;
  signal?: AbortSignal;
  progress?: (fraction: number, message: string) => void;
}

/** Streams the metrics of `seg` against `gt` over `region` (default: everything). */
export async function evaluateSources(gt: VolumeSource, seg: VolumeSource, o: EvaluateOptions = {}): Promise<EvaluateResult> {
  const started = Date.now();
  if (!gt.shape.every((s, i) => s === seg.shape[i])) {
    throw new AppError('BAD_REQUEST', `ground truth ${gt.label} is ${formatShape(gt.shape)} but segmentation ${seg.label} is ${formatShape(seg.shape)}`);
  }
  const region = o.region ?? fullBox(gt.shape);
  assertRegion(gt, region, 'evaluation region');
  const size = boxSize(region);
  const blockShape = (o.blockShape ?? [64, 1024, 1024]).map((b, a) => Math.min(b, size[a])) as Vec3;
  const readGt = labelReader(gt);
  const readSeg = labelReader(seg);
  const relabel = o.relabelGt
    ? await BlockwiseComponents.build(readGt, region, blockShape, o.signal, (d, n) => o.progress?.((0.5 * d) / n, `ground-truth components: block ${d}/${n}`))
    : null;
  const from = relabel ? 0.5 : 0;
  const blocks = tileBoxes(region, blockShape);
  const acc = new MetricsAccumulator();
  for (let b = 0; b < blocks.length; b++) {
    if (o.signal?.aborted) throw new AppError('CANCELLED', 'evaluation cancelled');
    const [g, s] = await Promise.all([relabel ? relabel.relabel(blocks[b]) : readGt(blocks[b]), readSeg(blocks[b])]);
    await acc.add(g, s);
    o.progress?.(from + ((1 - from) * (b + 1)) / blocks.length, `scoring block ${b + 1}/${blocks.length}`);
  }
  if (acc.total !== voxelCount(size)) throw new AppError('INTERNAL', `evaluation counted ${acc.total} voxels of ${voxelCount(size)}`);
  return { ...acc.result(), gt: gt.label, seg: seg.label, region, relabelledGt: !!relabel, blocks: blocks.length, seconds: (Date.now() - started) / 1000 };
}

export const evaluateTask: TaskFn<unknown, EvaluateResult> = async (raw, ctx) => {
  const p: EvaluateParams = EvaluateRequest.parse(raw);
  return withOptionalProject(ctx, async (scope) => {
    const open = { project: scope?.project ?? null, service: scope?.service ?? null };
    const gt = await openSource(p.gt, open);
    const seg = await openSource(p.seg, open);
    try {
      return await evaluateSources(gt, seg, {
        region: p.region as Box | undefined,
        relabelGt: p.relabelGt,
        blockShape: p.blockShape as Vec3 | undefined,
        signal: ctx.signal,
        progress: (f, m) => ctx.progress(f, m),
      });
    } finally {
      await gt.close();
      await seg.close();
    }
  });
};
