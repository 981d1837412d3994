/**
 * Pipeline inference benchmark (issue 7): voxels per second of SegMamba `tiny` and `base`
 *   - per window: one 1x1x16x160x160 forward pass, the engine's Predictor vs the PyTorch
 *     reference (tests/reference/segmamba_ref.py on Debian's torch, same thread count);
 *   - whole volume: the pipeline's sliding-window inference (overlap 0.5, Gaussian blending,
 *     tiles, window cache) over a synthetic EM volume, in voxels of the volume per second.
 *
 *   npx tsx bench/pipeline.bench.ts [--quick] [--threads N] [--no-torch] [--presets tiny,base]
 *
 * Random weights (timing does not depend on them). Numbers are best-of-N wall times.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel, Predictor } from '../src/main/ml/index';
import { modelWindowPredictor } from '../src/main/pipeline/model-windows';
import { cachedPredictor, predictBox, tileBoxes, WindowGrid } from '../src/main/pipeline/windows';
import { SyntheticEM } from '../src/main/synthetic/generator';
import { voxelCount, type Box, type Vec3 } from '../src/main/volumes/box';
import { memorySource } from '../tests/helpers/memory-source';
import { referencePython } from '../tests/helpers/python';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const threads = Number(args[args.indexOf('--threads') + 1] || 0) || Math.min(2, cpus().length);
const withTorch = !args.includes('--no-torch');
const presetArg = args.indexOf('--presets');
const presets = presetArg >= 0 ? args[presetArg + 1].split(',') : quick ? ['tiny'] : ['tiny', 'base'];
const window: Vec3 = [16, 160, 160];
const repeats = quick ? 2 : 3;


async function best(n: number, fn: () => Promise<unknown>): Promise<number> {
  let t = Infinity;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    t = Math.min(t, (performance.now() - t0) / 1000);
  }
  return t;
}

function torchForward(preset: string): { seconds: number; torch: string } | null {
  const python = referencePython(['torch', 'numpy']);
  if (!python || !withTorch) return null;
  const dir = mkdtempSync(join(tmpdir(), 'tu-bench-'));
  try {
    const cfgPath = join(dir, 'cfg.json');
    writeFileSync(cfgPath, JSON.stringify(createModel(preset).config));
    const r = spawnSync(python, [join(import.meta.dirname, '..', 'tests', 'reference', 'segmamba_ref.py'), 'bench', '--config', cfgPath, '--shape', `1,1,${window.join(',')}`, '--threads', String(threads), '--repeats', String(repeats + 1)], {
      encoding: 'utf8',
      timeout: 3_600_000,
      env: { ...process.env, OMP_NUM_THREADS: String(threads) },
    });
    if (r.status !== 0) throw new Error(r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { seconds: number[]; torch: string };
    return { seconds: Math.min(...out.seconds.slice(1)), torch: out.torch };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`machine: ${cpus()[0].model}, ${cpus().length} cores; threads ${threads}; window ${window.join('x')}`);
  const shape: Vec3 = quick ? [16, 240, 240] : [32, 320, 320];
  const em = new SyntheticEM({ shape, seed: 11 });
  const source = memorySource(em.render([0, 0, 0], shape).image, shape, { label: 'synthetic', resolution: [40, 8, 8] });
  const region: Box = { min: [0, 0, 0], max: shape };
  const windowVoxels = voxelCount(window);
  const rows: string[] = [];
  for (const preset of presets) {
    const model = createModel(preset);
    const weights = model.initWeights(0);
    const predictor = await Predictor.create(model, weights, { crop: window, threads });
    const x = new Float32Array(windowVoxels).map((_, i) => (i % 251) / 251);
    await predictor.predict(x); // warm-up
    const engine = await best(repeats, () => predictor.predict(x));
    const torch = torchForward(preset);
    const wp = await modelWindowPredictor({ model, weights, normalization: { kind: 'scale', offset: 0, scale: 255 }, source, window, threads });
    const cached = cachedPredictor(wp, 512 * 1024 * 1024);
    const grid = new WindowGrid(region, window, 0.5);
    const t0 = performance.now();
    for (const tile of tileBoxes(region, [64, 512, 512])) await predictBox(cached, grid, tile);
    const whole = (performance.now() - t0) / 1000;
    const line = [
      `${preset.padEnd(5)} per window: engine ${engine.toFixed(2)} s = ${Math.round(windowVoxels / engine).toLocaleString('en')} voxels/s`,
      torch ? `PyTorch ${torch.torch} ${torch.seconds.toFixed(2)} s = ${Math.round(windowVoxels / torch.seconds).toLocaleString('en')} voxels/s; engine/PyTorch speed ${(torch.seconds / engine).toFixed(2)}x` : 'PyTorch: not run',
      `whole volume ${shape.join('x')} (${grid.count} windows, overlap 0.5): ${whole.toFixed(1)} s = ${Math.round(voxelCount(shape) / whole).toLocaleString('en')} voxels/s (scan ${wp.info.scanBackend}, ${wp.info.provider})`,
    ];
    rows.push(line.join('\n      '));
    console.log(rows[rows.length - 1]);
  }
}

await main();
