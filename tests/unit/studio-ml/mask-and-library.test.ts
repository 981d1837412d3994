import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { saveCheckpoint } from '../../../src/main/ml/checkpoint/index';
import { createModel } from '../../../src/main/ml/model';
import { Rng } from '../../../src/main/ml/util/rng';
import { resolveAugment } from '../../../src/main/pipeline/augment';
import { buildSample } from '../../../src/main/pipeline/finetune/samples';
import { voxelCount, type Box, type Vec3 } from '../../../src/main/volumes/box';
import { memorySource as memory } from '../../helpers/memory-source';
import { MICRO_MODEL, session } from './helpers';


describe('training mask (pipeline.finetune mask, added for the studio)', () => {
  it('gives zero weight to every affinity pair touching a masked voxel, and only to those', async () => {
    const shape: Vec3 = [8, 32, 32];
    const n = voxelCount(shape);
    const labels = Uint32Array.from({ length: n }, (_, i) => 1 + (Math.floor((i % 32) / 6) + 3 * Math.floor(((i / 32) | 0) % 32 / 7)));
    const image = Uint8Array.from(labels, (l) => 20 + 10 * l);
    // Known: the left half in x (plus nothing else).
    const mask = Uint8Array.from({ length: n }, (_, i) => (i % 32 < 16 ? 1 : 0));
    const crop: Vec3 = [8, 32, 32];
    const region: Box = { min: [0, 0, 0], max: shape };
    const base = { image: memory(image, shape), labels: memory(labels, shape), normalization: { kind: 'scale' as const, offset: 0, scale: 255 }, region };
    const augment = resolveAugment(false);
    const without = await buildSample(base, crop, augment, new Rng(1));
    const withMask = await buildSample({ ...base, mask: memory(mask, shape) }, crop, augment, new Rng(1));
    const cn = voxelCount(crop);
    let zeroed = 0;
    for (let c = 0; c < 3; c++)
      for (let z = 0; z < crop[0]; z++)
        for (let y = 0; y < crop[1]; y++)
          for (let x = 0; x < crop[2]; x++) {
            const i = c * cn + (z * crop[1] + y) * crop[2] + x;
            // Pair (v, v - e_c): both ends must be known.
            const other = c === 2 ? x - 1 : x;
            const known = x < 16 && other < 16 && other >= 0;
            if (!known) {
              expect(withMask.weight[i]).toBe(0);
              if (without.weight[i] > 0) zeroed++;
            } else expect(withMask.weight[i] > 0).toBe(without.weight[i] > 0);
            expect(withMask.target[i]).toBe(without.target[i]);
          }
    expect(zeroed).toBeGreaterThan(cn);
  });
});

describe('model library', () => {
  it('imports an engine checkpoint as a job, lists it with its kind and provenance, and deletes it only by name', async () => {
    const s = await session();
    const model = createModel('tiny', { ...MICRO_MODEL, outChannels: 3 });
    const rng = new Rng(2);
    const weights = new Map(model.specs.map((sp) => [sp.name, { shape: [...sp.shape], data: Float32Array.from({ length: sp.shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * 0.01) }]));
    const file = join(s.root, 'micro.safetensors');
    saveCheckpoint(file, { meta: { format: 'tokenunify-checkpoint', version: 1, preset: 'tiny', config: model.config }, weights });

    const job = await s.call('studio.models.import', { path: file, name: 'micro' });
    const done = await s.ctx.jobs.wait(job.id);
    expect(done.state, done.error ?? '').toBe('succeeded');
    const [m] = await s.call('studio.models');
    expect(m).toMatchObject({ name: 'micro', kind: 'imported', canSegment: true, preset: 'tiny', run: null, parent: null });
    expect(m.provenance).toMatchObject({ kind: 'imported', source: file, outChannels: 3, loaded: weights.size });
    expect(m.fileBytes).toBeGreaterThan(0);

    const missing = await s.call('studio.models.import', { path: join(s.root, 'nope.pth') });
    expect((await s.ctx.jobs.wait(missing.id)).error).toMatch(/no file/);
    const wrongType = await s.call('studio.models.import', { path: join(s.root, 'p', 'project.sqlite') });
    expect((await s.ctx.jobs.wait(wrongType.id)).error).toMatch(/import a TokenUnify \.pth or a \.safetensors/);

    expect(await s.dispatch('studio.models.delete', { id: m.id, confirmName: 'micr' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await s.call('studio.models.delete', { id: m.id, confirmName: 'micro' })).toEqual({ deleted: true });
    expect(await s.call('studio.models')).toEqual([]);
    expect(existsSync(s.project.path(m.path))).toBe(false);
  });

  it('reports the device training and inference use, and why', async () => {
    const s = await session();
    const d = await s.call('studio.device');
    expect(['cpu', 'cuda']).toContain(d.runtime.provider);
    expect(d.runtime.reason.length).toBeGreaterThan(5);
    expect(d.scan.reason.length).toBeGreaterThan(5);
    if (d.runtime.provider === 'cpu') {
      expect(d.recommended).toMatchObject({ preset: 'tiny', crop: [16, 80, 80] });
      expect(d.summary).toMatch(/^CPU \(\d+ threads\)/);
    } else expect(d.recommended.preset).toBe('base');
    expect(d.host.cores).toBeGreaterThan(0);
  });
});
