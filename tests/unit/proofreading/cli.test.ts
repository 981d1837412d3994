import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/main/cli/index';
import { captureOutput as capture } from '../../helpers/cli';
import { nativeStatus } from '../../../src/main/native/addon';
import { Project } from '../../../src/main/store/project';
import { countsOf, diffCount, labelFixture, readVoxels, type Fixture } from './fixtures';


let fx: Fixture | undefined;
afterEach(() => {
  if (fx) rmSync(fx.dir, { recursive: true, force: true });
  fx = undefined;
});

/** A project with a label layer, closed so the CLI can take its lock. */
async function closedProject(opts: { index?: boolean } = {}): Promise<Fixture> {
  const f = await labelFixture();
  if (opts.index === false) f.project.db.prepare('DELETE FROM label_layers').run();
  await f.service.close();
  f.project.close();
  return f;
}

describe('proofreading CLI', () => {
  it('prints help for segments, merge, undo and redo', async () => {
    for (const name of ['segments', 'merge', 'undo', 'redo']) {
      const io = capture();
      expect(await runCli([name, '--help'], io)).toBe(0);
      expect(io.stdout).toContain(`usage: tokenunify ${name} DIR`);
    }
  });

  it('lists segments as JSON (indexing on first use), merges, undoes and redoes', async () => {
    fx = await closedProject({ index: false });
    const counts = countsOf(fx.initial);
    let io = capture();
    expect(await runCli(['segments', fx.dir, 'seg', '--json'], io)).toBe(0);
    expect(io.stderr).toMatch(/counting the segments of/);
    const listed = JSON.parse(io.stdout) as { layer: string; total: number; segments: { id: number; voxelCount: number }[] };
    expect(listed.layer).toBe('seg');
    expect(listed.total).toBe(4);
    expect(listed.segments.map((s) => [s.id, s.voxelCount])).toEqual([...counts].sort((a, b) => a[0] - b[0]));

    io = capture();
    expect(await runCli(['segments', fx.dir, 'seg', '--sort', 'size'], io)).toBe(0);
    const largest = [...counts].sort((a, b) => b[1] - a[1])[0];
    expect(io.stdout.split('\n')[2]).toMatch(new RegExp(`^\\s+${largest[0]}\\s+${largest[1]}\\s`));

    io = capture();
    expect(await runCli(['merge', fx.dir, 'seg', '1', '2'], io)).toBe(0);
    expect(io.stdout).toMatch(/Merge 2 into 1 in 'seg' \(edit 1, \d+ voxels rewritten\)/);
    io = capture();
    await runCli(['segments', fx.dir, 'seg', '--json'], io);
    expect(JSON.parse(io.stdout).segments.find((s: { id: number }) => s.id === 1).voxelCount).toBe(counts.get(1)! + counts.get(2)!);

    io = capture();
    expect(await runCli(['undo', fx.dir], io)).toBe(0);
    expect(io.stdout).toMatch(/undid edit 1: Merge 2 into 1/);
    let p = Project.open(fx.dir);
    expect(diffCount(await readVoxels(p, fx.layer), fx.initial)).toBe(0);
    p.close();
    io = capture();
    expect(await runCli(['redo', fx.dir, '--json'], io)).toBe(0);
    expect(JSON.parse(io.stdout)).toMatchObject({ edit: { id: 1, kind: 'merge', undone: false }, history: { canUndo: true, canRedo: false } });
    p = Project.open(fx.dir);
    expect(diffCount(await readVoxels(p, fx.layer), fx.initial.map((v) => (v === 2 ? 1 : v)))).toBe(0);
    p.close();
  });

  it('fails clearly: unknown ids, nothing to undo, a project open elsewhere', async () => {
    fx = await closedProject();
    let io = capture();
    expect(await runCli(['merge', fx.dir, 'seg', '1', '99'], io)).toBe(1);
    expect(io.stderr).toMatch(/merge source 99 does not exist in layer 'seg'/);
    io = capture();
    expect(await runCli(['merge', fx.dir, 'seg', '1', 'x'], io)).toBe(2);
    io = capture();
    expect(await runCli(['undo', fx.dir, '--json'], io)).toBe(2);
    expect(JSON.parse(io.stdout)).toEqual({ error: { code: 'BAD_REQUEST', message: 'nothing to undo' } });
    io = capture();
    expect(await runCli(['segments', fx.dir, 'nope'], io)).toBe(1);
    expect(io.stderr).toMatch(/no layer 'nope'/);
    const open = Project.open(fx.dir);
    try {
      io = capture();
      expect(await runCli(['undo', fx.dir], io)).toBe(1);
      expect(io.stderr).toMatch(/lock|open/i);
    } finally {
      open.close();
    }
  });

  it('runs as `tokenunify segments DIR LAYER --json` in its own process', async () => {
    fx = await closedProject();
    const env: NodeJS.ProcessEnv = { ...process.env, TOKENUNIFY_FROM_SOURCE: '1' };
    if (nativeStatus().path) env.TOKENUNIFY_NATIVE_ADDON = nativeStatus().path!;
    const r = spawnSync(process.execPath, [join(import.meta.dirname, '..', '..', '..', 'bin', 'tokenunify.mjs'), 'segments', fx.dir, 'seg', '--json'], { encoding: 'utf8', env });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).segments.map((s: { id: number }) => s.id)).toEqual([1, 2, 3, 4]);
  });
});
