/**
 * Job 'pipeline.infer': affinities of a whole volume (or a region) of any size. The region is
 * cut into tiles (default 64x512x512); each tile is blended from the grid windows that touch it
 * (windows shared with the neighbouring tiles are cached, up to 512 MiB), quantised to uint8 and
 * written to a scratch file in tmp/; the three affinity layers are then built from it chunk by
 * chunk. Memory stays bounded by a tile, the cache and the layer writer's blocks.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../../errors';
import type { TaskFn } from '../../jobs/types';
import { loadCheckpoint } from '../../ml/checkpoint/index';
import { modelFromConfig } from '../../ml/model';
import { DEFAULT_CROP } from '../../ml/models/segmamba';
import { InferRequest, type InferParams } from '../../../shared/api/pipeline';
import { PROJECT_DIRS } from '../../store/project';
import { boxSize, voxelCount, type Box, type Vec3 } from '../../volumes/box';
import { assertAffinityNamesFree, quantizeAffinities, writeAffinityLayers } from '../affinity-layers';
import { withProject } from '../job-context';
import { modelWindowPredictor } from '../model-windows';
import { resolveModel } from '../models';
import { normalizationFor } from '../normalization';
import { ScratchVolume } from '../scratch';
import { assertRegion, describeRef, fullBox } from '../volume-source';
import { WindowGrid, cachedPredictor, predictBox, tileBoxes } from '../windows';

export interface InferResult {
  group: string;
  layers: { id: string; name: string }[];
  model: { id: string | null; name: string | null; path: string };
  region: Box;
  window: Vec3;
  overlap: number;
  tta: 'none' | 'flips';
  windows: number;
  windowsComputed: number;
  tiles: number;
  /** Prediction only (network, blending, quantisation), and everything including the layer writes. */
  predictSeconds: number;
  seconds: number;
  voxelsPerSecond: number;
  device: string;
  scanBackend: string;
}

const DEFAULT_TILE: Vec3 = [64, 512, 512];
const WINDOW_CACHE_BYTES = 512 * 1024 * 1024;

/** The window a checkpoint was trained with (pipeline checkpoints record it), else the engine default. */
export function trainedWindow(meta: { extra?: Record<string, unknown> }): Vec3 {
  const crop = (meta.extra?.pipeline as { crop?: unknown } | undefined)?.crop;
  return Array.isArray(crop) && crop.length === 3 ? (crop as Vec3) : ([...DEFAULT_CROP] as Vec3);
}

export const inferTask: TaskFn<unknown, InferResult> = async (raw, ctx) => {
  const p: InferParams = InferRequest.parse(raw);
  return withProject(ctx, 'inference', async ({ project, open }) => {
    const started = Date.now();
    const image = await open(p.image);
    const region = (p.region as Box | undefined) ?? fullBox(image.shape);
    assertRegion(image, region, 'inference region');
    assertAffinityNamesFree(project, p.output);
    const { path, record } = resolveModel(project, p.model);
    const ckpt = loadCheckpoint(path, { optimizer: false });
    const model = modelFromConfig(ckpt.meta.config, ckpt.meta.preset);
    if (model.config.outChannels !== 3) {
      throw new AppError('BAD_REQUEST', `model ${record?.name ?? path} predicts ${model.config.outChannels} channel(s), not the 3 affinities (a pretrained model: fine-tune it first)`);
    }
    const window = (p.window as Vec3 | undefined) ?? trainedWindow(ckpt.meta);
    model.validateCrop(window);
    const normalization = await normalizationFor(image);
    const weights = new Map([...ckpt.weights].map(([k, t]) => [k, t.data]));
    ctx.progress(0, 'preparing the model');
    const inner = await modelWindowPredictor({ model, weights, normalization, source: image, window, tta: p.tta, threads: p.threads, scan: p.scan });
    const predictor = cachedPredictor(inner, WINDOW_CACHE_BYTES);
    const grid = new WindowGrid(region, window, p.overlap, fullBox(image.shape));
    const tile = ((p.tile as Vec3 | undefined) ?? DEFAULT_TILE).map((t, a) => Math.min(t, boxSize(region)[a])) as Vec3;
    const tiles = tileBoxes(region, tile);
    const scratch = new ScratchVolume<Uint8Array>(project.path(PROJECT_DIRS.tmp, `infer-${randomUUID()}.u8`), region, 3, (n) => new Uint8Array(n));
    try {
      const t0 = Date.now();
      for (let i = 0; i < tiles.length; i++) {
        ctx.throwIfCancelled();
        const affinities = await predictBox(predictor, grid, tiles[i], {
          signal: ctx.signal,
          onWindow: () => ctx.progress(0.9 * Math.min(1, predictor.computed / grid.count), `tile ${i + 1}/${tiles.length}: ${predictor.computed}/${grid.count} windows`),
        });
        scratch.write(tiles[i], quantizeAffinities(affinities));
      }
      const predictSeconds = (Date.now() - t0) / 1000;
      const layers = await writeAffinityLayers(
        project,
        {
          base: p.output,
          shape: image.shape,
          resolution: image.resolution,
          scratch,
          meta: { pipeline: { model: record?.id ?? path, image: describeRef(p.image), region, window, overlap: p.overlap, tta: p.tta } },
        },
        { signal: ctx.signal, progress: (f, m) => ctx.progress(0.9 + 0.1 * f, m) },
      );
      return {
        group: p.output,
        layers: layers.map((l) => ({ id: l.id, name: l.name })),
        model: { id: record?.id ?? null, name: record?.name ?? null, path },
        region,
        window,
        overlap: p.overlap,
        tta: p.tta,
        windows: grid.count,
        windowsComputed: predictor.computed,
        tiles: tiles.length,
        predictSeconds,
        seconds: (Date.now() - started) / 1000,
        voxelsPerSecond: voxelCount(boxSize(region)) / Math.max(1e-9, predictSeconds),
        device: inner.info.provider,
        scanBackend: inner.info.scanBackend,
      };
    } finally {
      scratch.dispose();
    }
  });
};
