import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateSegmentation } from '../../../src/main/segmentation/index';
import type { Vec3 } from '../../../src/main/volumes/box';
import { volumeService } from '../../../src/main/volumes/handlers';
import { stopPreviewWorker } from '../../../src/main/studio-ml/preview';
import { bySize, emProject, MICRO_CROP, MICRO_MODEL, session } from './helpers';

const SHAPE: Vec3 = [16, 48, 96];

/** The whole fine-tune loop through the API: data, train, pause, resume, preview, segment, quality. */
describe('fine-tune on my corrections (API, jobs)', () => {
  it('trains on done segments, pauses with a checkpoint, resumes, previews, segments and scores against a reference', async () => {
    const s = await session();
    const { labels, gtId } = await emProject(s, SHAPE);
    const done = bySize(labels).slice(0, 8);
    for (const id of done) await s.call('segments.update', { layerId: gtId, id, status: 'done' });

    const summary = await s.call('studio.trainingData', { labels: gtId, image: 'em', crop: MICRO_CROP });
    const doneSet = new Set(done);
    expect(summary.labeledVoxels).toBe(labels.filter((v) => doneSet.has(v)).length);
    expect(summary.objects).toBe(done.length);
    expect(summary.errors).toEqual([]);

    const badCrop = await s.dispatch('studio.finetune', { labels: gtId, image: 'em', crop: [16, 70, 70] });
    expect(badCrop).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/crop 16x70x70: every axis must be divisible by 16/) } });
    const start = await s.call('studio.finetune', {
      labels: gtId,
      image: 'em',
      name: 'ft1',
      preset: 'tiny',
      modelOverrides: MICRO_MODEL,
      crop: MICRO_CROP,
      steps: 4,
      validateEvery: 2,
      checkpointEvery: 1,
      augment: false,
    });
    expect(start.run).toBe('ft1');
    // Pause after the first step's curve point: the job stops with a checkpoint.
    await expect.poll(() => s.events.some((e) => e.event === 'job.event' && e.data.kind === 'train.point' && e.data.data.run === 'ft1'), { timeout: 90_000, interval: 100 }).toBe(true);
    expect(await s.call('studio.runs.pause', { run: 'ft1' })).toEqual({ paused: true });
    expect((await s.ctx.jobs.wait(start.job.id)).state).toBe('cancelled');
    const paused = (await s.call('studio.runs')).find((r: any) => r.id === 'ft1');
    expect(paused).toMatchObject({ state: 'stopped', job: null, studio: { labels: gtId, summary: { objects: done.length } } });
    expect(paused.step).toBeGreaterThanOrEqual(1);
    expect(paused.step).toBeLessThan(4);
    expect(s.events.some((e) => e.event === 'job.event' && e.data.kind === 'studio.device')).toBe(true);

    const preview = await s.call('studio.preview', { run: 'ft1', image: 'em', box: { min: [0, 0, 0], max: SHAPE }, segment: true });
    const pv = preview.box.max.map((v: number, a: number) => v - preview.box.min[a]);
    expect(pv).toEqual([16, 32, 96].map((v, a) => Math.min(v, [16, 2 * 16, 2 * 80][a], SHAPE[a])));
    expect(preview.affinities.length).toBe(3 * pv[0] * pv[1] * pv[2]);
    expect(preview.segmentation.length).toBe(pv[0] * pv[1] * pv[2]);
    expect(preview.source).toMatch(/run ft1, step/);

    const resumed = await s.call('studio.runs.resume', { run: 'ft1' });
    const finished = await s.ctx.jobs.wait(resumed.id);
    expect(finished.state, finished.error ?? '').toBe('succeeded');
    expect(finished.result).toMatchObject({ run: 'ft1', steps: 4, resumedFrom: paused.step });
    const curve = await s.call('pipeline.curve', { run: 'ft1' });
    expect(curve.filter((p: any) => p.split === 'train').map((p: any) => p.step)).toEqual([1, 2, 3, 4]);
    // Validation every 2 steps (a pause right after step 2 skips that one) and at the end.
    const valSteps = curve.filter((p: any) => p.split === 'val').map((p: any) => p.step);
    expect(valSteps.at(-1)).toBe(4);
    expect(valSteps.every((v: number) => v === 2 || v === 4)).toBe(true);

    const model = (await s.call('studio.models')).find((m: any) => m.name === 'ft1');
    expect(model).toMatchObject({ kind: 'fine-tuned', canSegment: true, run: { id: 'ft1', state: 'finished' } });
    expect(model.provenance.proofreading).toMatchObject({ labels: gtId, doneSegments: done.length, objects: done.length });

    const seg = await s.call('studio.segment', { model: model.id, image: 'em', name: 'auto', region: { min: [0, 0, 0], max: [16, 48, 80] } });
    const segDone = await s.ctx.jobs.wait(seg.id);
    expect(segDone.state, segDone.error ?? '').toBe('succeeded');
    const layers = (await s.call('layers.list')).map((l: any) => l.name);
    expect(layers).toEqual(expect.arrayContaining(['auto-aff-z', 'auto-aff-y', 'auto-aff-x', 'auto-fragments', 'auto']));

    // Quality of the new layer against the ground truth equals a full evaluation.
    const frag = (await s.call('layers.list')).find((l: any) => l.name === 'auto-fragments');
    const q = await s.call('studio.quality.start', { layerId: frag.id, referenceId: gtId });
    const service = volumeService(s.project);
    const full = { min: [0, 0, 0] as Vec3, max: SHAPE };
    const fragments = (await service.readRegion(frag.id, 0, full)) as Uint32Array;
    const mapping = await s.call('mapping.get', { layerId: frag.id });
    const map = new Map<number, number>(Array.from(mapping.fragments as Uint32Array, (f, i) => [f, mapping.segments[i]]));
    const mapped = Uint32Array.from(fragments, (f) => map.get(f) ?? f);
    const reference = await evaluateSegmentation(labels, mapped);
    expect(q.current.voi).toBeCloseTo(reference.voi, 9);
    expect(q.current.arand).toBeCloseTo(reference.arand, 9);
    expect(q.points).toHaveLength(1);

    expect(await s.call('studio.runs.discard', { run: 'ft1' })).toEqual({ deleted: true });
    expect(existsSync(join(s.project.root, 'runs', 'ft1'))).toBe(false);
    expect((await s.call('studio.runs')).map((r: any) => r.id)).not.toContain('ft1');
    expect((await s.call('studio.models')).map((m: any) => m.name)).toContain('ft1');
    await stopPreviewWorker();
  }, 240_000);
});
