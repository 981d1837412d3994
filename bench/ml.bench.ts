/**
 * ML engine benchmark: inference and training-step time and peak memory of SegMamba `tiny`
 * and `base` on a 1x1x16x160x160 crop, against the PyTorch reference (tests/reference,
 * Debian's torch) with the same thread count, measured in the same run.
 *
 *   npx tsx bench/ml.bench.ts [--presets tiny,base] [--threads 2] [--scan auto|native|onnx|js, or a list: native,onnx]
 *                             [--repeats 2] [--crop 16x160x160] [--skip-torch] [--torch-runs N (1 = one cold run)] [--json out.json]
 *                             [--no-defer (place every node as early as possible: runtime/staging.ts without its deferral)]
 *
 * With a host scan backend (native, js) each line also says what the onnxruntime segments hand on
 * per run (ExecutorInfo.segmentOutputBytes): in all, and the first segment's share.
 * Each measurement runs in a fresh child process so peak RSS belongs to that configuration.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = fileURLToPath(import.meta.url);
const root = join(here, '..', '..');
const PYTHON = process.env.TOKENUNIFY_REFERENCE_PYTHON ?? '/usr/bin/python3';

interface Measurement {
  setupSeconds: number;
  seconds: number[];
  peakRssMiB: number;
  scanBackend?: string;
  detail?: string;
  segmentOutputBytes?: number[];
}

async function child(mode: 'infer' | 'train', preset: string, crop: number[], threads: number, scan: string, repeats: number, deferNodes: boolean): Promise<Measurement> {
  const { createModel } = await import('../src/main/ml/model');
  const model = createModel(preset);
  const n = crop.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = (Math.sin(i * 0.37) + 1) / 2;
  const seconds: number[] = [];
  const t0 = performance.now();
  let info: { scanBackend: string; scanReason: string; segmentOutputBytes: number[] };
  if (mode === 'infer') {
    const { Predictor } = await import('../src/main/ml/infer/predictor');
    const p = await Predictor.create(model, model.initWeights(0), { crop: crop as [number, number, number], threads, scan: scan as 'auto', deferNodes });
    info = p.info;
    await p.predict(x); // first run includes onnxruntime's allocations
    const setupSeconds = (performance.now() - t0) / 1000;
    for (let r = 0; r < repeats; r++) {
      const s = performance.now();
      await p.predict(x);
      seconds.push((performance.now() - s) / 1000);
    }
    return { setupSeconds, seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024, scanBackend: info.scanBackend, detail: info.scanReason, segmentOutputBytes: info.segmentOutputBytes };
  }
  const { Trainer } = await import('../src/main/ml/train/trainer');
  const tr = await Trainer.create(model, { crop: crop as [number, number, number], threads, scan: scan as 'auto', loss: 'mse', seed: 0, deferNodes });
  info = tr.info;
  const batch = { x, target: new Float32Array(3 * n), weight: new Float32Array(3 * n).fill(1) };
  await tr.step(batch);
  const setupSeconds = (performance.now() - t0) / 1000;
  for (let r = 0; r < repeats; r++) {
    const s = performance.now();
    await tr.step(batch);
    seconds.push((performance.now() - s) / 1000);
  }
  return { setupSeconds, seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024, scanBackend: info.scanBackend, detail: info.scanReason, segmentOutputBytes: info.segmentOutputBytes };
}

function runChild(args: string[]): Measurement | { error: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', here, '--child', ...args], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, OMP_NUM_THREADS: '1' } });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    return { error: (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ') };
  }
}

function runTorch(mode: 'infer' | 'train', preset: string, crop: number[], threads: number, repeats: number, dir: string, torchRuns?: number): Measurement | { error: string } {
  const { PRESETS } = requirePresets();
  const cfg = join(dir, `${preset}.json`);
  writeFileSync(cfg, JSON.stringify((PRESETS as Record<string, unknown>)[preset]));
  const args = [join(root, 'tests', 'reference', 'segmamba_ref.py'), 'bench', '--config', cfg, '--shape', [1, 1, ...crop].join(','), '--threads', String(threads), '--repeats', String(torchRuns ?? repeats + 1)];
  if (mode === 'train') args.push('--train');
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(threads) } });
  if (r.status !== 0) return { error: r.stderr.trim().split('\n').slice(-2).join(' | ') || `exit ${r.status}` };
  const o = JSON.parse(r.stdout.trim().split('\n').pop()!);
  // a single run (--torch-runs 1, for very slow references) is timed cold
  const seconds = o.seconds.length > 1 ? o.seconds.slice(1) : o.seconds;
  return { setupSeconds: o.seconds[0], seconds, peakRssMiB: o.peak_rss_mb, detail: `torch ${o.torch}, ${o.threads} threads` };
}

let presetsModule: typeof import('../src/main/ml/models/segmamba') | null = null;
function requirePresets() {
  if (!presetsModule) throw new Error('presets not loaded');
  return presetsModule;
}

/** What the onnxruntime segments hand on per run, when the graph is split (host scan backends). */
function handedOn(m: Measurement | { error: string }): string {
  if ('error' in m || !m.segmentOutputBytes || m.segmentOutputBytes.length < 2) return '';
  const mib = (b: number) => Math.round(b / 2 ** 20);
  const all = m.segmentOutputBytes.reduce((a, b) => a + b, 0);
  return `; ${m.segmentOutputBytes.length} onnxruntime segments hand on ${mib(all)} MiB per run, the first ${mib(m.segmentOutputBytes[0])} MiB`;
}

const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
const fmt = (m: Measurement | { error: string }) => ('error' in m ? `failed: ${m.error}` : `${median(m.seconds).toFixed(2)} s (peak ${Math.round(m.peakRssMiB)} MiB)`);

async function main() {
  const { values } = parseArgs({
    options: {
      child: { type: 'boolean' },
      mode: { type: 'string' },
      presets: { type: 'string', default: 'tiny,base' },
      preset: { type: 'string' },
      threads: { type: 'string', default: '2' },
      scan: { type: 'string', default: 'native,onnx' },
      repeats: { type: 'string', default: '2' },
      crop: { type: 'string', default: '16x160x160' },
      'skip-torch': { type: 'boolean' },
      'torch-runs': { type: 'string' },
      json: { type: 'string' },
      'no-defer': { type: 'boolean' },
    },
  });
  const crop = values.crop!.split('x').map(Number);
  const threads = Number(values.threads);
  const repeats = Number(values.repeats);
  if (values.child) {
    const m = await child(values.mode as 'infer' | 'train', values.preset!, crop, threads, values.scan!, repeats, !values['no-defer']);
    console.log(JSON.stringify(m));
    return;
  }
  presetsModule = await import('../src/main/ml/models/segmamba');
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`machine: ${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`crop 1x1x${crop.join('x')}, ${threads} threads each side, scan backends ${values.scan}, median of ${repeats} timed runs after one warm-up${values['no-defer'] ? ', node deferral OFF (--no-defer)' : ''}\n`);
  const dir = mkdtempSync(join(os.tmpdir(), 'tu-mlbench-'));
  const results: Record<string, unknown> = { machine: { cpu, cores: os.cpus().length, loadavg: os.loadavg() }, crop, threads, scan: values.scan };
  try {
    const scans = values.scan!.split(',');
    for (const preset of values.presets!.split(',')) {
      for (const mode of ['infer', 'train'] as const) {
        const torch = values['skip-torch'] ? { error: 'skipped' } : runTorch(mode, preset, crop, threads, repeats, dir, values['torch-runs'] ? Number(values['torch-runs']) : undefined);
        const label = `${preset.padEnd(4)} ${mode === 'infer' ? 'inference    ' : 'training step'}`;
        console.log(`${label}  PyTorch ${fmt(torch)}`);
        const ours: Record<string, Measurement | { error: string }> = {};
        for (const scan of scans) {
          const m = runChild(['--mode', mode, '--preset', preset, '--crop', values.crop!, '--threads', String(threads), '--scan', scan, '--repeats', String(repeats), ...(values['no-defer'] ? ['--no-defer'] : [])]);
          ours[scan] = m;
          let ratio = '';
          if (!('error' in m) && !('error' in torch)) {
            ratio = `  -> ${(median(torch.seconds) / median(m.seconds)).toFixed(2)}x PyTorch speed, ${(torch.peakRssMiB / m.peakRssMiB).toFixed(2)}x less peak memory`;
          }
          console.log(`${' '.repeat(label.length)}  ours, scan ${scan.padEnd(6)} ${fmt(m)}${'scanBackend' in m ? ` [ran ${m.scanBackend}]` : ''}${ratio}${handedOn(m)}`);
        }
        const [a, b] = [ours.native, ours.onnx];
        if (a && b && !('error' in a) && !('error' in b)) {
          console.log(`${' '.repeat(label.length)}  native vs onnx scan: ${(median(b.seconds) / median(a.seconds)).toFixed(2)}x faster, ${(b.peakRssMiB / a.peakRssMiB).toFixed(2)}x less peak memory`);
        }
        results[`${preset}.${mode}`] = { ours, torch };
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (values.json) writeFileSync(values.json, JSON.stringify(results, null, 2));
}

await main();
