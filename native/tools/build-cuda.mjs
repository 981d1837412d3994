#!/usr/bin/env node
// Builds native/build-cuda/libtokenunify_scan_cuda.so (the CUDA selective-scan library the
// addon dlopens when a CUDA driver is present) with nvcc, for every requested GPU
// architecture this nvcc supports plus PTX of the newest one (JIT-compiled on newer GPUs).
//
//   node native/tools/build-cuda.mjs [--arch 75,80,86,89,90] [--out DIR] [--force] [--quiet]
//
// Exits 0 having built the library, found it up to date, or skipped because nvcc is absent
// (it says which); exits 1 when nvcc fails. Environment: NVCC (path to nvcc),
// TOKENUNIFY_CUDA_ARCHS (same as --arch).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const NATIVE = resolve(HERE, '..');
const ROOT = resolve(NATIVE, '..');
const CUDA_SRC = join(NATIVE, 'cuda');
export const LIBRARY_NAME = 'libtokenunify_scan_cuda.so';
// Turing through Hopper; CUDA 13 dropped sm_50..sm_72 and still builds sm_75.
const DEFAULT_ARCHS = [75, 80, 86, 89, 90];

function parseArgs(argv) {
  const opts = { archs: null, out: join(NATIVE, 'build-cuda'), force: false, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--force') opts.force = true;
    else if (a === '--quiet') opts.quiet = true;
    else if (a === '--arch') opts.archs = argv[++i];
    else if (a === '--out') opts.out = resolve(argv[++i]);
    else throw new Error(`build-cuda: unknown argument ${a}`);
  }
  opts.archs ??= process.env.TOKENUNIFY_CUDA_ARCHS ?? null;
  return opts;
}

function findNvcc() {
  // An explicit NVCC is the only candidate; otherwise PATH, then the default toolkit location.
  const candidates = process.env.NVCC ? [process.env.NVCC] : ['nvcc', '/usr/local/cuda/bin/nvcc'];
  for (const c of candidates) {
    const r = spawnSync(c, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) {
      const version = /release (\d+\.\d+)/.exec(r.stdout)?.[1] ?? 'unknown';
      return { nvcc: c, version };
    }
  }
  return null;
}

function supportedArchs(nvcc) {
  const r = spawnSync(nvcc, ['--list-gpu-code'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  return new Set([...r.stdout.matchAll(/sm_(\d+)/g)].map((m) => Number(m[1])));
}

function newestSourceTime() {
  const files = readdirSync(CUDA_SRC, { recursive: true })
    .map((f) => join(CUDA_SRC, String(f)))
    .filter((f) => /\.(cu|cuh|h)$/.test(f));
  files.push(fileURLToPath(import.meta.url));
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

export function buildCuda(argv = process.argv.slice(2)) {
  const opts = parseArgs(argv);
  const log = (msg) => opts.quiet || console.log(`[build-cuda] ${msg}`);
  const found = findNvcc();
  if (!found) {
    log('skipped: nvcc not found (set NVCC or put it on PATH); the scan runs on the CPU kernels only');
    return { status: 'skipped', reason: 'nvcc not found' };
  }
  const supported = supportedArchs(found.nvcc);
  const wanted = opts.archs ? String(opts.archs).split(',').map((s) => Number(s.replace(/^sm_/, ''))) : DEFAULT_ARCHS;
  let archs = supported ? wanted.filter((a) => supported.has(a)) : wanted;
  const dropped = wanted.filter((a) => !archs.includes(a));
  if (dropped.length) log(`nvcc ${found.version} does not support sm_${dropped.join(', sm_')}; building the others`);
  if (archs.length === 0 && supported) {
    archs = [Math.min(...supported)];
    log(`none of the requested architectures is supported; using the lowest this nvcc has: sm_${archs[0]}`);
  }
  const ptx = Math.max(...archs);
  const library = join(opts.out, LIBRARY_NAME);
  const stampFile = join(opts.out, 'build-stamp.json');
  const stamp = { nvcc: found.version, archs, ptx };
  if (!opts.force && existsSync(library) && existsSync(stampFile)) {
    const old = readFileSync(stampFile, 'utf8');
    if (old === JSON.stringify(stamp) && statSync(library).mtimeMs >= newestSourceTime()) {
      log(`up to date: ${relative(ROOT, library)} (sm_${archs.join(', sm_')} + PTX compute_${ptx})`);
      return { status: 'up-to-date', library, ...stamp };
    }
  }
  mkdirSync(opts.out, { recursive: true });
  const args = [
    '-O3', '-std=c++17', '-shared', '--threads', '0', '-cudart', 'static',
    '-Xcompiler', '-fPIC,-fvisibility=hidden', '-Xlinker', '--exclude-libs,ALL',
    ...archs.flatMap((a) => ['-gencode', `arch=compute_${a},code=sm_${a}`]),
    '-gencode', `arch=compute_${ptx},code=compute_${ptx}`,
    '-o', library, join(CUDA_SRC, 'scan_cuda.cu'),
  ];
  log(`compiling with nvcc ${found.version} for sm_${archs.join(', sm_')} + PTX compute_${ptx}…`);
  const t0 = Date.now();
  const r = spawnSync(found.nvcc, args, { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`[build-cuda] FAILED: ${found.nvcc} ${args.join(' ')}\n${r.stderr || r.stdout || r.error?.message}`);
    return { status: 'failed', reason: r.stderr || String(r.error) };
  }
  writeFileSync(stampFile, JSON.stringify(stamp));
  log(`built ${relative(ROOT, library)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { status: 'built', library, ...stamp };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const result = buildCuda();
    process.exit(result.status === 'failed' ? 1 : 0);
  } catch (e) {
    console.error(`[build-cuda] ${e.message}`);
    process.exit(1);
  }
}
