import { afterEach, describe, expect, it } from 'vitest';
import type { Vec3 } from '../../../src/main/volumes/box';
import {
  closeFixture,
  countsOf,
  dbCounts,
  dbMapping,
  diffCount,
  idx,
  indexCounts,
  labelFixture,
  nativeSegmentationAvailable,
  pyramidMismatches,
  readVoxels,
  sampleFragments,
  segmentCountsVia,
  SHAPE,
  type Fixture,
} from './fixtures';

const native = nativeSegmentationAvailable();
let fx: Fixture;
afterEach(async () => closeFixture(fx));

const toSegment = (f: number) => Math.floor(f / 100);

function fragmentFixture(): Promise<Fixture> {
  return labelFixture({ kind: 'fragments', data: sampleFragments(), mapping: toSegment });
}

/** Counts, chunk index and mapping in the database agree with the fragment voxels. */
async function expectConsistent(f: Fixture, voxels: Uint32Array): Promise<void> {
  const mapping = dbMapping(f.project, f.layer.id);
  expect(dbCounts(f.project, f.layer.id)).toEqual(segmentCountsVia(voxels, mapping));
  expect(indexCounts(f.project, f.layer.id)).toEqual(countsOf(voxels));
  await f.service.settled();
  expect(await pyramidMismatches(f.project, f.layer)).toEqual([]);
}

describe('fragment layers: a fragment -> segment mapping in SQLite', () => {
  it('indexes fragments with the initial mapping and serves it as typed arrays', async () => {
    fx = await fragmentFixture();
    const m = await fx.service.mapping(fx.layer.id);
    expect(m.fragments).toBeInstanceOf(Uint32Array);
    expect(m.segments).toBeInstanceOf(Uint32Array);
    const fragments = [...new Set(fx.initial)].filter((f) => f !== 0).sort((a, b) => a - b);
    expect([...m.fragments]).toEqual(fragments);
    expect([...m.segments]).toEqual(fragments.map(toSegment));
    const segs = await fx.service.listSegments(fx.layer.id, {});
    expect(segs.segments.map((s) => s.id)).toEqual([1, 2, 3, 4]);
    expect(segs.segments.every((s) => (s.fragmentCount ?? 0) >= 2)).toBe(true);
    await expectConsistent(fx, fx.initial);
  });

  it('merges by changing the mapping only (voxels untouched), emits the changed entries, undoes and redoes', async () => {
    fx = await fragmentFixture();
    const { VolumeStore } = await import('../../../src/main/volumes/store/volume-store');
    const store = await VolumeStore.open(fx.project.path(fx.layer.uri));
    const fileBefore = await store.readEncodedChunk(0, [1, 1, 1]);
    const v0 = (await fx.service.mapping(fx.layer.id)).version;
    const r = await fx.service.merge({ layerId: fx.layer.id, target: 1, source: 2 });
    expect(r.changedVoxels).toBe(0);
    expect(Buffer.compare(fileBefore!, (await store.readEncodedChunk(0, [1, 1, 1]))!)).toBe(0);
    const mapping = dbMapping(fx.project, fx.layer.id);
    const moved = [...mapping.keys()].filter((f) => toSegment(f) === 2);
    for (const f of moved) expect(mapping.get(f)).toBe(1);
    const ev = fx.events.filter((e) => e.event === 'mapping.changed').at(-1)!.data as { fragments: Uint32Array; segments: Uint32Array; version: number };
    expect([...ev.fragments].sort()).toEqual(moved.sort());
    expect([...ev.segments].every((s) => s === 1)).toBe(true);
    expect(ev.version).toBe(v0 + 1);
    expect(fx.events.some((e) => e.event === 'labels.changed')).toBe(false);
    await expectConsistent(fx, fx.initial);
    expect(dbCounts(fx.project, fx.layer.id).has(2)).toBe(false);

    await fx.service.undo();
    expect(dbMapping(fx.project, fx.layer.id)).toEqual(new Map([...mapping].map(([f]) => [f, toSegment(f)])));
    await expectConsistent(fx, fx.initial);
    await fx.service.redo();
    expect(dbMapping(fx.project, fx.layer.id)).toEqual(mapping);
    expect((await fx.service.mapping(fx.layer.id)).version).toBe(v0 + 3);
  });

  it('paints with a new fragment mapped to the painted segment, removed again by undo', async () => {
    fx = await fragmentFixture();
    await fx.service.paint({ layerId: fx.layer.id, segmentId: 3, axis: 'z', points: [[5, 25, 30]], radius: 2 });
    const after = await readVoxels(fx.project, fx.layer);
    const mapping = dbMapping(fx.project, fx.layer.id);
    const created = [...new Set(after)].filter((f) => f !== 0 && !fx.initial.includes(f));
    expect(created).toHaveLength(1);
    expect(mapping.get(created[0])).toBe(3);
    await expectConsistent(fx, after);
    await fx.service.undo();
    expect(diffCount(await readVoxels(fx.project, fx.layer), fx.initial)).toBe(0);
    expect(dbMapping(fx.project, fx.layer.id).has(created[0])).toBe(false);
    await expectConsistent(fx, fx.initial);
    // A repainted stroke never reuses the undone fragment's id.
    await fx.service.redo();
    await fx.service.paint({ layerId: fx.layer.id, segmentId: 3, axis: 'z', points: [[5, 40, 40]], radius: 1 });
    const again = [...new Set(await readVoxels(fx.project, fx.layer))].filter((f) => f !== 0 && !fx.initial.includes(f));
    expect(again).toHaveLength(2);
  });

  it('fills the connected region of a segment across its fragments', async () => {
    fx = await fragmentFixture();
    // Segment 3 (the slab z 15..17) spans fragments 300..307; fill it with segment 1.
    await fx.service.fill({ layerId: fx.layer.id, seed: [16, 5, 5], segmentId: 1, mode: '3d', maxVoxels: 100_000 });
    const after = await readVoxels(fx.project, fx.layer);
    const mapping = dbMapping(fx.project, fx.layer.id);
    for (let i = 0; i < after.length; i++) {
      if (toSegment(fx.initial[i]) === 3) expect(mapping.get(after[i])).toBe(1);
      else expect(after[i]).toBe(fx.initial[i]);
    }
    await expectConsistent(fx, after);
  });

  it.runIf(native)('splits at fragment level when the seed groups lie in different fragments', async () => {
    fx = await fragmentFixture();
    const req = { layerId: fx.layer.id, segmentId: 4, seeds: [[[7, 36, 4] as Vec3], [[7, 36, 16] as Vec3]] };
    const preview = await fx.service.splitPreview(req);
    expect(preview.mode).toBe('fragments');
    const r = await fx.service.split(req);
    expect(r.changedVoxels).toBe(0);
    const mapping = dbMapping(fx.project, fx.layer.id);
    expect(mapping.get(400)).toBe(4);
    expect(mapping.get(401)).toBe(4); // mostly the left blob
    expect(mapping.get(402)).toBe(r.newSegmentIds[0]);
    expect(mapping.get(403)).toBe(r.newSegmentIds[0]);
    await expectConsistent(fx, fx.initial);
    await fx.service.undo();
    expect(mapping.size).toBe(dbMapping(fx.project, fx.layer.id).size);
    expect(dbMapping(fx.project, fx.layer.id).get(402)).toBe(4);
    await expectConsistent(fx, fx.initial);
  });

  it.runIf(native)('splits voxel by voxel inside a fragment holding seeds of two groups', async () => {
    fx = await fragmentFixture();
    // Both seeds in fragment 400 (x 0..5 of the left blob), on opposite sides along y.
    const req = { layerId: fx.layer.id, segmentId: 4, seeds: [[[7, 29, 2] as Vec3], [[7, 42, 2] as Vec3]] };
    const preview = await fx.service.splitPreview(req);
    expect(preview.mode).toBe('voxels');
    const r = await fx.service.split(req);
    expect(r.changedVoxels).toBeGreaterThan(0);
    const after = await readVoxels(fx.project, fx.layer);
    const mapping = dbMapping(fx.project, fx.layer.id);
    const newSeg = r.newSegmentIds[0];
    expect(mapping.get(after[idx(SHAPE, 7, 29, 2)])).toBe(4);
    expect(mapping.get(after[idx(SHAPE, 7, 42, 2)])).toBe(newSeg);
    for (let i = 0; i < after.length; i++) {
      if (after[i] !== fx.initial[i]) expect(fx.initial[i]).toBe(400);
    }
    await expectConsistent(fx, after);
    await fx.service.undo();
    expect(diffCount(await readVoxels(fx.project, fx.layer), fx.initial)).toBe(0);
    await expectConsistent(fx, fx.initial);
  });
});
