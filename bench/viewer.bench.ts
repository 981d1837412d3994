/// <reference lib="dom" />
/**
 * Slice viewer benchmark (issue 3): in headless Debian chromium (SwiftShader WebGL2), on a
 * synthetic volume larger than both chunk caches, measures
 *   - time from opening the project to the first complete slice (2x2 layout),
 *   - p50/p95 latency of one slice step on a 1024x1024 XY view (steady stepping with prefetch,
 *     and cold jumps that miss every cache),
 *   - peak resident memory of the host process and of the browser,
 * and, in the same run, baselines: the service's own read+decode of one slice's chunks, a
 * "2D slab per step" design (layers.region + canvas 2D putImageData), and a plain canvas 2D
 * draw of an in-memory slice.
 *
 *   npx electron-vite build && npx tsx bench/viewer.bench.ts [--shape 64,1024,1024] [--steps 80]
 *
 * The volume is generated once (tokenunify demo) into $TOKENUNIFY_BENCH_DIR or /tmp and reused.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ChunkCache } from '../src/main/volumes/chunk-cache';
import { VolumeService } from '../src/main/volumes/service';
import { Project } from '../src/main/store/project';
import { ROOT, serveApp } from '../tests/helpers/browser-mode';
import { CdpPage } from './viewer-cdp';

const { values } = parseArgs({
  options: {
    shape: { type: 'string', default: '64,1024,1024' },
    steps: { type: 'string', default: '80' },
    jumps: { type: 'string', default: '12' },
    'host-cache-mb': { type: 'string', default: '32' },
    'viewer-cache-mb': { type: 'string', default: '256' },
  },
});
const shape = values.shape!.split(',').map(Number) as [number, number, number];
const STEPS = Number(values.steps);
const JUMPS = Number(values.jumps);
const HOST_CACHE_MB = Number(values['host-cache-mb']);
const VIEWER_CACHE_MB = Number(values['viewer-cache-mb']);
const VIEW = 1024;

function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
const ms = (x: number) => `${x.toFixed(1)} ms`;
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

function procStatus(pid: number, key: 'VmHWM' | 'VmRSS'): number {
  try {
    const m = new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function processType(pid: number): string {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /--type=([\w-]+)/.exec(cmd)?.[1] ?? 'browser';
  } catch {
    return 'gone';
  }
}

/** Chromium processes started by this benchmark (descendants of this process named chrom*). */
function browserPids(): number[] {
  const parent = new Map<number, number>();
  const name = new Map<number, string>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const m = /^(\d+) \((.*)\) \S+ (\d+)/.exec(stat);
      if (m) {
        parent.set(Number(m[1]), Number(m[3]));
        name.set(Number(m[1]), m[2]);
      }
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  for (const pid of parent.keys()) {
    let p = pid;
    for (let i = 0; i < 20 && p > 1; i++) {
      p = parent.get(p) ?? 0;
      if (p === process.pid) {
        if (/chrom/i.test(name.get(pid) ?? '')) out.push(pid);
        break;
      }
    }
  }
  return out;
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'out', 'main', 'cli.js'))) throw new Error('build first: npx electron-vite build');
  const dir = join(process.env.TOKENUNIFY_BENCH_DIR ?? tmpdir(), `tokenunify-viewer-bench-${shape.join('x')}`);
  if (!existsSync(join(dir, 'project.sqlite'))) {
    console.log(`generating a ${shape.join('x')} synthetic EM project in ${dir} (once)...`);
    const t = performance.now();
    const r = spawnSync(process.execPath, [join(ROOT, 'out', 'main', 'cli.js'), 'demo', dir, '--size', shape.join(',')], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('demo generation failed');
    console.log(`  generated in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  }

  // Baseline 1: the service reading + decoding the chunks of one 1024x1024 XY slice, cold cache.
  const project = Project.open(dir);
  let serviceSliceMs = 0;
  let sliceChunks = 0;
  let storeBytes = 0;
  try {
    const service = new VolumeService(project, { cache: new ChunkCache(16 * 2 ** 20) });
    const layers = service.listLayers();
    for (const l of layers) {
      const lv = l.levels[0];
      storeBytes += lv.shape[0] * lv.shape[1] * lv.shape[2] * (l.dtype === 'uint8' ? 1 : l.dtype === 'uint64' ? 8 : 4);
    }
    const z = Math.floor(shape[0] / 2);
    const y0 = Math.max(0, Math.floor((shape[1] - VIEW) / 2));
    const x0 = Math.max(0, Math.floor((shape[2] - VIEW) / 2));
    const t = performance.now();
    for (const l of layers) {
      const cs = l.levels[0].chunkShape;
      const cz = Math.floor(z / cs[0]);
      const jobs: Promise<unknown>[] = [];
      for (let cy = Math.floor(y0 / cs[1]); cy * cs[1] < Math.min(shape[1], y0 + VIEW); cy++)
        for (let cx = Math.floor(x0 / cs[2]); cx * cs[2] < Math.min(shape[2], x0 + VIEW); cx++) {
          jobs.push(service.readChunk(l.id, 0, [cz, cy, cx]));
          sliceChunks++;
        }
      await Promise.all(jobs);
    }
    serviceSliceMs = performance.now() - t;
    await service.close();
  } finally {
    project.close();
  }

  const app = await serveApp({ projectDir: dir, env: { TOKENUNIFY_CHUNK_CACHE_MB: String(HOST_CACHE_MB) } });
  // Viewport: navbar 300 + aside 300 around a 1024-wide main; header 44 + toolbar 40 + footer 28.
  const page = await CdpPage.launch(600 + VIEW, 112 + VIEW);
  let peakBrowser = 0;
  const peakByType = new Map<string, number>();
  const sampler = setInterval(() => {
    let sum = 0;
    const byType = new Map<string, number>();
    for (const p of browserPids()) {
      const rss = procStatus(p, 'VmRSS');
      sum += rss;
      const type = processType(p);
      byType.set(type, (byType.get(type) ?? 0) + rss);
    }
    peakBrowser = Math.max(peakBrowser, sum);
    for (const [t, v] of byType) peakByType.set(t, Math.max(peakByType.get(t) ?? 0, v));
  }, 100);
  const load0 = loadavg()[0];
  try {
    // 1. Open -> first complete slice (2x2 layout, image + labels).
    const t0 = performance.now();
    await page.navigate(app.url);
    await page.waitFor(() => !!(window as any).__tuViewer?.stats().complete, undefined, 180_000);
    const openMs = performance.now() - t0;
    const inPage = await page.evaluate(() => (window as any).__tuViewer.stats());
    const glRenderer = await page.evaluate(() => {
      const gl = document.createElement('canvas').getContext('webgl2')!;
      const ext = gl.getExtension('WEBGL_debug_renderer_info');
      return ext ? String(gl.getParameter(ext.UNMASKED_RENDERER_WEBGL)) : String(gl.getParameter(gl.RENDERER));
    });

    // 2. Single 1024x1024 XY view at one voxel per pixel (level 0).
    await page.evaluate(
      ([mb, shape]) => {
        const v = (window as any).__tuViewer;
        v.setCacheBudget(mb * 2 ** 20);
        v.state.set({ layout: 'single', singleView: 'xy', zoom: v.layers[0].resolution[2], position: [4.5, shape[1] / 2, shape[2] / 2] });
      },
      [VIEWER_CACHE_MB, shape] as const,
    );
    await page.waitFor(() => {
      const s = (window as any).__tuViewer.stats();
      return s.complete && s.levels.xy === 0 && !s.loader.inFlight && !s.loader.queued;
    }, undefined, 120_000);
    const paneSize = () =>
      page.evaluate(() => {
        const r = document.querySelector('[data-testid="pane-xy"]')!.getBoundingClientRect();
        return { width: r.width, height: r.height };
      });
    let pane = await paneSize();
    if (Math.round(pane.width) !== VIEW || Math.round(pane.height) !== VIEW) {
      // Scrollbars or borders took some pixels: grow the window until the view is exactly VIEW².
      await page.send('Emulation.setDeviceMetricsOverride', { width: 600 + VIEW + (VIEW - Math.round(pane.width)), height: 112 + VIEW + (VIEW - Math.round(pane.height)), deviceScaleFactor: 1, mobile: false });
      await new Promise((r) => setTimeout(r, 500));
      pane = await paneSize();
    }
    await page.waitFor(() => {
      const s = (window as any).__tuViewer.stats();
      return s.complete && !s.loader.inFlight && !s.loader.queued;
    }, undefined, 120_000);

    // Page-side: apply a change, resolve with the ms until the first frame that shows it complete.
    await page.evaluate(() => {
      (window as any).__untilComplete = (change: () => void) =>
        new Promise<number>((resolve) => {
          const v = (window as any).__tuViewer;
          const t = performance.now();
          const off = v.onFrame((s: { complete: boolean }) => {
            if (s.complete) {
              off();
              resolve(performance.now() - t);
            }
          });
          change();
        });
    });

    const stepTimes: number[] = await page.evaluate(async (n) => {
      const v = (window as any).__tuViewer;
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        out.push(await (window as any).__untilComplete(() => v.stepSlice('xy', 1)));
      }
      return out;
    }, Math.min(STEPS, shape[0] - 6));

    // Back over slices just shown: every chunk is cached, so this is the drawing cost alone.
    const cachedTimes: number[] = await page.evaluate(async (n) => {
      const v = (window as any).__tuViewer;
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        out.push(await (window as any).__untilComplete(() => v.stepSlice('xy', -1)));
      }
      return out;
    }, 12);
    const frameCpu = await page.evaluate(() => (window as any).__tuViewer.stats().lastFrameMs as number);

    // Cold jumps: a far slice whose chunks are in no cache.
    const jumpTimes: number[] = await page.evaluate(
      async ([n, depth]) => {
        const v = (window as any).__tuViewer;
        const out: number[] = [];
        for (let i = 0; i < n; i++) {
          const z = ((i * 37 + 11) % depth) + 0.5;
          const p = v.state.get().position;
          out.push(await (window as any).__untilComplete(() => v.state.set({ position: [z, p[1], p[2]] })));
          await new Promise((r) => setTimeout(r, 300)); // let prefetch settle, as a user pausing would
        }
        return out;
      },
      [JUMPS, shape[0]] as const,
    );
    const afterSteps = await page.evaluate(() => (window as any).__tuViewer.stats());

    // Baselines in the browser: a 2D slab per step (host assembles the slice, canvas 2D draws it),
    // and a plain canvas 2D draw of a slice already in memory.
    const baselines = await page.evaluate(
      async ([n, shape, size]) => {
        const api = (window as any).tokenunifyApi;
        const v = (window as any).__tuViewer;
        const image = v.layers.find((l: { kind: string }) => l.kind === 'image');
        const labels = v.layers.find((l: { kind: string }) => l.kind === 'labels');
        const canvas = document.createElement('canvas');
        canvas.width = size;
        canvas.height = size;
        const ctx = canvas.getContext('2d')!;
        const img = ctx.createImageData(size, size);
        const y0 = Math.max(0, Math.floor((shape[1] - size) / 2));
        const x0 = Math.max(0, Math.floor((shape[2] - size) / 2));
        const h = Math.min(size, shape[1]);
        const w = Math.min(size, shape[2]);
        const draw = (grey: Uint8Array) => {
          for (let i = 0; i < grey.length; i++) {
            const o = i * 4;
            img.data[o] = img.data[o + 1] = img.data[o + 2] = grey[i];
            img.data[o + 3] = 255;
          }
          ctx.putImageData(img, 0, 0);
        };
        const slab: number[] = [];
        for (let i = 0; i < n; i++) {
          const z = (7 + i * 3) % shape[0];
          const t = performance.now();
          const box = (l: string) => ({ layerId: l, level: 0, box: { min: [z, y0, x0], max: [z + 1, y0 + h, x0 + w] } });
          const [a] = await Promise.all([api.call('layers.region', box(image.id)), labels ? api.call('layers.region', box(labels.id)) : null]);
          draw(a.data);
          slab.push(performance.now() - t);
        }
        const grey = new Uint8Array(w * h).map((_, i) => i & 255);
        const plain: number[] = [];
        for (let i = 0; i < n; i++) {
          const t = performance.now();
          draw(grey);
          plain.push(performance.now() - t);
        }
        return { slab, plain };
      },
      [20, shape, VIEW] as const,
    );

    const hostPeak = procStatus(app.process.pid!, 'VmHWM');
    const jsHeap = await page.evaluate(() => ((performance as any).memory?.usedJSHeapSize as number) ?? 0);
    const browserNow = browserPids().reduce((a, p) => a + procStatus(p, 'VmRSS'), 0);
    peakBrowser = Math.max(peakBrowser, browserNow);

    const cpu = cpus()[0]?.model ?? 'unknown';
    const chromium = spawnSync(process.env.TOKENUNIFY_CHROMIUM ?? '/usr/bin/chromium', ['--version'], { encoding: 'utf8' }).stdout.trim();
    const p50 = pct(stepTimes, 0.5);
    const p95 = pct(stepTimes, 0.95);
    const j50 = pct(jumpTimes, 0.5);
    const j95 = pct(jumpTimes, 0.95);
    const slab50 = pct(baselines.slab, 0.5);
    const plain50 = pct(baselines.plain, 0.5);
    console.log('');
    console.log(`TokenUnify viewer benchmark — ${cpu}, ${cpus().length} cores, ${mib(totalmem())} RAM, load average ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}`);
    console.log(`${chromium}, WebGL: ${glRenderer}`);
    console.log(`volume ${shape.join('x')} image uint8 + labels uint32, level-0 data ${mib(storeBytes)}; host chunk cache ${HOST_CACHE_MB} MiB, viewer cache ${VIEWER_CACHE_MB} MiB`);
    console.log(`view ${Math.round(pane.width)}x${Math.round(pane.height)} px (XY, one voxel per pixel, level ${afterSteps.levels.xy})`);
    console.log('');
    console.log(`open -> first complete slice (2x2 layout):   ${ms(openMs)} (page load included; viewer alone ${ms(inPage.firstCompleteMs ?? NaN)})`);
    console.log(`  baseline: service read+decode of one 1024x1024 slice's ${sliceChunks} chunks, cold: ${ms(serviceSliceMs)}  -> open/baseline ${(openMs / serviceSliceMs).toFixed(2)}x`);
    console.log(`slice step, steady (${stepTimes.length} steps):     p50 ${ms(p50)}  p95 ${ms(p95)}`);
    console.log(`slice step back over cached slices (${cachedTimes.length}): p50 ${ms(pct(cachedTimes, 0.5))}  (frame CPU ${ms(frameCpu)}, the rest is SwiftShader rasterising 1024x1024)`);
    console.log(`slice jump, cold (${jumpTimes.length} jumps):         p50 ${ms(j50)}  p95 ${ms(j95)}`);
    console.log(`  baseline: 2D slab per step (layers.region image+labels, canvas 2D): p50 ${ms(slab50)}  -> step/slab ${(p50 / slab50).toFixed(2)}x, jump/slab ${(j50 / slab50).toFixed(2)}x`);
    console.log(`  baseline: plain canvas 2D draw of an in-memory slice:               p50 ${ms(plain50)}  -> step/plain ${(p50 / plain50).toFixed(2)}x`);
    console.log(`viewer: ${afterSteps.loader.requests} requests, ${afterSteps.loader.chunksLoaded} chunks, ${mib(afterSteps.loader.bytesLoaded)} on the wire; cache ${mib(afterSteps.cacheBytes)} of ${mib(afterSteps.cacheBudget)}, ${afterSteps.evictions} evictions`);
    console.log(`peak resident memory: host ${mib(hostPeak)} (VmHWM), browser ${mib(peakBrowser)} (sum of chromium processes' RSS, sampled)  vs level-0 data ${mib(storeBytes)}`);
    console.log(`  browser peaks by process: ${[...peakByType].map(([t, v]) => `${t} ${mib(v)}`).join(', ')}; renderer JS heap ${mib(jsHeap)}`);
  } finally {
    clearInterval(sampler);
    await page.close();
    await app.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
