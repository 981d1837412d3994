import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { handlers } from '../../../src/main/api/handlers';
import { createRouter } from '../../../src/main/api/router';
import { createAppSession } from '../../../src/main/api/session';
import { contract } from '../../../src/shared/api/contract';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function session() {
  const dir = mkdtempSync(join(tmpdir(), 'tu-api-'));
  const s = await createAppSession({ mode: 'browser', userDataDir: join(dir, 'ud') });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => s.ctx.dispose());
  return { ...s, dir };
}

describe('API router', () => {
  it('has a handler for every method of the contract', async () => {
    for (const m of Object.keys(contract)) expect(typeof (handlers as Record<string, unknown>)[m]).toBe('function');
    const { ctx } = await session();
    expect(() => createRouter({ ...handlers, 'system.info': undefined } as never, ctx)).toThrow(/without a handler: system.info/);
  });

  it('rejects unknown methods and invalid parameters with BAD_REQUEST and says what is wrong', async () => {
    const { dispatch } = await session();
    expect(await dispatch('nope', {})).toEqual({ ok: false, error: { code: 'BAD_REQUEST', message: 'unknown method "nope"' } });
    expect(await dispatch(42, {})).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    const r = await dispatch('projects.create', { path: '', extra: 1 });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('BAD_REQUEST');
      expect(r.error.message).toMatch(/path: a folder path is required/);
      expect(r.error.message).toMatch(/extra/);
    }
    expect(await dispatch('jobs.cancel', { id: 'not-a-uuid' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await dispatch('jobs.selfTest', { seconds: 1e9 })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });

  it('creates, lists, closes, reopens and deletes projects (with confirmation)', async () => {
    const { dispatch, dir, ctx } = await session();
    const path = join(dir, 'proj');
    const created = await dispatch('projects.create', { path, name: 'Alpha' });
    expect(created).toMatchObject({ ok: true, result: { name: 'Alpha', path } });
    expect(await dispatch('projects.current', {})).toMatchObject({ ok: true, result: { name: 'Alpha' } });
    expect(await dispatch('projects.close', {})).toEqual({ ok: true, result: { closed: true } });
    expect(ctx.project).toBeNull();
    const recent = await dispatch('projects.recent', {});
    expect(recent).toMatchObject({ ok: true, result: [{ path, name: 'Alpha', exists: true }] });
    expect(await dispatch('projects.open', { path })).toMatchObject({ ok: true, result: { name: 'Alpha' } });
    const wrongName = await dispatch('projects.delete', { path, confirmName: 'alpha' });
    expect(wrongName).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await dispatch('projects.open', { path })).toMatchObject({ ok: true });
    expect(await dispatch('projects.delete', { path, confirmName: 'Alpha' })).toEqual({ ok: true, result: { deleted: true } });
    expect(await dispatch('projects.recent', {})).toEqual({ ok: true, result: [] });
    expect(await dispatch('projects.open', { path })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('reports domain errors with their codes', async () => {
    const { dispatch, dir } = await session();
    expect(await dispatch('projects.open', { path: dir })).toMatchObject({ ok: false, error: { code: 'NOT_A_PROJECT' } });
  });
});
