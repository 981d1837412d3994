import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { proofreadingOf } from '../../../src/main/proofreading/handlers';
import { createLayerFromArray } from '../../../src/main/volumes/create-layer';
import { importVolume } from '../../../src/main/volumes/import';
import { apiSession } from '../../helpers/api-session';
import { countsOf, sampleFragments, sampleLabels, SHAPE } from './fixtures';


const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const session = () => apiSession('tu-proof-api-');

describe('proofreading API (router, jobs, events)', () => {
  it('indexes a layer in a job on first listing, then edits with change events, history and undo', async () => {
    const { ctx, call, dispatch, events, project } = await session();
    const layer = await createLayerFromArray(project, { name: 'seg', kind: 'labels', dtype: 'uint32', shape: SHAPE, resolution: [4, 4, 4], chunkShape: [8, 16, 16], data: sampleLabels() });
    const first = await call('segments.list', { layerId: 'seg' });
    expect(first).toMatchObject({ layerId: layer.id, indexed: false, total: 0 });
    expect(first.indexJob).toMatchObject({ kind: 'proofreading.index' });
    const done = await ctx.jobs.wait(first.indexJob.id);
    expect(done.state).toBe('succeeded');
    await new Promise((r) => setTimeout(r, 20));
    expect(events.some((e) => e.event === 'segments.changed' && e.data.all)).toBe(true);
    const list = await call('segments.list', { layerId: layer.id, sort: 'size', descending: true, limit: 2 });
    const counts = [...countsOf(sampleLabels())].sort((a, b) => b[1] - a[1]);
    expect(list.total).toBe(4);
    expect(list.segments.map((s: any) => [s.id, s.voxelCount])).toEqual(counts.slice(0, 2));

    events.length = 0;
    const painted = await call('edits.paint', { layerId: layer.id, segmentId: 3, axis: 'z', points: [[5, 30, 5]], radius: 2 });
    expect(painted).toMatchObject({ edit: { kind: 'paint', segments: expect.arrayContaining([3]) }, history: { canUndo: true } });
    await (await proofreadingOf(ctx)).settled(); // the pyramid levels follow the commit
    const names = events.map((e) => e.event);
    expect(names).toEqual(expect.arrayContaining(['labels.changed', 'layers.changed', 'segments.changed', 'history.changed']));
    const levels = events.filter((e) => e.event === 'labels.changed').flatMap((e) => e.data.levels.map((l: any) => l.level));
    expect(levels).toEqual([0, 1, 2]);

    const bad = await dispatch('edits.merge', { layerId: layer.id, target: 1, source: 99 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const invalid = await dispatch('edits.paint', { layerId: layer.id, segmentId: -4, voxels: new Uint32Array([0, 0, 0]) });
    expect(invalid).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/segmentId/) } });

    expect((await call('history.list')).entries).toHaveLength(1);
    const undone = await call('history.undo');
    expect(undone).toMatchObject({ edit: { undone: true }, history: { canUndo: false, canRedo: true } });
    await call('history.redo');

    const at = await call('segments.at', { layerId: layer.id, position: [5, 30, 5] });
    expect(at).toEqual({ label: 3, segmentId: 3 });
    const loc = await call('segments.locate', { layerId: layer.id, id: 2 });
    expect(at.label).toBe(3);
    expect(sampleLabels()[(loc.point[0] * SHAPE[1] + loc.point[1]) * SHAPE[2] + loc.point[2]]).toBe(2);
    const updated = await call('segments.update', { layerId: layer.id, id: 2, name: 'axon 7', status: 'in_progress' });
    expect(updated).toMatchObject({ name: 'axon 7', status: 'in_progress' });
    expect((await call('segments.list', { layerId: layer.id, query: 'axon' })).segments.map((s: any) => s.id)).toEqual([2]);
    expect((await call('segments.list', { layerId: layer.id, query: '3' })).segments.map((s: any) => s.id)).toEqual([3]);

    const { meshes } = await call('meshes.get', { layerId: layer.id, segmentIds: [2] });
    expect(meshes[0].positions).toBeInstanceOf(Float32Array);
    expect(meshes[0].indices).toBeInstanceOf(Uint32Array);
    expect(meshes[0].indices.length).toBeGreaterThan(100);

    const settings = await call('proofreading.setSettings', { confirmVoxels: 10 });
    expect(settings.confirmVoxels).toBe(10);
    const big = await dispatch('edits.fill', { layerId: layer.id, seed: [16, 0, 0], segmentId: 9, mode: '2d', axis: 'z' });
    expect(big).toMatchObject({ ok: false, error: { code: 'TOO_LARGE', details: { confirmRequired: true } } });
  });

  it('serves the mapping of a fragment layer and its incremental changes', async () => {
    const { ctx, call, events, project } = await session();
    const layer = await createLayerFromArray(project, { name: 'frags', kind: 'fragments', dtype: 'uint32', shape: SHAPE, resolution: [4, 4, 4], chunkShape: [8, 16, 16], data: sampleFragments() });
    const prep = await call('proofreading.prepare', { layerId: layer.id });
    expect(prep.indexed).toBe(false);
    await ctx.jobs.wait(prep.job.id);
    expect(await call('proofreading.prepare', { layerId: layer.id })).toEqual({ indexed: true, job: null });
    const m = await call('mapping.get', { layerId: layer.id });
    expect(m.fragments).toBeInstanceOf(Uint32Array);
    expect([...m.fragments]).toEqual([...m.segments]); // no initial mapping: identity
    const merged = await call('edits.merge', { layerId: layer.id, target: 100, source: 101 });
    expect(merged.changedVoxels).toBe(0);
    const change = events.filter((e) => e.event === 'mapping.changed').at(-1)!.data;
    expect([...change.fragments]).toEqual([101]);
    expect([...change.segments]).toEqual([100]);
    expect(change.version).toBe(m.version + 1);
    const after = await call('mapping.get', { layerId: layer.id });
    expect(after.segments[[...after.fragments].indexOf(101)]).toBe(100);
  });

  it('keeps annotations (bookmarks, to-dos) and makes editable copies of in-place layers', async () => {
    const { ctx, call, dispatch, events, project } = await session();
    const layer = await createLayerFromArray(project, { name: 'seg', kind: 'labels', dtype: 'uint32', shape: SHAPE, resolution: [4, 4, 4], chunkShape: [8, 16, 16], data: sampleLabels() });
    const todo = await call('annotations.create', { kind: 'todo', position: [1, 2, 3], text: 'check this branch', layerId: 'seg' });
    expect(todo).toMatchObject({ kind: 'todo', position: [1, 2, 3], text: 'check this branch', done: false, layerId: layer.id });
    await call('annotations.create', { kind: 'bookmark', position: [4, 5, 6] });
    expect((await call('annotations.list', { kind: 'todo' })).map((a: any) => a.id)).toEqual([todo.id]);
    expect(await call('annotations.update', { id: todo.id, done: true, text: 'fixed' })).toMatchObject({ done: true, text: 'fixed' });
    await call('annotations.delete', { id: todo.id });
    expect((await call('annotations.list')).map((a: any) => a.kind)).toEqual(['bookmark']);
    expect(events.filter((e) => e.event === 'annotations.changed')).toHaveLength(4);
    expect(await dispatch('annotations.delete', { id: todo.id })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });

    await importVolume(project, { path: project.path(layer.uri), kind: 'labels', name: 'outside', inPlace: true });
    const refused = await dispatch('edits.paint', { layerId: 'outside', segmentId: 1, voxels: new Uint32Array([0, 0, 0]) });
    expect(refused).toMatchObject({ ok: false, error: { code: 'READ_ONLY', message: expect.stringMatching(/makeEditableCopy/) } });
    const job = await call('proofreading.makeEditableCopy', { layerId: 'outside' });
    expect((await ctx.jobs.wait(job.id)).state).toBe('succeeded');
    const copy = (await call('layers.list')).find((l: any) => l.name === 'outside-editable');
    expect(copy).toMatchObject({ source: 'store', editable: true });
  });
});

describe('opening a project', () => {
  it('finishes an edit whose chunk files a crash left unwritten before the session serves requests', async () => {
    const { createAppSession } = await import('../../../src/main/api/session');
    const { Project } = await import('../../../src/main/store/project');
    const { ProofreadingService } = await import('../../../src/main/proofreading/service');
    const { preparePaint } = await import('../../../src/main/proofreading/ops/paint');
    const { readVoxels } = await import('./fixtures');
    const root = mkdtempSync(join(tmpdir(), 'tu-proof-open-'));
    cleanup.push(() => rmSync(root, { recursive: true, force: true }));
    const dir = join(root, 'p');
    const project = Project.create(dir);
    const layer = await createLayerFromArray(project, { name: 'seg', kind: 'labels', dtype: 'uint32', shape: SHAPE, resolution: [4, 4, 4], chunkShape: [8, 16, 16], data: sampleLabels() });
    const service = await ProofreadingService.open(project);
    await service.indexNow(layer.id);
    // Commit an edit to the log the way an edit does, then "crash": no chunk file written.
    const h = await service.handle(layer.id);
    const prepared = await preparePaint({ db: project.db, log: service.log, h }, { layerId: layer.id, segmentId: 3, axis: 'z', points: [[5, 25, 10], [5, 25, 40]], radius: 3 });
    const plan = prepared.build(await prepared.session.finish());
    service.log.commit(plan.record);
    expect(project.db.prepare('SELECT count(*) FROM edit_journal').pluck().get()).toBe(1);
    const before = await readVoxels(project, layer);
    await service.close();
    project.close();

    const { ctx } = await createAppSession({ mode: 'browser', userDataDir: join(root, 'user'), projectDir: dir });
    cleanup.push(() => ctx.dispose());
    const opened = ctx.requireProject();
    expect(opened.db.prepare('SELECT count(*) FROM edit_journal').pluck().get()).toBe(0);
    const after = await readVoxels(opened, layer);
    let changed = 0;
    for (let i = 0; i < after.length; i++) if (after[i] !== before[i]) changed++;
    expect(changed).toBe(plan.record.changes.changedVoxels);
    expect(changed).toBeGreaterThan(100);
  });
});
