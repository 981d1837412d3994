/**
 * Worker thread of the live preview: runs a checkpoint on a small view region (affinities,
 * optionally segmented) off the main thread, beside a training job. Keeps the last network
 * (same checkpoint file and window) and the open project between requests.
 */
import { statSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { loadCheckpoint } from '../ml/checkpoint/index';
import { modelFromConfig } from '../ml/model';
import { quantizeAffinities } from '../pipeline/affinity-layers';
import { trainedWindow } from '../pipeline/infer/task';
import { modelWindowPredictor } from '../pipeline/model-windows';
import { normalizationFor } from '../pipeline/normalization';
import { fullBox, openSource, type VolumeSource } from '../pipeline/volume-source';
import { predictBox, WindowGrid, type WindowPredictor } from '../pipeline/windows';
import { segmentAffinities } from '../segmentation/index';
import { Project } from '../store/project';
import { boxSize, type Box, type Vec3 } from '../volumes/box';
import { VolumeService } from '../volumes/service';
import { previewBox } from './preview-box';

export interface PreviewJob {
  id: number;
  projectRoot: string;
  checkpoint: string;
  imageLayer: string;
  box: Box;
  segment: boolean;
  threshold: number;
  threads: number;
}

export type PreviewReply =
  | { id: number; ok: true; box: Box; affinities: Uint8Array; segmentation: Uint32Array | null; device: string; seconds: number }
  | { id: number; ok: false; code: string; error: string };

let opened: { root: string; project: Project; service: VolumeService; sources: Map<string, VolumeSource> } | null = null;
let network: { key: string; predictor: WindowPredictor & { info: { provider: string; scanBackend: string } }; window: Vec3 } | null = null;

async function source(root: string, layer: string): Promise<VolumeSource> {
  if (!opened || opened.root !== root) {
    if (opened) {
      await opened.service.close();
      opened.project.close();
    }
    const project = Project.attach(root);
    opened = { root, project, service: new VolumeService(project), sources: new Map() };
  }
  let s = opened.sources.get(layer);
  if (!s) opened.sources.set(layer, (s = await openSource({ layer }, { project: opened.project, service: opened.service })));
  return s;
}

async function run(job: PreviewJob): Promise<PreviewReply> {
  const started = Date.now();
  const image = await source(job.projectRoot, job.imageLayer);
  const stat = statSync(job.checkpoint);
  const key = `${job.checkpoint}|${stat.mtimeMs}|${stat.size}|${job.imageLayer}|${job.threads}`;
  if (!network || network.key !== key) {
    network = null;
    const ckpt = loadCheckpoint(job.checkpoint, { optimizer: false });
    const model = modelFromConfig(ckpt.meta.config, ckpt.meta.preset);
    if (model.config.outChannels !== 3) {
      return { id: job.id, ok: false, code: 'BAD_REQUEST', error: `this model predicts ${model.config.outChannels} channel(s), not affinities (a pretrained model: fine-tune it first)` };
    }
    const window = trainedWindow(ckpt.meta);
    const normalization = ckpt.meta.normalization ?? (await normalizationFor(image));
    const weights = new Map([...ckpt.weights].map(([k, t]) => [k, t.data]));
    const predictor = await modelWindowPredictor({ model, weights, normalization, source: image, window, threads: job.threads });
    network = { key, predictor, window };
  }
  const box = previewBox(job.box, network.window, image.shape);
  const grid = new WindowGrid(box, network.window, 0, fullBox(image.shape));
  const probs = await predictBox(network.predictor, grid, box);
  let segmentation: Uint32Array | null = null;
  if (job.segment) {
    const seg = await segmentAffinities(probs, boxSize(box), { thresholds: [job.threshold], flat: true });
    segmentation = seg.segmentations![0];
  }
  const info = network.predictor.info;
  return {
    id: job.id,
    ok: true,
    box,
    affinities: quantizeAffinities(probs),
    segmentation,
    device: `${info.provider === 'cuda' ? 'CUDA' : 'CPU'}, ${info.scanBackend} scan`,
    seconds: (Date.now() - started) / 1000,
  };
}

const port = parentPort;
if (port) {
  let queue = Promise.resolve();
  port.on('message', (job: PreviewJob) => {
    queue = queue.then(async () => {
      let reply: PreviewReply;
      try {
        reply = await run(job);
      } catch (err) {
        const e = err as { code?: string; message?: string };
        reply = { id: job.id, ok: false, code: typeof e.code === 'string' ? e.code : 'INTERNAL', error: e.message ?? String(err) };
      }
      port.postMessage(reply, reply.ok ? ([reply.affinities.buffer, ...(reply.segmentation ? [reply.segmentation.buffer] : [])] as ArrayBuffer[]) : []);
    });
  });
}
