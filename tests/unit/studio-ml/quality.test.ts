import { describe, expect, it } from 'vitest';
import { evaluateSegmentation } from '../../../src/main/segmentation/index';
import { Contingency } from '../../../src/main/studio-ml/quality/contingency';
import { qualityService } from '../../../src/main/studio-ml/quality/service';
import { Rng } from '../../../src/main/ml/util/rng';
import type { Vec3 } from '../../../src/main/volumes/box';
import { createLayerFromArray } from '../../../src/main/volumes/create-layer';
import { volumeService } from '../../../src/main/volumes/handlers';
import { idx, session, type Session } from './helpers';

const SHAPE: Vec3 = [10, 40, 48];
const CHUNK: Vec3 = [8, 16, 16];

function cells(size: number, offset = 0): Uint32Array {
  const d = new Uint32Array(SHAPE[0] * SHAPE[1] * SHAPE[2]);
  for (let z = 0; z < SHAPE[0]; z++)
    for (let y = 0; y < SHAPE[1]; y++)
      for (let x = 0; x < SHAPE[2]; x++) {
        const yy = y + offset;
        d[idx(SHAPE, z, y, x)] = yy % size === 0 || x % size === 0 ? 0 : 1 + Math.floor(yy / size) * 10 + Math.floor(x / size);
      }
  return d;
}

const METRIC_KEYS = ['voiSplit', 'voiMerge', 'voi', 'arand'] as const;

function expectSame(a: object, b: object, what: string) {
  const x = a as Record<string, number>;
  const y = b as Record<string, number>;
  for (const k of METRIC_KEYS) expect(Math.abs(x[k] - y[k]), `${what}: ${k} ${x[k]} vs ${y[k]}`).toBeLessThan(1e-9);
}

describe('contingency metrics', () => {
  it('equal the segmentation module (skimage conventions, reference 0 ignored) on random pairs', async () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 6; trial++) {
      const n = 5000;
      const gt = Uint32Array.from({ length: n }, () => rng.int(6 + trial));
      // Segmentations correlated with gt (runs, splits, merges, label 0 as an ordinary label).
      const seg = Uint32Array.from(gt, (g, i) => (rng.uniform() < 0.7 ? g * 3 + (i % (trial + 1)) : rng.int(5)));
      const ours = Contingency.count(gt, seg).metrics()!;
      const ref = await evaluateSegmentation(gt, seg);
      expectSame(ours, ref, `trial ${trial}`);
      expect(ours.counted).toBe(ref.counted);
    }
  });

  it('subtracting a part and adding its new counts equals counting the new whole', () => {
    const rng = new Rng(3);
    const a = Uint32Array.from({ length: 3000 }, () => rng.int(7));
    const b = Uint32Array.from({ length: 3000 }, () => rng.int(9));
    const table = Contingency.count(a, b);
    const changed = b.slice();
    for (let i = 1000; i < 2000; i++) changed[i] = rng.int(4);
    table.addTable(Contingency.count(a.subarray(1000, 2000), b.subarray(1000, 2000)), -1);
    table.addTable(Contingency.count(a.subarray(1000, 2000), changed.subarray(1000, 2000)), 1);
    expect(table.metrics()).toEqual(Contingency.count(a, changed).metrics());
    expect(new Contingency().metrics()).toBeNull();
  });
});

async function fullMetrics(s: Session, layerId: string, refId: string) {
  const service = volumeService(s.project);
  const box = { min: [0, 0, 0] as Vec3, max: SHAPE };
  const seg = Uint32Array.from((await service.readRegion(layerId, 0, box)) as Uint32Array);
  const ref = (await service.readRegion(refId, 0, box)) as Uint32Array;
  const layer = (await s.call('layers.list')).find((l: any) => l.id === layerId);
  if (layer.kind === 'fragments') {
    const m = await s.call('mapping.get', { layerId });
    const map = new Map<number, number>(Array.from(m.fragments as Uint32Array, (f, i) => [f, m.segments[i]]));
    for (let i = 0; i < seg.length; i++) seg[i] = map.get(seg[i]) ?? seg[i];
  }
  return evaluateSegmentation(ref, seg);
}

describe('quality against a reference, as edits happen', () => {
  for (const kind of ['fragments', 'labels'] as const) {
    it(`updates incrementally on a ${kind} layer exactly as a full recomputation, and replays the edit history`, async () => {
      const s = await session();
      const gt = await createLayerFromArray(s.project, { name: 'gt', kind: 'labels', dtype: 'uint32', shape: SHAPE, resolution: [40, 4, 4], data: cells(8), chunkShape: CHUNK });
      // The segmentation: cells shifted by 2 rows, and (fragments) each cell split into two fragments along z.
      const segData = cells(8, 2);
      const data = kind === 'fragments' ? Uint32Array.from(segData, (v, i) => (v === 0 ? 0 : Math.floor(i / (SHAPE[1] * SHAPE[2])) < 5 ? v : 500 + v)) : segData;
      const layer = await createLayerFromArray(s.project, { name: 'seg', kind, dtype: 'uint32', shape: SHAPE, resolution: [40, 4, 4], data, chunkShape: CHUNK });
      const prep = await s.call('proofreading.prepare', { layerId: layer.id });
      if (prep.job) await s.ctx.jobs.wait(prep.job.id);
      const quality = qualityService(s.ctx);

      const start = await s.call('studio.quality.start', { layerId: layer.id, referenceId: gt.id });
      expectSame(start.current, await fullMetrics(s, layer.id, gt.id), 'start');
      expect(start.lastUpdate.kind).toBe('full');
      const afterEdit = new Map<number, Record<string, number>>();
      const step = async (what: string, fn: () => Promise<unknown>) => {
        await fn();
        await quality.settled();
        const state = await s.call('studio.quality.get', { layerId: layer.id, referenceId: gt.id });
        expectSame(state.current, await fullMetrics(s, layer.id, gt.id), what);
        const last = state.points.at(-1);
        expect(last.metrics).toEqual(state.current);
        if (last.editId !== null) afterEdit.set(last.editId, state.current);
        return state;
      };
      await step('paint', () => s.call('edits.paint', { layerId: layer.id, segmentId: 12, axis: 'z', points: [[3, 10, 10], [3, 30, 40]], radius: 3 }));
      const merged = await step('merge', () => s.call('edits.merge', { layerId: layer.id, target: 13, source: 14 }));
      expect(merged.lastUpdate.kind).toBe(kind === 'fragments' ? 'mapping' : 'chunks');
      await step('erase', () => s.call('edits.paint', { layerId: layer.id, segmentId: 0, erase: true, axis: 'z', points: [[7, 20, 20]], radius: 5 }));
      await step('merge 2', () => s.call('edits.merge', { layerId: layer.id, target: 23, source: 24 }));
      const undone = await step('undo', () => s.call('history.undo'));
      expect(undone.points.map((p: any) => p.editId).filter((id: number | null) => id !== null)).toHaveLength(3);
      const fill = await step('fill', () => s.call('edits.fill', { layerId: layer.id, seed: [2, 12, 12], segmentId: 33, mode: '2d', axis: 'z' }));
      if (kind === 'labels') {
        // A fill re-counts only the chunks it rewrote (fragment layers also get a mapping update after it).
        expect(fill.lastUpdate.kind).toBe('chunks');
        expect(fill.lastUpdate.chunks).toBeLessThan(Math.ceil(SHAPE[0] / 8) * Math.ceil(SHAPE[1] / 16) * Math.ceil(SHAPE[2] / 16));
      }
      const events = s.events.filter((e) => e.event === 'studio.quality.updated');
      expect(events.length).toBeGreaterThanOrEqual(6);

      // Tracking started now replays the history backwards: the same values after each edit.
      quality.stop(layer.id, gt.id);
      const replayed = await s.call('studio.quality.start', { layerId: layer.id, referenceId: gt.id });
      const edits = replayed.points.filter((p: any) => p.editId !== null);
      const applied = (await s.call('history.list', { layerId: layer.id })).entries.filter((e: any) => !e.undone).map((e: any) => e.id).sort((a: number, b: number) => a - b);
      expect(applied).toHaveLength(4);
      expect(edits.map((p: any) => p.editId)).toEqual(applied);
      for (const p of edits) expectSame(p.metrics, afterEdit.get(p.editId)!, `replayed edit ${p.editId} (${p.label})`);
      expectSame(replayed.points[0].metrics, start.current, 'before the first edit');
      expect(replayed.points[0].editId).toBeNull();

      // Edits of the reference re-count the chunks they overlap too.
      const refPrep = await s.call('proofreading.prepare', { layerId: gt.id });
      if (refPrep.job) await s.ctx.jobs.wait(refPrep.job.id);
      await step('reference edit', () => s.call('edits.paint', { layerId: gt.id, segmentId: 7, axis: 'z', points: [[4, 20, 30]], radius: 4 }));
    }, 120_000);
  }
});
