import { afterEach, describe, expect, it } from 'vitest';
import type { Vec3 } from '../../../src/main/volumes/box';
import {
  closeFixture,
  countsOf,
  dbCounts,
  diffCount,
  idx,
  indexCounts,
  labelFixture,
  nativeSegmentationAvailable,
  pyramidMismatches,
  readVoxels,
  sampleLabels,
  SHAPE,
  type Fixture,
} from './fixtures';

const native = nativeSegmentationAvailable();
let fx: Fixture;
afterEach(async () => closeFixture(fx));

/** The database's counts and chunk index agree with the voxels; the pyramid matches level 0. */
async function expectConsistent(f: Fixture, voxels: Uint32Array): Promise<void> {
  const counts = countsOf(voxels);
  expect(dbCounts(f.project, f.layer.id)).toEqual(counts);
  expect(indexCounts(f.project, f.layer.id)).toEqual(counts);
  await f.service.settled();
  expect(await pyramidMismatches(f.project, f.layer)).toEqual([]);
}

/** Runs undo then redo, checking voxel-exact states and consistency each time. */
async function expectUndoRedo(f: Fixture, before: Uint32Array, after: Uint32Array): Promise<void> {
  await f.service.undo();
  const undone = await readVoxels(f.project, f.layer);
  expect(diffCount(undone, before)).toBe(0);
  await expectConsistent(f, undone);
  await f.service.redo();
  const redone = await readVoxels(f.project, f.layer);
  expect(diffCount(redone, after)).toBe(0);
  await expectConsistent(f, redone);
}

/** Reference flood fill over the whole array (face connectivity, optional plane). */
function referenceFlood(data: Uint32Array, shape: Vec3, seed: Vec3, plane: number | null, box?: { min: Vec3; max: Vec3 }): Set<number> {
  const lo = box?.min ?? [0, 0, 0];
  const hi = box?.max ?? shape;
  const value = data[idx(shape, ...seed)];
  const seen = new Set<number>([idx(shape, ...seed)]);
  const stack: Vec3[] = [seed];
  while (stack.length) {
    const p = stack.pop()!;
    for (let a = 0; a < 3; a++) {
      if (a === plane) continue;
      for (const s of [-1, 1]) {
        const q = [...p] as Vec3;
        q[a] += s;
        if (q.some((c, k) => c < lo[k] || c >= hi[k])) continue;
        const i = idx(shape, ...q);
        if (seen.has(i) || data[i] !== value) continue;
        seen.add(i);
        stack.push(q);
      }
    }
  }
  return seen;
}

describe('voxel edits on a plain label layer, each undone and redone voxel-exact', () => {
  it('paints a brush stroke in a view plane with a new segment id', async () => {
    fx = await labelFixture();
    const before = await readVoxels(fx.project, fx.layer);
    const { id } = { id: await fx.service.allocateSegment(fx.layer.id) };
    expect(id).toBe(5);
    const points: Vec3[] = [
      [5, 25, 22],
      [5, 25, 34],
    ];
    const r = await fx.service.paint({ layerId: fx.layer.id, segmentId: id, axis: 'z', points, radius: 2.5 });
    expect(r.newSegmentIds).toEqual([id]);
    expect(r.edit.kind).toBe('paint');
    const after = await readVoxels(fx.project, fx.layer);
    // Every painted voxel is on slice 5, within the stroke's capsule; every voxel near a point is painted.
    let painted = 0;
    for (let z = 0; z < SHAPE[0]; z++)
      for (let y = 0; y < SHAPE[1]; y++)
        for (let x = 0; x < SHAPE[2]; x++) {
          const i = idx(SHAPE, z, y, x);
          const dx = x < 22 ? 22 - x : x > 34 ? x - 34 : 0;
          const dist = Math.hypot(y - 25, dx);
          if (after[i] !== before[i]) {
            painted++;
            expect(after[i]).toBe(id);
            expect(z).toBe(5);
            expect(dist).toBeLessThanOrEqual(3);
          } else if (z === 5 && dist <= 2) expect(after[i]).toBe(id);
        }
    expect(painted).toBe(r.changedVoxels);
    expect(painted).toBeGreaterThan(50);
    await expectConsistent(fx, after);
    // labels.changed names the rewritten chunks: level 0 when the edit returns, the coarser levels right after.
    await fx.service.settled();
    const labels = fx.events.filter((e) => e.event === 'labels.changed').map((e) => e.data as { levels: { level: number; chunks: Vec3[] }[] });
    expect(labels.map((l) => l.levels.map((v) => v.level))).toEqual([[0], [1, 2]]);
    expect(labels[0].levels[0].chunks.length).toBeGreaterThanOrEqual(1);
    await expectUndoRedo(fx, before, after);
  });

  it('paints explicit voxels without overwriting, and erases only the chosen segment', async () => {
    fx = await labelFixture();
    const before = await readVoxels(fx.project, fx.layer);
    // A row crossing segment 1 (z 2..9, y 4..19, x 4..19) and background.
    const voxels = new Uint32Array(Array.from({ length: 30 }, (_, x) => [5, 10, x]).flat());
    await fx.service.paint({ layerId: fx.layer.id, segmentId: 6, voxels, overwrite: false });
    const painted = await readVoxels(fx.project, fx.layer);
    const expected = before.slice();
    for (let x = 0; x < 30; x++) if (expected[idx(SHAPE, 5, 10, x)] === 0) expected[idx(SHAPE, 5, 10, x)] = 6;
    expect(diffCount(painted, expected)).toBe(0);
    await expectUndoRedo(fx, before, painted);

    await fx.service.paint({ layerId: fx.layer.id, segmentId: 0, erase: true, onlySegment: 1, axis: 'z', points: [[5, 10, 15]], radius: 8 });
    const erased = await readVoxels(fx.project, fx.layer);
    for (let i = 0; i < erased.length; i++) {
      if (erased[i] !== painted[i]) {
        expect(painted[i]).toBe(1);
        expect(erased[i]).toBe(0);
      }
    }
    expect(diffCount(erased, painted)).toBeGreaterThan(100);
    await expectConsistent(fx, erased);
    await expectUndoRedo(fx, painted, erased);
  });

  it('fills in 3D within a box and in 2D within a plane, matching a reference flood', async () => {
    fx = await labelFixture();
    const before = await readVoxels(fx.project, fx.layer);
    const box = { min: [14, 0, 0] as Vec3, max: [19, 30, 48] as Vec3 };
    const req = { layerId: fx.layer.id, seed: [16, 5, 5] as Vec3, segmentId: 9, mode: '3d' as const, box };
    const preview = await fx.service.fillPreview(req);
    const region = referenceFlood(before, SHAPE, [16, 5, 5], null, box);
    expect(preview.voxels).toBe(region.size);
    expect(preview.box).toEqual({ min: [15, 0, 0], max: [18, 30, 48] });
    expect(preview.mask.reduce((a, b) => a + b, 0)).toBe(region.size);
    expect(diffCount(await readVoxels(fx.project, fx.layer), before)).toBe(0); // preview changes nothing
    await fx.service.fill(req);
    const filled = await readVoxels(fx.project, fx.layer);
    const expected = before.slice();
    for (const i of region) expected[i] = 9;
    expect(diffCount(filled, expected)).toBe(0);
    await expectConsistent(fx, filled);
    await expectUndoRedo(fx, before, filled);

    // 2D: the background around segment 1 on slice y = 10 (a z-x plane), bounded by the plane only.
    const seed2d: Vec3 = [12, 10, 2];
    await fx.service.fill({ layerId: fx.layer.id, seed: seed2d, segmentId: 11, mode: '2d', axis: 'y' });
    const filled2d = await readVoxels(fx.project, fx.layer);
    const region2d = referenceFlood(filled, SHAPE, seed2d, 1);
    const expected2d = filled.slice();
    for (const i of region2d) expected2d[i] = 11;
    expect(diffCount(filled2d, expected2d)).toBe(0);
    await expectUndoRedo(fx, filled, filled2d);
  });

  it('refuses a fill that leaks past its voxel budget, changing nothing', async () => {
    fx = await labelFixture();
    const before = await readVoxels(fx.project, fx.layer);
    await expect(fx.service.fill({ layerId: fx.layer.id, seed: [0, 0, 0], segmentId: 9, mode: '3d', maxVoxels: 1000 })).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(diffCount(await readVoxels(fx.project, fx.layer), before)).toBe(0);
    expect(fx.service.historyState().applied).toBe(0);
  });

  it('merges on a plain label layer by relabelling the source voxels', async () => {
    fx = await labelFixture();
    const before = await readVoxels(fx.project, fx.layer);
    const r = await fx.service.merge({ layerId: fx.layer.id, target: 1, source: 2 });
    expect(r.edit.segments).toEqual([1, 2]);
    const after = await readVoxels(fx.project, fx.layer);
    const expected = before.map((v) => (v === 2 ? 1 : v));
    expect(diffCount(after, expected)).toBe(0);
    expect(dbCounts(fx.project, fx.layer.id).has(2)).toBe(false);
    await expectConsistent(fx, after);
    await expectUndoRedo(fx, before, after);
  });

  it.runIf(native)('splits a segment by seed groups (shape-based watershed) with a preview', async () => {
    fx = await labelFixture();
    const before = await readVoxels(fx.project, fx.layer);
    const req = { layerId: fx.layer.id, segmentId: 4, seeds: [[[7, 36, 4] as Vec3], [[7, 36, 16] as Vec3, [5, 30, 17] as Vec3]] };
    const preview = await fx.service.splitPreview(req);
    expect(preview.mode).toBe('voxels');
    expect(preview.groupSizes.reduce((a, b) => a + b, 0)).toBe(countsOf(before).get(4));
    expect(diffCount(await readVoxels(fx.project, fx.layer), before)).toBe(0);
    const r = await fx.service.split(req);
    expect(r.newSegmentIds).toEqual([5]);
    const after = await readVoxels(fx.project, fx.layer);
    for (let z = 0; z < SHAPE[0]; z++)
      for (let y = 0; y < SHAPE[1]; y++)
        for (let x = 0; x < SHAPE[2]; x++) {
          const i = idx(SHAPE, z, y, x);
          if (before[i] !== 4) expect(after[i]).toBe(before[i]);
          else if (x < 9) expect(after[i]).toBe(4);
          else if (x >= 13) expect(after[i]).toBe(5);
          else expect([4, 5]).toContain(after[i]);
        }
    // The preview showed exactly what the commit did.
    const b = preview.box;
    const bs = [b.max[0] - b.min[0], b.max[1] - b.min[1], b.max[2] - b.min[2]];
    for (let z = b.min[0]; z < b.max[0]; z++)
      for (let y = b.min[1]; y < b.max[1]; y++)
        for (let x = b.min[2]; x < b.max[2]; x++) {
          const g = preview.labels[((z - b.min[0]) * bs[1] + (y - b.min[1])) * bs[2] + (x - b.min[2])];
          const v = after[idx(SHAPE, z, y, x)];
          expect(g === 0 ? 0 : g === 1 ? 4 : 5).toBe(before[idx(SHAPE, z, y, x)] === 4 ? v : 0);
        }
    await expectConsistent(fx, after);
    await expectUndoRedo(fx, before, after);
  });

  it.runIf(native)('interpolates a painted shape between two slices by signed distance', async () => {
    fx = await labelFixture();
    const disk = (z: number, cy: number, cx: number, r: number) => {
      const v: number[] = [];
      for (let y = 0; y < SHAPE[1]; y++) for (let x = 0; x < SHAPE[2]; x++) if ((y - cy) ** 2 + (x - cx) ** 2 <= r * r) v.push(z, y, x);
      return new Uint32Array(v);
    };
    await fx.service.paint({ layerId: fx.layer.id, segmentId: 8, voxels: disk(1, 40, 36, 3), overwrite: false });
    await fx.service.paint({ layerId: fx.layer.id, segmentId: 8, voxels: disk(13, 40, 36, 6), overwrite: false });
    const before = await readVoxels(fx.project, fx.layer);
    const preview = await fx.service.interpolatePreview({ layerId: fx.layer.id, segmentId: 8, axis: 'z', from: 1, to: 13 });
    const r = await fx.service.interpolate({ layerId: fx.layer.id, segmentId: 8, axis: 'z', from: 13, to: 1 });
    expect(r.changedVoxels).toBe(preview.voxels);
    const after = await readVoxels(fx.project, fx.layer);
    for (let z = 2; z < 13; z++) {
      const t = (z - 1) / 12;
      const radius = 3 + 3 * t;
      let area = 0;
      for (let y = 0; y < SHAPE[1]; y++)
        for (let x = 0; x < SHAPE[2]; x++) {
          const i = idx(SHAPE, z, y, x);
          if (after[i] === 8) {
            area++;
            expect(Math.hypot(y - 40, x - 36)).toBeLessThanOrEqual(radius + 1.5);
            expect(before[i]).toBe(0);
          }
        }
      // Background-only interpolation: where other segments sit (the ball, segment 2) the disk is cut.
      expect(area).toBeGreaterThan(0.5 * Math.PI * radius * radius);
    }
    for (let i = 0; i < after.length; i++) if (after[i] !== before[i]) expect(after[i]).toBe(8);
    await expectConsistent(fx, after);
    await expectUndoRedo(fx, before, after);
  });
});

describe('edit history', () => {
  it('undoes across all kinds in reverse order, survives a restart, and a new edit discards redo', async () => {
    fx = await labelFixture();
    const states = [await readVoxels(fx.project, fx.layer)];
    await fx.service.paint({ layerId: fx.layer.id, segmentId: 3, axis: 'x', points: [[5, 5, 30]], radius: 3 });
    states.push(await readVoxels(fx.project, fx.layer));
    await fx.service.merge({ layerId: fx.layer.id, target: 3, source: 1 });
    states.push(await readVoxels(fx.project, fx.layer));
    await fx.service.fill({ layerId: fx.layer.id, seed: [16, 0, 0], segmentId: 12, mode: '2d', axis: 'z' });
    states.push(await readVoxels(fx.project, fx.layer));
    expect(fx.service.history().entries.map((e) => e.kind)).toEqual(['fill', 'merge', 'paint']);

    await fx.reopen();
    expect(fx.service.historyState()).toMatchObject({ canUndo: true, canRedo: false, applied: 3 });
    for (let k = 2; k >= 0; k--) {
      await fx.service.undo();
      expect(diffCount(await readVoxels(fx.project, fx.layer), states[k])).toBe(0);
    }
    await expect(fx.service.undo()).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'nothing to undo' });
    await fx.reopen();
    await fx.service.redo();
    expect(diffCount(await readVoxels(fx.project, fx.layer), states[1])).toBe(0);
    await fx.service.paint({ layerId: fx.layer.id, segmentId: 2, axis: 'z', points: [[0, 0, 0]], radius: 1 });
    expect(fx.service.historyState()).toMatchObject({ canRedo: false, applied: 2, undone: 0 });
    await fx.service.undo();
    await fx.service.undo();
    expect(diffCount(await readVoxels(fx.project, fx.layer), states[0])).toBe(0);
    await expectConsistent(fx, states[0]);
    // Discarded (redo-branch) edits leave nothing behind; a small stroke's deltas take a few hundred bytes.
    expect(fx.project.db.prepare('SELECT count(DISTINCT edit_id) FROM edit_chunks').pluck().get()).toBe(2);
    const strokeBytes = fx.project.db.prepare('SELECT total(length(delta)) FROM edit_chunks WHERE edit_id = (SELECT max(id) FROM edits)').pluck().get() as number;
    expect(strokeBytes).toBeGreaterThan(0);
    expect(strokeBytes).toBeLessThan(1000);
  });

  it('refuses to undo when a chunk was changed outside the history', async () => {
    fx = await labelFixture();
    await fx.service.paint({ layerId: fx.layer.id, segmentId: 3, axis: 'z', points: [[5, 5, 30]], radius: 2 });
    const { VolumeStore } = await import('../../../src/main/volumes/store/volume-store');
    const store = await VolumeStore.open(fx.project.path(fx.layer.uri));
    const chunk = (await store.readChunk(0, [0, 0, 1])).data.slice() as Uint32Array;
    chunk[0] = 77;
    await store.writeChunk(0, [0, 0, 1], chunk);
    await expect(fx.service.undo()).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/changed outside the edit history/) });
  });
});

describe('uint64 label layers', () => {
  it('edits ids above 2^32 exactly, with undo and redo', async () => {
    const big = 2 ** 40;
    const labels = sampleLabels();
    const data = BigUint64Array.from(labels, (v) => (v === 0 ? 0n : BigInt(big + v)));
    const { createLayerFromArray } = await import('../../../src/main/volumes/create-layer');
    fx = await labelFixture();
    const layer = await createLayerFromArray(fx.project, { name: 'u64', kind: 'labels', dtype: 'uint64', shape: SHAPE, resolution: [4, 4, 4], chunkShape: [8, 16, 16], data });
    await fx.service.indexNow(layer.id);
    const read = async () => {
      const { VolumeStore } = await import('../../../src/main/volumes/store/volume-store');
      const store = await VolumeStore.open(fx.project.path(layer.uri));
      return (await store.readRegion({ min: [0, 0, 0], max: SHAPE }, 0)) as BigUint64Array;
    };
    expect((await fx.service.listSegments(layer.id, {})).segments.map((s) => s.id)).toEqual([big + 1, big + 2, big + 3, big + 4]);
    await fx.service.paint({ layerId: layer.id, segmentId: big + 9, voxels: new Uint32Array([5, 10, 10, 5, 10, 11]) });
    await fx.service.merge({ layerId: layer.id, target: big + 1, source: big + 2 });
    const after = await read();
    for (let i = 0; i < after.length; i++) {
      const want = i === idx(SHAPE, 5, 10, 10) || i === idx(SHAPE, 5, 10, 11) ? BigInt(big + 9) : data[i] === BigInt(big + 2) ? BigInt(big + 1) : data[i];
      if (after[i] !== want) throw new Error(`voxel ${i}: ${after[i]} != ${want}`);
    }
    expect((await fx.service.getSegments(layer.id, [big + 1]))[0].voxelCount).toBe(countsOf(labels).get(1)! - 2 + countsOf(labels).get(2)!);
    await fx.service.undo();
    await fx.service.undo();
    expect((await read()).every((v, i) => v === data[i])).toBe(true);
    await fx.service.redo();
    await fx.service.redo();
    expect((await read()).every((v, i) => v === after[i])).toBe(true);
  });
});
