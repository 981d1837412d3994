import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobRunner } from '../../../src/main/jobs/runner';
import type { JobInfo } from '../../../src/main/jobs/types';
import { Project } from '../../../src/main/store/project';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).reverse().forEach((c) => c()));

function project(): Project {
  const dir = mkdtempSync(join(tmpdir(), 'tu-jobs-'));
  const p = Project.create(join(dir, 'p'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => p.close());
  return p;
}

describe('job runner', () => {
  it('runs a task in a worker thread with progress, ETA and a database record', async () => {
    const p = project();
    const runner = new JobRunner();
    const updates: JobInfo[] = [];
    runner.on('updated', (j) => updates.push(j));
    const job = runner.start(p, 'demo.sleep', { seconds: 0.6 }, { title: 'nap' });
    const done = await runner.wait(job.id);
    expect(done.state).toBe('succeeded');
    expect(done.result).toEqual({ slept: 0.6 });
    const progress = updates.filter((u) => u.state === 'running').map((u) => u.progress);
    expect(progress.length).toBeGreaterThan(2);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(updates.some((u) => u.etaSeconds !== null && u.etaSeconds > 0)).toBe(true);
    const row = p.db.prepare('SELECT state, progress, title, result FROM jobs WHERE id = ?').get(job.id);
    expect(row).toEqual({ state: 'succeeded', progress: 1, title: 'nap', result: JSON.stringify({ slept: 0.6 }) });
  });

  it('cancels a running job promptly and records it', async () => {
    const p = project();
    const runner = new JobRunner();
    const job = runner.start(p, 'demo.sleep', { seconds: 30 });
    await new Promise((r) => runner.on('updated', (j) => j.progress > 0 && r(null)));
    const t0 = Date.now();
    runner.cancel(job.id);
    const done = await runner.wait(job.id);
    expect(done.state).toBe('cancelled');
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(p.db.prepare('SELECT state FROM jobs WHERE id = ?').get(job.id)).toEqual({ state: 'cancelled' });
  });

  it('records failures with the task error, and queues beyond its concurrency', async () => {
    const p = project();
    const runner = new JobRunner(1);
    const a = runner.start(p, 'demo.sleep', { seconds: 0.3, failAt: 0.5 });
    const b = runner.start(p, 'demo.sleep', { seconds: 0.1 });
    expect(runner.get(b.id)!.state).toBe('queued');
    const [da, db] = await Promise.all([runner.wait(a.id), runner.wait(b.id)]);
    expect(da.state).toBe('failed');
    expect(da.error).toBe('failing on purpose');
    expect(db.state).toBe('succeeded');
    await expect(runner.run(p, 'demo.sleep', { seconds: 0.1, failAt: 0 })).rejects.toThrow(/failing on purpose/);
  });

  it('refuses unknown job kinds and marks jobs of a crashed session as interrupted', () => {
    const p = project();
    const runner = new JobRunner();
    expect(() => runner.start(p, 'no.such.kind', {})).toThrow(/unknown job kind/);
    p.db.prepare(`INSERT INTO jobs (id, kind, title, state, created_at) VALUES ('j1', 'x', 'x', 'running', 'now')`).run();
    expect(JobRunner.recoverInterrupted(p)).toBe(1);
    expect(p.db.prepare(`SELECT state FROM jobs WHERE id = 'j1'`).get()).toEqual({ state: 'interrupted' });
  });
});

describe('job errors', () => {
  it('keep the task error code (e.g. NOT_FOUND) for callers', async () => {
    const p = project();
    const runner = new JobRunner();
    // An import of a file that does not exist fails inside the task with NOT_FOUND.
    const job = runner.start(p, 'volumes.import', { path: join(p.root, 'absent.tif'), kind: 'image', name: 'x' });
    const done = await runner.wait(job.id);
    expect(done.state).toBe('failed');
    expect(done.errorCode).toBe('NOT_FOUND');
    await expect(runner.run(p, 'volumes.import', { path: join(p.root, 'absent.tif'), kind: 'image', name: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
