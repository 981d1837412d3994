import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nativeStatus } from '../../../src/main/native/addon';
import { setInitialMapping } from '../../../src/main/proofreading/index-layer';
import { ProofreadingService } from '../../../src/main/proofreading/service';
import { Project } from '../../../src/main/store/project';
import type { Vec3 } from '../../../src/main/volumes/box';
import { createLayerFromArray } from '../../../src/main/volumes/create-layer';
import { getLayer } from '../../../src/main/volumes/layers';
import { runOp, type CrashOp } from './crash-ops';
import { countsOf, indexCounts, nativeSegmentationAvailable, pyramidMismatches, readVoxels, sampleFragments, sampleLabels, segmentCountsVia, SHAPE, dbMapping, dbCounts } from './fixtures';

const native = nativeSegmentationAvailable();
const ITERATIONS = 24;
const repo = join(import.meta.dirname, '..', '..', '..');

/** Points where the process kills itself, and which state each must leave after recovery. */
const POINTS: { point: string; outcome: 'before' | 'after' }[] = [
  { point: 'edit.in-transaction', outcome: 'before' },
  { point: 'transition.in-transaction', outcome: 'before' },
  { point: 'edit.after-commit', outcome: 'after' },
  { point: 'transition.after-commit', outcome: 'after' },
  { point: 'files.after-chunk', outcome: 'after' },
  { point: 'files.before-pyramid', outcome: 'after' },
  { point: 'files.after-pyramid', outcome: 'after' },
];

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The child as plain JS (esbuild bundle, ~0.2 s to start) or, without esbuild, through tsx. */
async function childCommand(): Promise<string[]> {
  const entry = join(import.meta.dirname, 'crash-child.ts');
  const outDir = join(repo, 'test-output', 'proofreading-crash');
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, `child-${process.pid}.mjs`);
  try {
    const esbuild = await import('esbuild');
    await esbuild.build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: out, packages: 'external', logLevel: 'error' });
    return [out];
  } catch {
    return ['--import', join(repo, 'node_modules', 'tsx', 'dist', 'loader.mjs'), entry];
  }
}

interface Snapshot {
  voxels: Record<string, Uint32Array>;
  counts: Record<string, [number, number][]>;
  mapping: [number, number][];
  history: string;
}

/** What an edit may change, checking that the database and the files agree. */
async function snapshotOf(project: Project, service: ProofreadingService, layers: Record<string, string>, checkPyramid: boolean): Promise<Snapshot> {
  await service.settled();
  expect(project.db.prepare('SELECT count(*) FROM edit_journal').pluck().get()).toBe(0);
  const snap: Snapshot = { voxels: {}, counts: {}, mapping: [], history: '' };
  for (const [key, id] of Object.entries(layers)) {
    const info = getLayer(project, id);
    const voxels = await readVoxels(project, info);
    snap.voxels[key] = voxels;
    const counts = dbCounts(project, id);
    snap.counts[key] = [...counts].sort((a, b) => a[0] - b[0]);
    expect(indexCounts(project, id)).toEqual(countsOf(voxels));
    if (info.kind === 'fragments') {
      const mapping = dbMapping(project, id);
      expect(counts).toEqual(segmentCountsVia(voxels, mapping));
      snap.mapping = [...mapping].sort((a, b) => a[0] - b[0]);
    } else expect(counts).toEqual(countsOf(voxels));
    if (checkPyramid) expect(await pyramidMismatches(project, info)).toEqual([]);
  }
  snap.history = service.log
    .history(10_000)
    .map((e) => `${e.id}:${e.kind}:${e.undone ? 'u' : 'a'}`)
    .join(' ');
  return snap;
}

/** Opens the project the way the app does (the service finishes an interrupted edit) and snapshots it. */
async function snapshot(dir: string, layers: Record<string, string>): Promise<Snapshot> {
  const project = Project.open(dir);
  const service = await ProofreadingService.open(project);
  try {
    return await snapshotOf(project, service, layers, true);
  } finally {
    await service.close();
    project.close();
  }
}

function same(a: Snapshot, b: Snapshot): boolean {
  for (const k of Object.keys(a.voxels)) {
    const x = a.voxels[k];
    const y = b.voxels[k];
    if (x.length !== y.length || x.some((v, i) => v !== y[i])) return false;
  }
  return JSON.stringify([a.counts, a.mapping, a.history]) === JSON.stringify([b.counts, b.mapping, b.history]);
}

/**
 * Copies a closed project: the database for real, chunk files as hard links (the store never
 * changes a file in place, it writes a new one and renames it over, so links stay independent).
 */
function mirrorProject(src: string, dst: string): void {
  mkdirSync(dst, { recursive: true });
  for (const e of readdirSync(src, { withFileTypes: true })) {
    const from = join(src, e.name);
    const to = join(dst, e.name);
    if (e.isDirectory()) mirrorProject(from, to);
    else if (e.name.startsWith('project.sqlite')) copyFileSync(from, to);
    else if (e.name !== '.lock') linkSync(from, to);
  }
}

/** Runs `op` on a copy of the project without interruption: the "after" state. */
async function simulate(dir: string, scratch: string, op: CrashOp, layers: Record<string, string>): Promise<Snapshot | null> {
  rmSync(scratch, { recursive: true, force: true });
  mirrorProject(dir, scratch);
  const project = Project.open(scratch);
  const service = await ProofreadingService.open(project);
  try {
    await runOp(service, op, layers);
    return await snapshotOf(project, service, layers, false);
  } catch {
    return null; // not applicable in this state (nothing to undo, segment gone, ...)
  } finally {
    await service.close();
    project.close();
  }
}

function runChild(cmd: string[], dir: string, op: CrashOp, layers: Record<string, string>, crash: { at?: string; afterMs?: number }): Promise<{ killed: boolean; out: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, TOKENUNIFY_CRASH_AT: crash.at ?? '' };
    if (nativeStatus().path) env.TOKENUNIFY_NATIVE_ADDON = nativeStatus().path!;
    const child = spawn(process.execPath, [...cmd, dir, JSON.stringify(op), JSON.stringify(layers)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = crash.afterMs !== undefined ? setTimeout(() => child.kill('SIGKILL'), crash.afterMs) : null;
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      clearTimeout(guard);
      if (signal === 'SIGKILL') resolve({ killed: true, out });
      else if (code === 0) resolve({ killed: false, out });
      else reject(new Error(`crash child exited with ${code}: ${out}`));
    });
  });
}

function pickOp(r: () => number, snap: Snapshot): CrashOp {
  const segs = (key: string) => snap.counts[key].map(([id]) => id);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const roll = r();
  if (roll < 0.3) {
    // A stroke across x (three chunk columns) and, with a big radius, two chunk rows: several chunk files.
    const y = 8 + Math.floor(r() * 32);
    return { kind: 'paint', layer: r() < 0.7 ? 'a' : 'f', segmentId: 1 + Math.floor(r() * 6), points: [[2 + Math.floor(r() * 16), y, 3] as Vec3, [9, y, 44] as Vec3], radius: 2 + r() * 6 };
  }
  if (roll < 0.42) {
    const z = 1 + Math.floor(r() * 18);
    return { kind: 'fill', layer: 'a', seed: [z, 24, 24], segmentId: 1 + Math.floor(r() * 6), box: { min: [Math.max(0, z - 3), 0, 0], max: [Math.min(SHAPE[0], z + 3), 48, 48] } };
  }
  if (roll < 0.6) {
    const layer = r() < 0.5 ? 'a' : 'f';
    const ids = segs(layer);
    if (ids.length >= 2) {
      const target = pick(ids);
      const source = pick(ids.filter((i) => i !== target));
      return { kind: 'merge', layer, target, source };
    }
  }
  if (roll < 0.68 && native) return { kind: 'split', layer: r() < 0.5 ? 'a' : 'f', segmentId: 4, seeds: [[[7, 36, 4]], [[7, 36, 16]]] };
  if (roll < 0.88) return { kind: 'undo' };
  return { kind: 'redo' };
}

describe('crash safety', () => {
  it(`a process killed (SIGKILL) anywhere in an edit, undo or redo leaves the project before or after it (${ITERATIONS} kills)`, async () => {
    const root = mkdtempSync(join(tmpdir(), 'tu-crash-'));
    const dir = join(root, 'project');
    const scratch = join(root, 'scratch');
    const project = Project.create(dir, 'crash test');
    const a = await createLayerFromArray(project, { name: 'a', kind: 'labels', dtype: 'uint32', shape: SHAPE, resolution: [4, 4, 4], chunkShape: [8, 16, 16], data: sampleLabels() });
    const fragments = sampleFragments();
    const f = await createLayerFromArray(project, { name: 'f', kind: 'fragments', dtype: 'uint32', shape: SHAPE, resolution: [4, 4, 4], chunkShape: [8, 16, 16], data: fragments });
    const ids = [...new Set(fragments)].filter((v) => v !== 0);
    setInitialMapping(project, f.id, ids, ids.map((v) => Math.floor(v / 100)));
    const setup = await ProofreadingService.open(project);
    await setup.indexNow(a.id);
    await setup.indexNow(f.id);
    await setup.close();
    project.close();
    const layers = { a: a.id, f: f.id };
    const cmd = await childCommand();
    const r = rng(20261128);
    let state = await snapshot(dir, layers);
    const outcomes = { before: 0, after: 0, completed: 0, recoveryKills: 0 };
    let kills = 0;
    let guard = 0;
    try {
      while (kills < ITERATIONS && guard++ < ITERATIONS * 4) {
        const op = pickOp(r, state);
        const after = await simulate(dir, scratch, op, layers);
        if (!after) continue;
        const fitting = POINTS.filter((p) => (op.kind === 'undo' || op.kind === 'redo' ? !p.point.startsWith('edit.') : !p.point.startsWith('transition.')));
        const named = r() < 0.65 ? fitting[Math.floor(r() * fitting.length)] : null;
        const crash = named ? { at: `${named.point}:${r() < 0.7 ? 1 : 2}` } : { afterMs: 120 + Math.floor(r() * 300) };
        const run = await runChild(cmd, dir, op, layers, crash);
        if (run.killed) {
          kills++;
          // Sometimes crash again while the next start recovers the interrupted edit.
          const pending = (() => {
            const p = Project.inspect(dir);
            try {
              return p.db.prepare('SELECT count(*) FROM edit_journal').pluck().get() as number;
            } finally {
              p.close();
            }
          })();
          if (pending > 0 && r() < 0.5) {
            const again = await runChild(cmd, dir, { kind: 'recover' }, layers, { at: 'files.after-chunk:1' });
            if (again.killed) outcomes.recoveryKills++;
          }
        }
        const now = await snapshot(dir, layers);
        const isBefore = same(now, state);
        const isAfter = same(now, after);
        expect(isBefore || isAfter, `after ${JSON.stringify(op)} killed at ${JSON.stringify(crash)}: neither the state before nor after the edit`).toBe(true);
        if (!run.killed) expect(isAfter).toBe(true);
        else if (named) expect(isAfter ? 'after' : 'before', `killed at ${named.point} during ${op.kind}`).toBe(named.outcome);
        if (run.killed) outcomes[isAfter && !isBefore ? 'after' : 'before']++;
        else outcomes.completed++;
        state = now;
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
      if (existsSync(cmd[0]) && cmd[0].endsWith('.mjs')) rmSync(cmd[0], { force: true });
    }
    console.log(`crash test: ${kills} kills (${outcomes.before} left the state before, ${outcomes.after} after; ${outcomes.recoveryKills} recoveries killed too), ${outcomes.completed} runs completed`);
    expect(kills).toBe(ITERATIONS);
    expect(outcomes.before).toBeGreaterThan(0);
    expect(outcomes.after).toBeGreaterThan(0);
  }, 120_000);
});
