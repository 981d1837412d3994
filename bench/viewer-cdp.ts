import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

/**
 * A bare Chrome DevTools Protocol driver for benchmarks. Playwright enables the Network
 * domain, and Chromium then copies every WebSocket frame, base64-encoded, to the driver: with
 * megabyte chunk replies that costs seconds no user pays. This driver only uses Page,
 * Emulation and Runtime, so the app runs as it would without devtools.
 */
export class CdpPage {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly chrome: ChildProcess,
    private readonly ws: WebSocket,
    private readonly profile: string,
  ) {
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      const p = m.id !== undefined ? this.pending.get(m.id) : undefined;
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error) p.reject(new Error(`${m.error.message}`));
      else p.resolve(m.result);
    });
  }

  get pid(): number {
    return this.chrome.pid!;
  }

  static async launch(width: number, height: number, executable = process.env.TOKENUNIFY_CHROMIUM ?? '/usr/bin/chromium'): Promise<CdpPage> {
    const profile = mkdtempSync(join(tmpdir(), 'tu-cdp-'));
    const chrome = spawn(
      executable,
      [
        '--headless=new',
        '--no-sandbox',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--use-angle=swiftshader',
        '--enable-unsafe-swiftshader',
        '--ignore-gpu-blocklist',
        '--remote-debugging-port=0',
        `--user-data-dir=${profile}`,
        `--window-size=${width},${height}`,
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const endpoint = await new Promise<string>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new Error(`chromium did not start:\n${buf}`)), 30_000);
      chrome.stderr!.on('data', (d) => {
        buf += d;
        const m = /DevTools listening on (ws:\S+)/.exec(buf);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      chrome.once('exit', (code) => reject(new Error(`chromium exited (${code}):\n${buf}`)));
    });
    const port = new URL(endpoint).port;
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { type: string; webSocketDebuggerUrl: string }[];
    const target = targets.find((t) => t.type === 'page');
    if (!target) throw new Error('chromium has no page target');
    const ws = new WebSocket(target.webSocketDebuggerUrl, { maxPayload: 1 << 30 });
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    const page = new CdpPage(chrome, ws, profile);
    await page.send('Page.enable');
    await page.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
    // tsx keeps function names through a __name helper that page-side functions would miss.
    await page.send('Page.addScriptToEvaluateOnNewDocument', { source: 'window.__name = (f) => f;' });
    return page;
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<any> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  async navigate(url: string): Promise<void> {
    await this.send('Page.navigate', { url });
  }

  /** Runs `fn(arg)` in the page (awaiting promises) and returns its JSON-serialisable result. */
  async evaluate<A, R>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R> {
    const r = await this.send('Runtime.evaluate', {
      expression: `(${fn.toString()})(${JSON.stringify(arg ?? null)})`,
      awaitPromise: true,
      returnByValue: true,
    });
    if (r.exceptionDetails) throw new Error(`page error: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as R;
  }

  async waitFor<A>(fn: (arg: A) => boolean, arg?: A, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        if (await this.evaluate(fn, arg)) return;
      } catch {
        /* page still loading */
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${fn.toString().slice(0, 120)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close(): Promise<void> {
    this.ws.close();
    if (this.chrome.exitCode === null) {
      this.chrome.kill();
      await new Promise((r) => this.chrome.once('exit', r));
    }
    rmSync(this.profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}
