import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/shared/api/errors';
import { classifyEditError } from '../../../src/renderer/src/features/proofreading/edit-errors';
import { SerialQueue } from '../../../src/renderer/src/features/proofreading/serial-queue';
import { PagedList } from '../../../src/renderer/src/features/segments/segment-pages';
import { pagesCovering, visibleRows } from '../../../src/renderer/src/features/segments/virtual-rows';
import { mergeClick, mergeReady, NO_MERGE, reconcileMerge } from '../../../src/renderer/src/features/tools/merge-flow';

describe('merge flow', () => {
  it('takes the first click as target and the second as source, both selected', () => {
    let s = mergeClick(NO_MERGE, 12);
    expect(s.pick).toEqual({ target: 12, source: null });
    expect(s.selection).toEqual([12]);
    s = mergeClick(s.pick, 17);
    expect(s.pick).toEqual({ target: 12, source: 17 });
    expect(s.selection).toEqual([12, 17]);
    expect(mergeReady(s.pick, s.selection)).toBe(true);
    // Another click replaces the source; clicking the source again drops it; the target resets.
    expect(mergeClick(s.pick, 30).pick).toEqual({ target: 12, source: 30 });
    expect(mergeClick(s.pick, 17).pick).toEqual({ target: 12, source: null });
    expect(mergeClick(s.pick, 12)).toEqual({ pick: NO_MERGE, selection: [] });
    expect(mergeClick(s.pick, 0).notice).toMatch(/background/);
  });

  it('merges only segments that are still selected', () => {
    const pick = { target: 12, source: 17 };
    expect(mergeReady(pick, [12])).toBe(false);
    expect(reconcileMerge(pick, [12])).toEqual({ target: 12, source: null });
    expect(reconcileMerge(pick, [])).toEqual(NO_MERGE);
    // Two segments selected in the viewer before switching to the merge tool.
    expect(reconcileMerge(NO_MERGE, [5, 9])).toEqual({ target: 5, source: 9 });
    expect(reconcileMerge(NO_MERGE, [5, 9, 11])).toEqual({ target: 5, source: null });
    expect(reconcileMerge(pick, [17, 12])).toBe(pick);
  });
});

describe('virtual rows and pages', () => {
  it('lists only the rows in view plus overscan', () => {
    expect(visibleRows(0, 300, 30, 100_000, 5)).toEqual({ first: 0, last: 15 });
    expect(visibleRows(30_000, 300, 30, 100_000, 5)).toEqual({ first: 995, last: 1015 });
    expect(visibleRows(2_999_700, 300, 30, 100_000, 5)).toEqual({ first: 99_985, last: 100_000 });
    expect(visibleRows(0, 300, 30, 0)).toEqual({ first: 0, last: 0 });
    expect(pagesCovering(995, 1015, 200)).toEqual([4, 5]);
    expect(pagesCovering(0, 0, 200)).toEqual([]);
  });

  it('loads pages on demand, keeps rows while refreshing, and follows a changed total', async () => {
    let data = Array.from({ length: 1000 }, (_, i) => i);
    const calls: number[] = [];
    const list = new PagedList<number>(async (offset, limit) => {
      calls.push(offset);
      await new Promise((r) => setTimeout(r, 1));
      return { total: data.length, rows: data.slice(offset, offset + limit) };
    }, 100);
    const settled = () => new Promise((r) => setTimeout(r, 30));
    list.ensure(0, 20);
    await settled();
    expect(list.total).toBe(1000);
    expect(list.row(5)).toBe(5);
    expect(calls).toEqual([0]);
    list.ensure(450, 520);
    await settled();
    expect(calls).toEqual([0, 400, 500]);
    expect(list.row(519)).toBe(519);
    expect(list.row(700)).toBeUndefined();
    data = data.map((x) => x + 10_000).slice(0, 480);
    list.refresh();
    expect(list.row(450), 'old rows stay while refreshing').toBe(450);
    await settled();
    expect(list.total).toBe(480);
    expect(list.row(450)).toBe(10_450);
    expect(list.row(519)).toBeUndefined();
  });

  it('does not retry a failing page in a loop', async () => {
    let n = 0;
    const list = new PagedList<number>(async () => {
      n++;
      throw new Error('server down');
    });
    list.ensure(0, 10);
    await new Promise((r) => setTimeout(r, 20));
    expect(list.error).toBe('server down');
    expect(n).toBe(1);
  });
});

describe('serial queue and edit errors', () => {
  it('runs tasks in submission order, one at a time, and survives failures', async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    let running = 0;
    const task = (name: string, ms: number, fail = false) => async () => {
      running++;
      expect(running).toBe(1);
      await new Promise((r) => setTimeout(r, ms));
      log.push(name);
      running--;
      if (fail) throw new Error(name);
      return name;
    };
    const a = q.run(task('stroke', 20));
    const b = q.run(task('undo', 1, true));
    const c = q.run(task('stroke2', 5));
    expect(q.pending).toBe(3);
    await expect(a).resolves.toBe('stroke');
    await expect(b).rejects.toThrow('undo');
    await expect(c).resolves.toBe('stroke2');
    await q.idle();
    expect(log).toEqual(['stroke', 'undo', 'stroke2']);
    expect(q.pending).toBe(0);
  });

  it('tells confirmations and locked segments from other errors', () => {
    expect(classifyEditError(new ApiError('TOO_LARGE', 'big', { confirmRequired: true, voxels: 2_000_000, threshold: 1_000_000 }))).toMatchObject({ kind: 'confirm', voxels: 2_000_000, threshold: 1_000_000 });
    const locked = classifyEditError(new ApiError('LOCKED_SEGMENT', 'segment 7 is locked', { segments: [7] }));
    expect(locked).toMatchObject({ kind: 'locked', segments: [7] });
    expect(locked.message).toMatch(/segment 7 is locked/);
    expect(classifyEditError(new ApiError('TOO_LARGE', 'no ids left'))).toMatchObject({ kind: 'error', code: 'TOO_LARGE' });
    expect(classifyEditError(new Error('boom'))).toMatchObject({ kind: 'error', message: 'boom' });
  });
});
