import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchBrowser, screenshot, serveApp, type ServedApp } from '../helpers/browser-mode';

describe.runIf(chromiumAvailable())('browser mode: project browser, security, jobs', () => {
  let app: ServedApp;
  let browser: Browser;
  let scratch: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'tu-found-'));
    app = await serveApp();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('refuses every request without the token', async () => {
    const base = `http://127.0.0.1:${app.port}`;
    for (const path of ['/', '/index.html', '/assets/anything.js']) {
      const res = await fetch(base + path);
      expect(res.status).toBe(401);
      expect(await res.text()).toBe('401 Unauthorized\n');
    }
    const wrong = await fetch(`${base}/?token=${'0'.repeat(app.token.length)}`);
    expect(wrong.status).toBe(401);
    const ok = await fetch(app.url);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-security-policy')).toContain("default-src 'self'");
    // WebSocket upgrade without the token is refused too.
    const refused = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${app.port}/api`);
      ws.on('open', () => resolve('open'));
      ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
      ws.on('error', () => resolve('error'));
    });
    expect(refused).toBe('401');
  });

  it('listens on loopback only', async () => {
    const { networkInterfaces } = await import('node:os');
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!external) return; // no non-loopback interface on this machine
    const reached = await fetch(`http://${external.address}:${app.port}${new URL(app.url).search}`).then(
      () => true,
      () => false,
    );
    expect(reached).toBe(false);
  });

  it('answers a malformed API request with a clear error', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${app.port}/api?token=${app.token}`, { headers: { Origin: `http://127.0.0.1:${app.port}` } });
    await new Promise((r) => ws.once('open', r));
    const replies: unknown[] = [];
    ws.on('message', (d) => replies.push(JSON.parse(d.toString())));
    ws.send('{not json');
    ws.send(JSON.stringify({ id: 2, method: 'projects.open', params: { path: 42 } }));
    ws.send(JSON.stringify({ id: 3, method: 'no.such.method', params: {} }));
    ws.send(JSON.stringify({ id: 4, method: 'projects.open', params: { path: join(scratch, 'nothing-here') } }));
    await expect.poll(() => replies.length, { timeout: 5000 }).toBe(4);
    ws.close();
    const byId = (id: number) => replies.find((r) => (r as { id: number }).id === id) as { ok: boolean; error: { code: string; message: string } };
    expect(byId(-1).error.code).toBe('BAD_REQUEST');
    expect(byId(-1).error.message).toMatch(/malformed request/);
    expect(byId(2).error).toMatchObject({ code: 'BAD_REQUEST' });
    expect(byId(2).error.message).toMatch(/path/);
    expect(byId(3).error.message).toMatch(/unknown method/);
    expect(byId(4).error).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('creates a project, keeps it across a reload, runs a job with live progress', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(app.url);
    await page.getByTestId('new-project').click();
    const dir = join(scratch, 'first-project');
    await page.getByTestId('create-path').fill(dir);
    await page.getByTestId('create-name').fill('Larva VNC');
    await screenshot(page, 'foundation-create-project');
    await page.getByTestId('create-submit').click();
    await expect.poll(() => page.getByTestId('project-name').textContent(), { timeout: 10_000 }).toBe('Larva VNC');
    await screenshot(page, 'foundation-workspace');

    await page.reload();
    await expect.poll(() => page.getByTestId('project-name').textContent(), { timeout: 10_000 }).toBe('Larva VNC');

    await page.getByTestId('open-jobs').click();
    await page.getByTestId('job-self-test').click();
    const row = page.getByTestId('job-row').first();
    await expect.poll(() => row.getAttribute('data-job-state'), { timeout: 10_000 }).toBe('running');
    await screenshot(page, 'foundation-jobs-running');
    await expect.poll(() => row.getAttribute('data-job-state'), { timeout: 20_000 }).toBe('succeeded');
    await page.keyboard.press('Escape');

    await page.getByTestId('close-project').click();
    await page.getByTestId('recent-projects').waitFor();
    expect(await page.getByTestId('recent-projects').textContent()).toContain('Larva VNC');
    await screenshot(page, 'foundation-project-browser');

    // Deleting asks for the exact name, then removes the folder and the recent entry.
    await page.getByTestId('delete-project').first().click();
    await page.getByTestId('delete-project-confirm').fill('Larva');
    expect(await page.getByTestId('delete-project-submit').isDisabled()).toBe(true);
    await page.getByTestId('delete-project-confirm').fill('Larva VNC');
    await page.getByTestId('delete-project-submit').click();
    await expect.poll(() => existsSync(dir), { timeout: 10_000 }).toBe(false);
    await expect.poll(async () => (await page.getByTestId('recent-projects').count()) === 0 || !(await page.getByTestId('recent-projects').textContent())!.includes('Larva VNC')).toBe(true);
    await page.close();
  });

  it('shows a clear message when a folder is not a project', async () => {
    const page = await browser.newPage();
    await page.goto(app.url);
    await page.getByTestId('open-path').fill(scratch);
    await page.getByTestId('open-project').click();
    await page.getByTestId('project-error').waitFor();
    expect(await page.getByTestId('project-error').textContent()).toMatch(/is not a TokenUnify project/);
    await screenshot(page, 'foundation-not-a-project');
    await page.close();
  });
});
