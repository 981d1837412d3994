import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { setInitialMapping } from '../../../src/main/proofreading/index-layer';
import { LabelScan, layerScanSource } from '../../../src/main/studio-ml/label-scan';
import { writeSnapshot, snapshotFiles } from '../../../src/main/studio-ml/snapshot';
import { assessTrainingData, DATA_THRESHOLDS } from '../../../src/main/studio-ml/training-plan';
import type { Box, Vec3 } from '../../../src/main/volumes/box';
import { createLayerFromArray } from '../../../src/main/volumes/create-layer';
import { volumeService } from '../../../src/main/volumes/handlers';
import { openVolume } from '../../../src/main/volumes/readers/open';
import { idx, session, type Session } from './helpers';

const SHAPE: Vec3 = [12, 40, 48];
const CHUNK: Vec3 = [8, 16, 16];

/** Cells of 8x8 voxels in plane through all sections, separated by 0-valued membranes: ids 1..30. */
function cells(): Uint32Array {
  const d = new Uint32Array(SHAPE[0] * SHAPE[1] * SHAPE[2]);
  for (let z = 0; z < SHAPE[0]; z++)
    for (let y = 0; y < SHAPE[1]; y++)
      for (let x = 0; x < SHAPE[2]; x++) d[idx(SHAPE, z, y, x)] = y % 8 === 0 || x % 8 === 0 ? 0 : 1 + Math.floor(y / 8) * 6 + Math.floor(x / 8);
  return d;
}

const inside = (b: Box, z: number, y: number, x: number) => z >= b.min[0] && z < b.max[0] && y >= b.min[1] && y < b.max[1] && x >= b.min[2] && x < b.max[2];

/** What the scan must find, computed voxel by voxel. */
function bruteForce(segments: ArrayLike<number>, stored: ArrayLike<number>, done: Set<number>, boxes: Box[]) {
  const n = SHAPE[0] * SHAPE[1] * SHAPE[2];
  const labelled = new Uint8Array(n);
  const known = new Uint8Array(n);
  const isDone = (i: number) => done.has(stored[i]);
  for (let z = 0; z < SHAPE[0]; z++)
    for (let y = 0; y < SHAPE[1]; y++)
      for (let x = 0; x < SHAPE[2]; x++) {
        const i = idx(SHAPE, z, y, x);
        labelled[i] = isDone(i) || boxes.some((b) => inside(b, z, y, x)) ? 1 : 0;
        let rim = false;
        for (const [dz, dy, dx] of [[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]]) {
          const [a, b, c] = [z + dz, y + dy, x + dx];
          if (a >= 0 && b >= 0 && c >= 0 && a < SHAPE[0] && b < SHAPE[1] && c < SHAPE[2] && isDone(idx(SHAPE, a, b, c))) rim = true;
        }
        known[i] = labelled[i] || rim ? 1 : 0;
      }
  const count = (region: Box | null) => {
    let voxels = 0;
    const objects = new Set<number>();
    for (let z = 0; z < SHAPE[0]; z++)
      for (let y = 0; y < SHAPE[1]; y++)
        for (let x = 0; x < SHAPE[2]; x++) {
          const i = idx(SHAPE, z, y, x);
          if (!labelled[i] || (region && !inside(region, z, y, x))) continue;
          voxels++;
          if (segments[i] !== 0) objects.add(segments[i]);
        }
    return { voxels, objects: objects.size };
  };
  return { labelled, known, count };
}

async function labelProject(s: Session) {
  const em = new Uint8Array(SHAPE[0] * SHAPE[1] * SHAPE[2]).fill(128);
  await createLayerFromArray(s.project, { name: 'em', kind: 'image', dtype: 'uint8', shape: SHAPE, resolution: [40, 4, 4], data: em, chunkShape: CHUNK });
  const labels = cells();
  const layer = await createLayerFromArray(s.project, { name: 'seg', kind: 'labels', dtype: 'uint32', shape: SHAPE, resolution: [40, 4, 4], data: labels, chunkShape: CHUNK });
  const prep = await s.call('proofreading.prepare', { layerId: layer.id });
  if (prep.job) await s.ctx.jobs.wait(prep.job.id);
  return { labels, layerId: layer.id };
}

describe('training data from proofreading', () => {
  it('counts done segments and box voxels exactly and holds out ~20% of them for validation', async () => {
    const s = await session();
    const { labels, layerId } = await labelProject(s);
    const done = [8, 9, 14, 21, 22, 23];
    for (const id of done) await s.call('segments.update', { layerId, id, status: 'done' });
    const box: Box = { min: [2, 30, 30], max: [10, 40, 46] };
    await s.call('studio.boxes.create', { layerId, box });
    const summary = await s.call('studio.trainingData', { labels: layerId, image: 'em', crop: [16, 16, 80] });
    const bf = bruteForce(labels, labels, new Set(done), [box]);
    const all = bf.count(null);
    expect(summary).toMatchObject({ doneSegments: 6, labeledVoxels: all.voxels, objects: all.objects, errors: [] });
    const { train, validation } = summary;
    expect(validation.source).toBe('auto');
    expect(train.voxels).toBe(bf.count(train.region).voxels);
    expect(train.objects).toBe(bf.count(train.region).objects);
    expect(validation.voxels).toBe(bf.count(validation.region).voxels);
    expect(validation.objects).toBe(bf.count(validation.region).objects);
    expect(train.voxels + validation.voxels).toBe(all.voxels);
    const share = validation.voxels / all.voxels;
    expect(share).toBeGreaterThanOrEqual(0.2);
    expect(share).toBeLessThan(0.45);
    // Too few voxels for good training: warned, not refused.
    expect(summary.warnings.join(' ')).toMatch(/labelled voxels \(at least 100,000/);

    // A validation box takes precedence; training is the slab beside it holding most labels.
    await s.call('studio.boxes.create', { layerId, box: { min: [0, 0, 0], max: [12, 16, 17] }, role: 'validation' });
    const withBox = await s.call('studio.trainingData', { labels: layerId, image: 'em' });
    expect(withBox.validation).toMatchObject({ source: 'box', region: { min: [0, 0, 0], max: [12, 16, 17] } });
    const bf2 = bruteForce(labels, labels, new Set(done), [box, { min: [0, 0, 0], max: [12, 16, 17] }]);
    expect(withBox.validation.voxels).toBe(bf2.count(withBox.validation.region).voxels);
    expect(withBox.train.voxels).toBe(bf2.count(withBox.train.region).voxels);
    const t = withBox.train.region;
    const v = withBox.validation.region;
    expect([0, 1, 2].some((a) => t.max[a] <= v.min[a] || t.min[a] >= v.max[a])).toBe(true);
  });

  it('freezes the known voxels (done segments, their one-voxel rim, boxes) into a Zarr snapshot the readers open', async () => {
    const s = await session();
    const { labels, layerId } = await labelProject(s);
    const done = [1, 15, 16];
    for (const id of done) await s.call('segments.update', { layerId, id, status: 'done' });
    const box: Box = { min: [3, 20, 1], max: [5, 31, 12] };
    const scan = LabelScan.open(s.project, layerScanSource(s.project, volumeService(s.project), layerId), [box]);
    const dir = join(s.root, 'snap');
    const stats = await writeSnapshot(scan, dir, { test: true });
    const bf = bruteForce(labels, labels, new Set(done), [box]);
    const full: Box = { min: [0, 0, 0], max: SHAPE };
    const files = snapshotFiles(dir);
    const readAll = async (path: string) => {
      const r = await openVolume(path);
      try {
        expect(r.levels[0].shape).toEqual(SHAPE);
        return Array.from(await r.readRegion(full, 0) as ArrayLike<number>);
      } finally {
        await r.close();
      }
    };
    const mask = await readAll(files.mask);
    const snapLabels = await readAll(files.labels);
    expect(mask).toEqual(Array.from(bf.known));
    expect(snapLabels).toEqual(Array.from(labels, (v, i) => (bf.known[i] ? v : 0)));
    expect(stats.knownVoxels).toBe(bf.known.reduce((a, b) => a + b, 0));
  });

  it('applies the fragment mapping: a done segment brings all its fragments, objects are segments', async () => {
    const s = await session();
    const em = new Uint8Array(SHAPE[0] * SHAPE[1] * SHAPE[2]).fill(100);
    await createLayerFromArray(s.project, { name: 'em', kind: 'image', dtype: 'uint8', shape: SHAPE, resolution: [40, 4, 4], data: em, chunkShape: CHUNK });
    // Fragments: each cell split in two along z (ids c and 100 + c); segments = the cells.
    const segs = cells();
    const frags = Uint32Array.from(segs, (v, i) => (v === 0 ? 0 : Math.floor(i / (SHAPE[1] * SHAPE[2])) < 6 ? v : 100 + v));
    const layer = await createLayerFromArray(s.project, { name: 'frags', kind: 'fragments', dtype: 'uint32', shape: SHAPE, resolution: [40, 4, 4], data: frags, chunkShape: CHUNK });
    const ids = [...new Set(frags)].filter((v) => v !== 0).sort((a, b) => a - b);
    setInitialMapping(s.project, layer.id, ids, ids.map((f) => (f > 100 ? f - 100 : f)));
    const prep = await s.call('proofreading.prepare', { layerId: layer.id });
    if (prep.job) await s.ctx.jobs.wait(prep.job.id);
    await s.call('segments.update', { layerId: layer.id, id: 8, status: 'done' });
    await s.call('segments.update', { layerId: layer.id, id: 27, status: 'done' });
    const summary = await s.call('studio.trainingData', { labels: layer.id, image: 'em' });
    const bf = bruteForce(segs, frags, new Set([8, 108, 27, 127]), []);
    expect(summary).toMatchObject({ doneSegments: 2, objects: 2, labeledVoxels: bf.count(null).voxels });
    expect(summary.labeledVoxels).toBe(segs.filter((v) => v === 8 || v === 27).length);
  });

  it('refuses to train without labels, or on labels that cannot be split', async () => {
    const s = await session();
    const { layerId } = await labelProject(s);
    const none = await s.call('studio.trainingData', { labels: layerId, image: 'em' });
    expect(none.errors[0]).toMatch(/No training labels yet/);
    await s.call('studio.boxes.create', { layerId, box: { min: [4, 4, 4], max: [5, 5, 5] } });
    const single = await s.call('studio.trainingData', { labels: layerId, image: 'em' });
    expect(single.labeledVoxels).toBe(1);
    expect(single.errors.join(' ')).toMatch(/cannot be split/);
    const refused = await s.dispatch('studio.finetune', { labels: layerId, image: 'em', steps: 1 });
    expect(refused).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/cannot fine-tune/) } });
    const outside = await s.dispatch('studio.boxes.create', { layerId, box: { min: [0, 0, 0], max: [13, 5, 5] } });
    expect(outside).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/outside layer 'seg'/) } });
    // Boxes never show up among the proofreading annotations.
    expect(await s.call('annotations.list')).toEqual([]);
    expect((await s.call('studio.boxes.list', { layerId })).length).toBe(1);
  });
});

describe('training data thresholds', () => {
  const base = {
    labeledVoxels: DATA_THRESHOLDS.minVoxels,
    objects: DATA_THRESHOLDS.minObjects,
    doneSegments: 10,
    boxes: 0,
    bounds: { min: [0, 0, 0], max: [16, 100, 100] } as Box,
    train: { region: { min: [0, 0, 0], max: [16, 80, 100] } as Box, voxels: 80_000, objects: 8 },
    val: { region: { min: [0, 80, 0], max: [16, 100, 100] } as Box, voxels: 20_000, objects: DATA_THRESHOLDS.minValidationObjects },
  };
  it('warns exactly below each threshold', () => {
    expect(assessTrainingData(base)).toEqual({ errors: [], warnings: [] });
    expect(assessTrainingData({ ...base, objects: DATA_THRESHOLDS.minObjects - 1 }).warnings).toEqual([expect.stringMatching(/Only 9 labelled objects \(at least 10/)]);
    expect(assessTrainingData({ ...base, labeledVoxels: DATA_THRESHOLDS.minVoxels - 1 }).warnings).toEqual([expect.stringMatching(/99,999 labelled voxels \(at least 100,000/)]);
    expect(assessTrainingData({ ...base, val: { ...base.val, objects: 2 } }).warnings).toEqual([expect.stringMatching(/validation region holds 2 objects/)]);
    expect(assessTrainingData({ ...base, crop: [16, 240, 240] }).warnings).toEqual([expect.stringMatching(/less than half a 240x240 crop/)]);
  });
  it('refuses what cannot train', () => {
    expect(assessTrainingData({ ...base, labeledVoxels: 0 }).errors).toEqual([expect.stringMatching(/No training labels/)]);
    expect(assessTrainingData({ ...base, val: { ...base.val, objects: 0 } }).errors).toEqual([expect.stringMatching(/holds no labelled object/)]);
    expect(assessTrainingData({ ...base, train: { ...base.train, voxels: 0 } }).errors).toEqual([expect.stringMatching(/No labelled voxels are left for training/)]);
    expect(assessTrainingData({ ...base, val: { ...base.val, region: null } }).errors).toEqual([expect.stringMatching(/cannot be split/)]);
  });
});
