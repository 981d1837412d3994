import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { handlers } from '../../src/main/api/handlers';
import { createRouter } from '../../src/main/api/router';
import { AppContext } from '../../src/main/context';
import { decodeMessage, encodeMessage } from '../../src/shared/api/wire';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/**
 * An app session (router + context) with a new open project, calling through the wire format:
 * every result must survive the WebSocket encoding (typed arrays as binary attachments). The
 * context and its folder are disposed after the test.
 */
export async function apiSession(prefix = 'tu-api-') {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const ctx = new AppContext({ mode: 'browser', userDataDir: join(root, 'user') });
  cleanup.push(() => rmSync(root, { recursive: true, force: true }));
  cleanup.push(() => ctx.dispose());
  const dispatch = createRouter(handlers, ctx);
  const events: { event: string; data: any }[] = [];
  ctx.events.subscribe((event, data) => events.push({ event, data }));
  const call = async (method: string, params: unknown = {}) => {
    const r = await dispatch(method, params);
    if (!r.ok) throw Object.assign(new Error(r.error.message), r.error);
    return decodeMessage(encodeMessage(r.result)) as any;
  };
  await call('projects.create', { path: join(root, 'p') });
  return { root, ctx, dispatch, call, events, project: ctx.requireProject() };
}
