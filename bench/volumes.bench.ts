/**
 * Volume benchmark (issue 3, backend half): import throughput against `cat FILE > /dev/null`
 * on the same file, random and stepping 1024x1024 slice-read latency (p50/p95) from the project
 * store on a synthetic volume larger than the chunk-cache budget, main-thread event-loop delay
 * while reading, and peak resident memory. Real data (../shared/data/cardona2010) is imported
 * too when present. Browser-side measurements (time to first complete slice, rendering) belong
 * to the viewer benchmark.
 *
 *   npx tsx bench/volumes.bench.ts [--quick]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Project } from '../src/main/store/project';
import { voxelCount, type Box, type Vec3 } from '../src/main/volumes/box';
import { ChunkCache } from '../src/main/volumes/chunk-cache';
import { createLayerFromRegions } from '../src/main/volumes/create-layer';
import { exportLayer } from '../src/main/exports/index';
import { importVolume } from '../src/main/volumes/import';
import { VolumeService } from '../src/main/volumes/service';

const quick = process.argv.includes('--quick');
const MB = 1024 * 1024;
const SHAPE: Vec3 = quick ? [48, 1536, 1536] : [96, 2048, 2048];
const CACHE_BYTES = quick ? 32 * MB : 64 * MB;
const VIEWS = quick ? 40 : 100;
const VIEW = 1024;
const CARDONA = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'shared', 'data', 'cardona2010');

const maxRss = () => process.resourceUsage().maxRSS * 1024;
const mib = (b: number) => `${(b / MB).toFixed(1)} MiB`;
const rate = (bytes: number, ms: number) => `${(bytes / MB / (ms / 1000)).toFixed(1)} MiB/s`;

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

/** Deterministic EM-like texture: cheap, compressible like real data (not pure noise). */
function region(box: Box): Uint8Array {
  const out = new Uint8Array(voxelCount(box));
  let o = 0;
  for (let z = box.min[0]; z < box.max[0]; z++)
    for (let y = box.min[1]; y < box.max[1]; y++) {
      const row = (y * 2654435761 + z * 40503) >>> 0;
      for (let x = box.min[2]; x < box.max[2]; x++) out[o++] = (128 + 60 * Math.sin(x / 9 + z / 3) + 40 * Math.cos(y / 13) + ((row ^ (x * 97)) & 15)) & 255;
    }
  return out;
}

function catMs(file: string): number {
  spawnSync('sh', ['-c', `cat '${file}' > /dev/null`]); // warm the page cache like the import will find it
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const r = spawnSync('sh', ['-c', `cat '${file}' > /dev/null`]);
    if (r.status !== 0) throw new Error(`cat failed on ${file}`);
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

async function importBench(project: Project, file: string, kind: 'image' | 'labels', name: string, resolution?: Vec3) {
  const bytes = statSync(file).size;
  const cat = catMs(file);
  const t = performance.now();
  const cpu = process.cpuUsage();
  const { layer } = await importVolume(project, { path: file, kind, name, resolution });
  const ms = performance.now() - t;
  const cpuMs = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000;
  const voxelBytes = voxelCount(layer.shape) * (layer.dtype === 'uint8' ? 1 : layer.dtype === 'uint16' ? 2 : 4);
  console.log(
    `  import ${name.padEnd(10)} ${layer.shape.join('x')} ${layer.dtype}, file ${mib(bytes)}: ${ms.toFixed(0)} ms (${rate(bytes, ms)} of file, ${rate(voxelBytes, ms)} of voxels, ${layer.levels.length} levels)` +
      ` | cat ${cat.toFixed(1)} ms (${rate(bytes, cat)}) | import/cat time ratio ${(ms / cat).toFixed(1)}x | CPU ${cpuMs.toFixed(0)} ms (all threads)`,
  );
}

async function main(): Promise<void> {
  console.log(`machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${mib(totalmem())} RAM (${mib(freemem())} free), load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}, node ${process.version}`);
  const dir = mkdtempSync(join(tmpdir(), 'tu-volbench-'));
  try {
    const project = Project.create(join(dir, 'p'));
    const cache = new ChunkCache(CACHE_BYTES);
    const svc = new VolumeService(project, { cache });
    const baseline = maxRss();
    console.log(`baseline RSS ${mib(baseline)}`);

    // 1. a synthetic volume larger than the cache, written region by region
    let t = performance.now();
    const layer = await createLayerFromRegions(project, { name: 'synthetic', kind: 'image', dtype: 'uint8', shape: SHAPE, resolution: [50, 4, 4] }, region);
    const genMs = performance.now() - t;
    const volumeBytes = voxelCount(SHAPE);
    console.log(`synthetic volume ${SHAPE.join('x')} uint8 = ${mib(volumeBytes)} (${(volumeBytes / CACHE_BYTES).toFixed(1)}x the ${mib(CACHE_BYTES)} cache), chunks ${layer.chunkShape.join('x')}, ${layer.levels.length} levels: written with pyramid in ${genMs.toFixed(0)} ms (${rate(volumeBytes, genMs)}); peak RSS ${mib(maxRss())}`);

    // 2. import throughput vs cat, on a BigTIFF of that volume (and on real data)
    const tiff = join(dir, 'synthetic.tif');
    t = performance.now();
    await exportLayer(project, 'synthetic', tiff, { format: 'tiff' });
    const exportMs = performance.now() - t;
    console.log(`export to deflate BigTIFF: ${exportMs.toFixed(0)} ms (${rate(volumeBytes, exportMs)} of voxels), file ${mib(statSync(tiff).size)}`);
    console.log('import throughput:');
    await importBench(project, tiff, 'image', 'tiff', [50, 4, 4]);
    if (existsSync(join(CARDONA, 'raw.tif'))) {
      await importBench(project, join(CARDONA, 'raw.tif'), 'image', 'cardona', [50, 4, 4]);
      await importBench(project, join(CARDONA, 'neurites.tif'), 'labels', 'neurites', [50, 4, 4]);
    } else console.log(`  (${CARDONA} absent: real-data import skipped)`);
    console.log(`peak RSS after imports ${mib(maxRss())}`);

    // 3. slice reads of 1024x1024 views through the cache, with the event loop watched
    const [Z, Y, X] = SHAPE;
    const idle = monitorEventLoopDelay({ resolution: 5 });
    idle.enable();
    await new Promise((r) => setTimeout(r, 2000));
    idle.disable();
    console.log(`event-loop delay while idle (baseline, same run): max ${(idle.max / 1e6).toFixed(1)} ms, p99 ${(idle.percentile(99) / 1e6).toFixed(1)} ms`);
    let seed = 12345;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    const delay = monitorEventLoopDelay({ resolution: 5 });
    const random: number[] = [];
    cache.clear();
    delay.enable();
    for (let i = 0; i < VIEWS; i++) {
      const y0 = rnd(Y - VIEW);
      const x0 = rnd(X - VIEW);
      const t0 = performance.now();
      await svc.readSlice(layer.id, 0, 'z', rnd(Z), { min: [y0, x0], max: [y0 + VIEW, x0 + VIEW] });
      random.push(performance.now() - t0);
    }
    delay.disable();
    const randomDelayMax = delay.max / 1e6;
    const randomDelayP99 = delay.percentile(99) / 1e6;
    delay.reset();
    const steps: number[] = [];
    const y0 = (Y - VIEW) >> 1;
    const x0 = (X - VIEW) >> 1;
    delay.enable();
    for (let z = 0; z < Math.min(Z, VIEWS); z++) {
      const t0 = performance.now();
      await svc.readSlice(layer.id, 0, 'z', z, { min: [y0, x0], max: [y0 + VIEW, x0 + VIEW] });
      steps.push(performance.now() - t0);
    }
    delay.disable();
    const xz: number[] = [];
    for (let i = 0; i < Math.min(20, VIEWS); i++) {
      const xs = rnd(X - VIEW);
      const t0 = performance.now();
      await svc.readSlice(layer.id, 0, 'y', rnd(Y), { min: [0, xs], max: [Z, xs + VIEW] });
      xz.push(performance.now() - t0);
    }
    const s = cache.stats();
    console.log(`slice reads, 1024x1024 views at level 0, cache ${mib(CACHE_BYTES)} (${s.evictions} evictions, never above ${mib(s.budgetBytes)}: now ${mib(s.bytes)}):`);
    console.log(`  random view (cold-ish): p50 ${percentile(random, 0.5).toFixed(1)} ms, p95 ${percentile(random, 0.95).toFixed(1)} ms (${VIEWS} views)`);
    console.log(`  slice step (z+1, same view): p50 ${percentile(steps, 0.5).toFixed(1)} ms, p95 ${percentile(steps, 0.95).toFixed(1)} ms; ratio random/step p50 ${(percentile(random, 0.5) / percentile(steps, 0.5)).toFixed(1)}x`);
    console.log(`  XZ view ${Z}x${VIEW}: p50 ${percentile(xz, 0.5).toFixed(1)} ms, p95 ${percentile(xz, 0.95).toFixed(1)} ms`);
    console.log(`  main-thread event-loop delay while reading: random views max ${randomDelayMax.toFixed(1)} ms (p99 ${randomDelayP99.toFixed(1)} ms); stepping max ${(delay.max / 1e6).toFixed(1)} ms`);
    console.log(`peak RSS ${mib(maxRss())} (baseline ${mib(baseline)}; volume ${mib(volumeBytes)})`);
    await svc.close();
    project.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
