/**
 * Job 'pipeline.segment': affinities -> neurons with the segmentation module's block-wise
 * watershed + agglomeration (consistent ids across blocks, one region graph). Writes
 *   <output>-fragments  kind 'fragments': the supervoxels, with the fragment -> segment mapping
 *                       of the first threshold stored in the proofreading tables (fragments),
 *                       then indexed for proofreading (voxel counts per chunk and segment);
 *   <output>            kind 'labels': the flat segmentation (one per threshold when several:
 *                       <output>-t0.50, ...).
 * Block results go through scratch files in tmp/, so memory is bounded by a block.
 */
import { randomUUID } from 'node:crypto';
import type { TaskFn } from '../../jobs/types';
import { indexLabelLayer, setInitialMapping } from '../../proofreading/index-layer';
import { segmentBlockwise, type BlockStore, type Box as SegBox } from '../../segmentation/index';
import { SegmentRequest, type SegmentParams } from '../../../shared/api/pipeline';
import { PROJECT_DIRS } from '../../store/project';
import { boxSize, type Box, type Vec3 } from '../../volumes/box';
import { createLayerFromRegions } from '../../volumes/create-layer';
import { assertNameFree } from '../../volumes/layers';
import { findAffinityGroup, readAffinityBox } from '../affinity-layers';
import { withProject } from '../job-context';
import { ScratchVolume } from '../scratch';
import { fullBox } from '../volume-source';

export interface SegmentResult {
  fragments: { id: string; name: string; count: number };
  segmentations: { id: string; name: string; threshold: number; segments: number }[];
  /** Threshold whose mapping the fragment layer carries. */
  mappingThreshold: number;
  region: Box;
  blocks: number;
  edges: number;
  indexed: boolean;
  seconds: number;
  voxelsPerSecond: number;
}

export function flatLayerNames(output: string, thresholds: readonly number[]): string[] {
  return thresholds.length === 1 ? [output] : thresholds.map((t) => `${output}-t${t.toFixed(2)}`);
}

export const segmentTask: TaskFn<unknown, SegmentResult> = async (raw, ctx) => {
  const p: SegmentParams = SegmentRequest.parse(raw);
  return withProject(ctx, 'segmentation', async ({ project, service }) => {
    const started = Date.now();
    const layers = findAffinityGroup(project, p.affinities);
    const shape = layers[0].shape;
    const region = (p.region as Box | undefined) ?? fullBox(shape);
    const size = boxSize(region);
    const thresholds = [...new Set(p.thresholds)].sort((a, b) => a - b);
    const fragName = `${p.output}-fragments`;
    const flatNames = flatLayerNames(p.output, thresholds);
    for (const n of [fragName, ...flatNames]) assertNameFree(project, n);
    const blockShape = ((p.blockShape as Vec3 | undefined) ?? [64, 512, 512]).map((b, a) => Math.min(b, size[a])) as Vec3;

    const tmp = (what: string) => project.path(PROJECT_DIRS.tmp, `segment-${what}-${randomUUID()}.u32`);
    const fragments = new ScratchVolume<Uint32Array>(tmp('fragments'), region, 1, (n) => new Uint32Array(n));
    const flats = thresholds.map(() => new ScratchVolume<Uint32Array>(tmp('flat'), region, 1, (n) => new Uint32Array(n)));
    const abs = (b: SegBox): Box => ({
      min: [region.min[0] + b.offset[0], region.min[1] + b.offset[1], region.min[2] + b.offset[2]],
      max: [region.min[0] + b.offset[0] + b.shape[0], region.min[1] + b.offset[1] + b.shape[1], region.min[2] + b.offset[2] + b.shape[2]],
    });
    const store: BlockStore = {
      shape: size,
      readAffinities: (b) => readAffinityBox((id, box) => service.readRegion(id, 0, box) as Promise<Uint8Array>, layers, abs(b)),
      writeFragments: async (b, f) => fragments.write(abs(b), f),
      readFragments: async (b) => fragments.read(abs(b)),
      writeSegmentation: async (t, b, s) => flats[t].write(abs(b), s),
    };
    try {
      const result = await segmentBlockwise(store, {
        blockShape,
        thresholds,
        merge: p.merge,
        quantile: p.quantile,
        threeD: p.threeD,
        boundaryThreshold: p.boundaryThreshold,
        seedRadius: p.seedRadius,
        minFragmentSize: p.minFragmentSize,
        signal: ctx.signal,
        onProgress: (f, m) => ctx.progress(0.6 * f, m),
      });
      ctx.throwIfCancelled();
      const resolution = layers[0].resolution;
      const meta = { pipeline: { affinities: p.affinities, region, thresholds, merge: p.merge, threeD: p.threeD } };
      const sink = (from: number, to: number, label: string) => ({ signal: ctx.signal, progress: (f: number, m: string) => ctx.progress(from + (to - from) * f, `${label}: ${m}`) });
      const fragLayer = await createLayerFromRegions(
        project,
        { name: fragName, kind: 'fragments', dtype: 'uint32', shape, resolution, meta: { ...meta, mappingThreshold: thresholds[0] } },
        (box) => fragments.readOrZero(box),
        sink(0.6, 0.75, fragName),
      );
      const segmentations: SegmentResult['segmentations'] = [];
      for (let t = 0; t < thresholds.length; t++) {
        const flat = await createLayerFromRegions(
          project,
          { name: flatNames[t], kind: 'labels', dtype: 'uint32', shape, resolution, meta: { ...meta, threshold: thresholds[t], fragments: fragLayer.id } },
          (box) => flats[t].readOrZero(box),
          sink(0.75 + (0.15 * t) / thresholds.length, 0.75 + (0.15 * (t + 1)) / thresholds.length, flatNames[t]),
        );
        segmentations.push({ id: flat.id, name: flat.name, threshold: thresholds[t], segments: result.segmentCounts[t] });
      }
      const ids = Uint32Array.from({ length: result.fragmentCount }, (_, i) => i + 1);
      setInitialMapping(project, fragLayer.id, ids, ids.map((f) => result.mappings[0][f]));
      if (p.index) await indexLabelLayer(project, fragLayer.id, sink(0.9, 1, 'indexing'));
      const seconds = (Date.now() - started) / 1000;
      return {
        fragments: { id: fragLayer.id, name: fragLayer.name, count: result.fragmentCount },
        segmentations,
        mappingThreshold: thresholds[0],
        region,
        blocks: result.blocks,
        edges: result.edgeCount,
        indexed: p.index,
        seconds,
        voxelsPerSecond: (size[0] * size[1] * size[2]) / Math.max(1e-9, seconds),
      };
    } finally {
      fragments.dispose();
      for (const f of flats) f.dispose();
    }
  });
};
