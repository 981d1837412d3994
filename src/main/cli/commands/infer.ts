import { AppError } from '../../errors';
import { intTriple, parseNumber, parseRegion, prune } from '../../pipeline/cli-args';
import type { InferResult } from '../../pipeline/infer/task';
import { parseSourceArg, sourceShape } from '../../pipeline/volume-source';
import { Project } from '../../store/project';
import { JSON_OPTION, type CliCommand } from '../command';
import { runJob } from '../jobs';

export const inferCommand: CliCommand = {
  name: 'infer',
  summary: 'Predict affinities over a whole volume (or a region) with a model; writes three affinity layers.',
  args: ['DIR'],
  options: {
    model: { type: 'string', description: 'model id or name in the project, or a checkpoint file' },
    image: { type: 'string', description: 'image layer (or file)' },
    output: { type: 'string', description: 'base name of the layers written: <output>-z, <output>-y, <output>-x' },
    region: { type: 'string', description: 'predict only z0:z1,y0:y1,x0:x1 (the layers stay full size, zero elsewhere)' },
    window: { type: 'string', description: 'window z,y,x (default: the crop the model was trained on)' },
    overlap: { type: 'string', description: 'window overlap fraction (Gaussian blending)', default: '0.5' },
    tta: { type: 'boolean', description: 'average the 8 flips of every window (test-time augmentation; 8x slower)' },
    tile: { type: 'string', description: 'tile z,y,x processed at a time (bounds memory)', default: '64,512,512' },
    threads: { type: 'string', description: 'CPU threads for the engine (default: all cores)' },
    scan: { type: 'string', description: 'selective-scan backend: auto, native, onnx or js', default: 'auto' },
    ...JSON_OPTION,
  },
  details: 'Affinities are stored as uint8 (q = round(255 p)). Throughput (voxels/s) is reported.',
  async run({ positionals, values }, io) {
    const project = Project.open(positionals[0]);
    try {
      for (const k of ['model', 'image', 'output']) if (!values[k]) throw new AppError('BAD_REQUEST', `give --${k}`);
      const image = parseSourceArg(project, String(values.image));
      const shape = await sourceShape(project, image);
      const params = prune({
        model: String(values.model),
        image,
        output: String(values.output),
        region: parseRegion(values.region as string | undefined, shape, '--region'),
        window: intTriple(values.window as string | undefined, '--window'),
        overlap: parseNumber(values.overlap as string | undefined, '--overlap', 0, 0.99),
        tta: values.tta === true ? 'flips' : undefined,
        tile: intTriple(values.tile as string | undefined, '--tile'),
        threads: parseNumber(values.threads as string | undefined, '--threads', 1),
        scan: values.scan as string | undefined,
      });
      const r = await runJob<InferResult>(project, 'pipeline.infer', params, io, 'Inference');
      if (values.json) io.json(r);
      else {
        io.out(`wrote ${r.layers.map((l) => l.name).join(', ')}: ${r.windowsComputed} windows of ${r.window.join('x')} (overlap ${r.overlap}, TTA ${r.tta})`);
        io.out(`${Math.round(r.voxelsPerSecond).toLocaleString('en')} voxels/s (${r.predictSeconds.toFixed(1)} s prediction, ${r.seconds.toFixed(1)} s total, ${r.device}, scan ${r.scanBackend})`);
      }
      return 0;
    } finally {
      project.close();
    }
  },
};
