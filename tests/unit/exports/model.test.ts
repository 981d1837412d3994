import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { saveCheckpoint, type Normalization } from '../../../src/main/ml/checkpoint/index';
import { Predictor } from '../../../src/main/ml/infer/predictor';
import { modelFromConfig } from '../../../src/main/ml/model';
import { presetConfig } from '../../../src/main/ml/models/segmamba';
import { registerModel } from '../../../src/main/pipeline/models';
import { normalize } from '../../../src/main/pipeline/normalization';
import type { Project } from '../../../src/main/store/project';
import { SyntheticEM } from '../../../src/main/synthetic/generator';
import type { Vec3 } from '../../../src/main/volumes/box';
import { exportModel } from '../../../src/main/exports/model-export';
import { newProject, suiteDir } from '../../helpers/volumes';

/** A reduced SegMamba (~0.2M parameters) predicting 3 affinities, as the pipeline tests use. */
const CONFIG = presetConfig('tiny', { featureSize: [4, 8, 16, 32], hiddenSize: 32, depths: [1, 1, 1, 1], outChannels: 3 });
const CROP: Vec3 = [16, 16, 80];
/** 16-bit data scaled from its own range, as the pipeline does for non-uint8 volumes. */
const NORM: Normalization = { kind: 'minmax', offset: 1200, scale: 30000 };

function emCrop(): Float32Array {
  const em = new SyntheticEM({ shape: CROP, seed: 5 });
  const img = em.render([0, 0, 0], CROP).image;
  return Float32Array.from(img, (v) => NORM.offset + (v / 255) * NORM.scale);
}

describe('model export: a standalone ONNX file with its normalisation', () => {
  const dir = suiteDir('tu-exmodel-');
  let project: Project;
  let weights: Map<string, Float32Array>;

  beforeAll(() => {
    project = newProject(dir);
    const model = modelFromConfig(CONFIG, 'tiny');
    weights = model.initWeights(7);
    const ckpt = join(dir, 'trained.safetensors');
    saveCheckpoint(ckpt, {
      meta: { format: 'tokenunify-checkpoint', version: 1, preset: 'tiny', config: CONFIG, normalization: NORM, extra: { pipeline: { crop: CROP } } },
      weights: new Map([...weights].map(([k, data]) => [k, { shape: model.specs.find((s) => s.name === k)!.shape, data }])),
    });
    registerModel(project, { name: 'finetuned', preset: 'tiny', checkpoint: ckpt, provenance: { kind: 'fine-tuned' }, metrics: { voi: 1.5 } });
  });

  it('folds (raw - offset) / scale into the graph and reproduces the engine on a real crop', async () => {
    const out = join(dir, 'finetuned.onnx');
    const r = await exportModel(project, 'finetuned', out, { verifyInput: emCrop() });
    expect(r).toMatchObject({
      files: [out],
      input: { name: 'raw', shape: [1, 1, ...CROP] },
      output: { name: 'affinities', shape: [1, 3, ...CROP] },
      normalization: { ...NORM, source: 'checkpoint' },
      model: { name: 'finetuned', preset: 'tiny' },
    });
    expect(r.maxAbsDifference).toBeLessThan(1e-4);

    // Independently of the export's own check: load the file and compare with the engine here.
    const raw = emCrop().map((v, i) => v + ((i * 7919) % 13) * 50);
    const session = await ort.InferenceSession.create(out);
    expect(session.inputNames).toEqual(['raw']);
    const got = (await session.run({ raw: new ort.Tensor('float32', raw, [1, 1, ...CROP]) })).affinities.data as Float32Array;
    await session.release();
    const predictor = await Predictor.create(modelFromConfig(CONFIG, 'tiny'), weights, { crop: CROP });
    const want = await predictor.predict(normalize(raw, NORM));
    let max = 0;
    for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(want[i] - got[i]));
    expect(max).toBeLessThan(1e-4);
    // Sigmoid outputs that differ across the crop (not a constant the check would pass trivially).
    expect(Math.max(...got) - Math.min(...got)).toBeGreaterThan(1e-3);
  });

  it('records the normalisation, preset, crop and provenance in metadata_props', () => {
    const model = onnxProto.onnx.ModelProto.decode(readFileSync(join(dir, 'finetuned.onnx')));
    const meta = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
    expect(JSON.parse(meta['tokenunify.normalization'])).toMatchObject({ kind: 'minmax', offset: 1200, scale: 30000 });
    expect(meta['tokenunify.preset']).toBe('tiny');
    expect(JSON.parse(meta['tokenunify.input'])).toMatchObject({ name: 'raw', shape: [1, 1, ...CROP] });
    expect(JSON.parse(meta['tokenunify.model'])).toMatchObject({ name: 'finetuned', provenance: { kind: 'fine-tuned' }, metrics: { voi: 1.5 } });
    expect(model.graph!.node![0]).toMatchObject({ opType: 'Sub', input: ['raw', 'tokenunify_norm_offset'] });
    expect(model.graph!.node![1]).toMatchObject({ opType: 'Div' });
    expect(model.opsetImport.map((o) => `${o.domain}:${o.version}`)).toContain(':26');
  });

  it('keeps large weights in OUT.data (ONNX external data) that onnxruntime loads beside the model', async () => {
    const out = join(dir, 'external.onnx');
    const r = await exportModel(project, 'finetuned', out, { externalDataBytes: 0, output: 'logits' });
    expect(r.files).toEqual([out, `${out}.data`]);
    expect(r.output.name).toBe('affinity_logits');
    expect(r.maxAbsDifference).toBeLessThan(1e-4);
    const model = onnxProto.onnx.ModelProto.decode(readFileSync(out));
    const external = model.graph!.initializer!.filter((t) => t.dataLocation === onnxProto.onnx.TensorProto.DataLocation.EXTERNAL);
    expect(external.length).toBeGreaterThan(10);
    expect(external[0].externalData!.find((e) => e.key === 'location')!.value).toBe('external.onnx.data');
    expect(readFileSync(out).length).toBeLessThan(readFileSync(`${out}.data`).length);
  });

  it('refuses crops the network cannot take, unknown models and taken names; nothing is left behind', async () => {
    await expect(exportModel(project, 'finetuned', join(dir, 'bad.onnx'), { crop: [16, 16, 70] })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('divisible by 16') });
    await expect(exportModel(project, 'nope', join(dir, 'nope.onnx'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(exportModel(project, 'finetuned', join(dir, 'finetuned.onnx'))).rejects.toMatchObject({ code: 'CONFLICT' });
    const abort = new AbortController();
    abort.abort();
    await expect(exportModel(project, 'finetuned', join(dir, 'cancelled.onnx'), { signal: abort.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(existsSync(join(dir, 'bad.onnx')) || existsSync(join(dir, 'cancelled.onnx'))).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('.partial-'))).toEqual([]);
  });
});
