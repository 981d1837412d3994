import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
export const SCREENSHOT_DIR = join(ROOT, 'test-output', 'screenshots');
const CHROMIUM = process.env.TOKENUNIFY_CHROMIUM ?? '/usr/bin/chromium';

export interface ServedApp {
  url: string;
  port: number;
  token: string;
  userData: string;
  process: ChildProcess;
  log: () => string;
  stop(): Promise<void>;
}

/** Starts `tokenunify serve` (the built CLI) as a child process, like a user would. */
export async function serveApp(opts: { projectDir?: string; userData?: string; env?: Record<string, string> } = {}): Promise<ServedApp> {
  const cli = join(ROOT, 'out', 'main', 'cli.js');
  if (!existsSync(cli)) throw new Error('the app is not built: run "npm run build" before the e2e tests');
  const scratch = mkdtempSync(join(tmpdir(), 'tu-e2e-'));
  const userData = opts.userData ?? join(scratch, 'user-data');
  const urlFile = join(scratch, 'url');
  const args = [cli, 'serve', ...(opts.projectDir ? [opts.projectDir] : []), '--port', '0', '--url-file', urlFile];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, TOKENUNIFY_USER_DATA: userData, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const deadline = Date.now() + 30_000;
  while (!existsSync(urlFile) || !readFileSync(urlFile, 'utf8').trim()) {
    if (child.exitCode !== null) throw new Error(`serve exited early (${child.exitCode}):\n${output}`);
    if (Date.now() > deadline) throw new Error(`serve did not start in time:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = readFileSync(urlFile, 'utf8').trim();
  const parsed = new URL(url);
  return {
    url,
    port: Number(parsed.port),
    token: parsed.searchParams.get('token')!,
    userData,
    process: child,
    log: () => output,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGINT');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      '--ignore-gpu-blocklist',
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}
