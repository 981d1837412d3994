import { afterEach, describe, expect, it } from 'vitest';
import { copyLayerForEditing } from '../../../src/main/proofreading/copy-layer';
import type { Vec3 } from '../../../src/main/volumes/box';
import { createLayerFromArray } from '../../../src/main/volumes/create-layer';
import { importVolume } from '../../../src/main/volumes/import';
import { closeFixture, diffCount, labelFixture, nativeSegmentationAvailable, readVoxels, SHAPE, type Fixture } from './fixtures';

const native = nativeSegmentationAvailable();
let fx: Fixture;
afterEach(async () => closeFixture(fx));

async function expectUnchanged(f: Fixture, voxels: Uint32Array, edits: number): Promise<void> {
  expect(diffCount(await readVoxels(f.project, f.layer), voxels)).toBe(0);
  expect(f.service.historyState().applied).toBe(edits);
  expect(f.project.db.prepare('SELECT count(*) FROM edit_journal').pluck().get()).toBe(0);
}

describe('guard rails', () => {
  it('no tool changes a locked segment, and nothing is half-applied', async () => {
    fx = await labelFixture();
    const L = fx.layer.id;
    const s = await fx.service.updateSegment(L, 1, { locked: true, name: 'soma', status: 'done', color: '#FF8800', notes: 'checked' });
    expect(s).toMatchObject({ id: 1, locked: true, name: 'soma', status: 'done', color: '#ff8800', notes: 'checked' });
    const before = await readVoxels(fx.project, fx.layer);
    const locked = { code: 'LOCKED_SEGMENT', message: expect.stringMatching(/segment 1 is locked/) };
    // Paint over it, paint as it, erase it, fill it, merge either way, split it.
    await expect(fx.service.paint({ layerId: L, segmentId: 7, axis: 'z', points: [[5, 10, 10]], radius: 3 })).rejects.toMatchObject(locked);
    await expect(fx.service.paint({ layerId: L, segmentId: 1, axis: 'z', points: [[5, 30, 5]], radius: 1 })).rejects.toMatchObject(locked);
    await expect(fx.service.paint({ layerId: L, segmentId: 0, erase: true, voxels: new Uint32Array([5, 10, 10]) })).rejects.toMatchObject(locked);
    await expect(fx.service.fill({ layerId: L, seed: [5, 10, 10], segmentId: 7, mode: '3d' })).rejects.toMatchObject(locked);
    await expect(fx.service.fillPreview({ layerId: L, seed: [5, 10, 10], segmentId: 7, mode: '3d' })).rejects.toMatchObject(locked);
    await expect(fx.service.merge({ layerId: L, target: 1, source: 2 })).rejects.toMatchObject(locked);
    await expect(fx.service.merge({ layerId: L, target: 2, source: 1 })).rejects.toMatchObject(locked);
    if (native) await expect(fx.service.splitPreview({ layerId: L, segmentId: 1, seeds: [[[3, 5, 5]], [[8, 18, 18]]] })).rejects.toMatchObject(locked);
    await expectUnchanged(fx, before, 0);
    // A brush that only touches other segments still works next to it.
    await fx.service.paint({ layerId: L, segmentId: 7, axis: 'z', points: [[5, 30, 5]], radius: 1 });
    // Undoing an edit that changed a segment locked since then is refused too.
    await fx.service.updateSegment(L, 1, { locked: false });
    await fx.service.merge({ layerId: L, target: 1, source: 2 });
    await fx.service.updateSegment(L, 1, { locked: true });
    await expect(fx.service.undo()).rejects.toMatchObject({ code: 'LOCKED_SEGMENT' });
    await fx.service.updateSegment(L, 1, { locked: false });
    await fx.service.undo();
  });

  it('names unknown, out-of-range and misplaced ids clearly', async () => {
    fx = await labelFixture();
    const L = fx.layer.id;
    const before = await readVoxels(fx.project, fx.layer);
    await expect(fx.service.merge({ layerId: L, target: 1, source: 99 })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/merge source 99 does not exist in layer 'seg'/) });
    await expect(fx.service.merge({ layerId: L, target: 1, source: 1 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/into itself/) });
    await expect(fx.service.paint({ layerId: L, segmentId: 2 ** 32, axis: 'z', points: [[1, 1, 1]], radius: 1 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/out of range/),
    });
    await expect(fx.service.fill({ layerId: L, seed: [SHAPE[0], 0, 0], segmentId: 3, mode: '3d' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/outside layer/) });
    await expect(fx.service.getSegments(L, [1, 42])).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/segment 42/) });
    await expect(fx.service.updateSegment(L, 4242, { name: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(fx.service.locate(L, 77)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(fx.service.mapping(L)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/plain label layer/) });
    if (native) {
      await expect(fx.service.split({ layerId: L, segmentId: 4, seeds: [[[7, 36, 4]], [[0, 0, 0]]] })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: expect.stringMatching(/seed \(0, 0, 0\) of group 2 is not inside segment 4/),
      });
    }
    await expectUnchanged(fx, before, 0);
  });

  it('asks for confirmation above the voxel threshold', async () => {
    fx = await labelFixture();
    const L = fx.layer.id;
    fx.service.setSettings({ confirmVoxels: 50 });
    const before = await readVoxels(fx.project, fx.layer);
    const req = { layerId: L, seed: [16, 0, 0] as Vec3, segmentId: 9, mode: '2d' as const, axis: 'z' as const };
    const preview = await fx.service.fillPreview(req);
    expect(preview.requiresConfirm).toBe(true);
    const err = await fx.service.fill(req).catch((e) => e);
    expect(err).toMatchObject({ code: 'TOO_LARGE', details: { confirmRequired: true, threshold: 50 } });
    await expectUnchanged(fx, before, 0);
    const r = await fx.service.fill({ ...req, confirm: true });
    expect(r.changedVoxels).toBe(preview.voxels);
    expect(r.changedVoxels).toBeGreaterThan(2000);
    // A small edit needs no confirmation.
    await fx.service.paint({ layerId: L, segmentId: 9, voxels: new Uint32Array([0, 0, 0]) });
  });

  it('refuses edits on in-place (external) layers and makes an editable copy', async () => {
    fx = await labelFixture();
    const ext = await importVolume(fx.project, { path: fx.project.path(fx.layer.uri), kind: 'labels', name: 'external', inPlace: true });
    expect(ext.layer.source).toBe('external');
    const err = await fx.service.paint({ layerId: 'external', segmentId: 3, voxels: new Uint32Array([0, 0, 0]) }).catch((e) => e);
    expect(err).toMatchObject({ code: 'READ_ONLY', message: expect.stringMatching(/external.*editable copy/) });
    const copy = await copyLayerForEditing(fx.project, 'external', undefined);
    expect(copy).toMatchObject({ name: 'external-editable', source: 'store', editable: true, kind: 'labels', dtype: 'uint32' });
    expect(diffCount(await readVoxels(fx.project, copy), fx.initial)).toBe(0);
    await fx.service.indexNow(copy.id);
    await fx.service.paint({ layerId: copy.id, segmentId: 3, voxels: new Uint32Array([0, 0, 0]) });
    expect((await readVoxels(fx.project, copy))[0]).toBe(3);
    expect(diffCount(await readVoxels(fx.project, fx.layer), fx.initial)).toBe(0);
  });

  it('needs an indexed label layer', async () => {
    fx = await labelFixture();
    const img = await createLayerFromArray(fx.project, { name: 'img', kind: 'image', dtype: 'uint8', shape: SHAPE, resolution: [4, 4, 4], data: new Uint8Array(SHAPE[0] * SHAPE[1] * SHAPE[2]) });
    await expect(fx.service.paint({ layerId: img.id, segmentId: 1, voxels: new Uint32Array([0, 0, 0]) })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/image layer/),
    });
    const other = await createLayerFromArray(fx.project, { name: 'other', kind: 'labels', dtype: 'uint32', shape: SHAPE, resolution: [4, 4, 4], data: fx.initial });
    await expect(fx.service.paint({ layerId: other.id, segmentId: 1, voxels: new Uint32Array([0, 0, 0]) })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/prepare it for proofreading/),
    });
  });
});
