// Runs after `npm install` / `npm ci` in this checkout: builds the native addon (scan and
// segmentation kernels), the CUDA scan library when nvcc exists, and the app bundle.
// A missing compiler only disables the native kernels (with a clear message); the app still installs.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp, onPath, ROOT, run } from './lib.mjs';

const skip = (name) => process.env[`TOKENUNIFY_SKIP_${name}`] === '1';

function buildNative() {
  if (skip('NATIVE')) return console.log('[tokenunify] TOKENUNIFY_SKIP_NATIVE=1: native addon not built');
  const nodeGyp = join(ROOT, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (!onPath('make') && process.platform !== 'win32') {
    console.warn('[tokenunify] WARNING: no "make" found, so the native addon (fast scan, watershed, metrics) is not built.\n' +
      '  Install a C++ toolchain (e.g. build-essential / Xcode command line tools) and run "npm rebuild tokenunify-studio" or "npm run build:native".');
    return;
  }
  console.log('[tokenunify] building the native addon (native/)…');
  const status = run(process.execPath, [nodeGyp, 'rebuild', '--release'], { cwd: join(ROOT, 'native') });
  if (status !== 0) {
    console.warn('[tokenunify] WARNING: the native addon failed to build (see above). Training falls back to the ONNX scan path;\n' +
      '  segmentation needs the addon. Fix the toolchain and run "npm run build:native".');
  }
}

function buildCuda() {
  const script = join(ROOT, 'native', 'tools', 'build-cuda.mjs');
  if (skip('CUDA') || !existsSync(script)) return;
  if (!onPath('nvcc')) return console.log('[tokenunify] nvcc not found: CUDA scan library not built (CPU kernels only).');
  const status = run(process.execPath, [script]);
  if (status !== 0) console.warn('[tokenunify] WARNING: the CUDA scan library failed to build; the CPU kernels are used.');
}

buildNative();
buildCuda();
if (!skip('BUILD')) {
  console.log('[tokenunify] building the app (electron-vite build)…');
  const status = buildApp();
  if (status !== 0) process.exit(status);
}
