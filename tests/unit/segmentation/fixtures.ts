import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeAddon, nativeStatus } from '../../../src/main/native/addon';
import { labelsToAffinities, widenBorders } from '../../../src/main/segmentation/affinity-targets';
import type { Shape3 } from '../../../src/main/segmentation/types';
import { referencePython, runPython, skipNotice } from '../../helpers/python';

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** True when the addon with the segmentation kernels is loaded; prints why not otherwise. */
export function segmentationNativeAvailable(): boolean {
  const addon = nativeAddon<Record<string, unknown>>();
  const ok = !!addon && typeof addon.segSegment === 'function';
  if (!ok) console.warn(`SKIPPED native segmentation tests: ${addon ? 'addon built without segmentation kernels' : nativeStatus().reason}`);
  return ok;
}

/**
 * Neuron-like ground truth: Voronoi cells of random centres (z distances scaled by
 * `zScale`, i.e. anisotropic sections), ids 1..cells.
 */
export function voronoiLabels(shape: Shape3, cells: number, seed: number, zScale = 4): Uint32Array {
  const r = rng(seed);
  const [Z, Y, X] = shape;
  const centres = Array.from({ length: cells }, () => [r() * Z, r() * Y, r() * X]);
  const out = new Uint32Array(Z * Y * X);
  for (let z = 0; z < Z; z++)
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++) {
        let best = 0;
        let bestD = Infinity;
        for (let c = 0; c < cells; c++) {
          const dz = (z - centres[c][0]) * zScale;
          const dy = y - centres[c][1];
          const dx = x - centres[c][2];
          const d = dz * dz + dy * dy + dx * dx;
          if (d < bestD) {
            bestD = d;
            best = c + 1;
          }
        }
        out[(z * Y + y) * X + x] = best;
      }
  return out;
}

/**
 * Affinities a network might predict for `labels`: targets of the border-widened labels,
 * blurred along x and y (3-tap) and with uniform noise of amplitude `noise`, clipped to [0, 1].
 */
export function noisyAffinities(labels: Uint32Array, shape: Shape3, noise: number, seed: number): Float32Array {
  const clean = labelsToAffinities(widenBorders(labels, shape), shape);
  const [Z, Y, X] = shape;
  const n = Z * Y * X;
  const r = rng(seed);
  const out = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++)
    for (let z = 0; z < Z; z++)
      for (let y = 0; y < Y; y++)
        for (let x = 0; x < X; x++) {
          const i = (z * Y + y) * X + x;
          let s = 0;
          let k = 0;
          for (const [dy, dx] of [[0, 0], [0, -1], [0, 1], [-1, 0], [1, 0]]) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy < 0 || yy >= Y || xx < 0 || xx >= X) continue;
            s += clean[c * n + (z * Y + yy) * X + xx] * (dy === 0 && dx === 0 ? 2 : 1);
            k += dy === 0 && dx === 0 ? 2 : 1;
          }
          const v = s / k + (r() * 2 - 1) * noise;
          out[c * n + i] = Math.min(1, Math.max(0, v));
        }
  return out;
}

/** Reference python with the given modules, or null after printing a skip notice. */
export function python(what: string, modules: string[]): string | null {
  const py = referencePython(modules);
  if (!py) skipNotice(what, modules);
  return py;
}

/**
 * Runs `script` with the arrays written as raw files; the script sees `paths` (a list) and
 * must print its result as JSON on the last line of stdout.
 */
export function pythonJson<T>(script: string, arrays: ArrayBufferView[]): T {
  const dir = mkdtempSync(join(tmpdir(), 'tu-seg-py-'));
  try {
    const paths = arrays.map((a, i) => {
      const p = join(dir, `a${i}.bin`);
      writeFileSync(p, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      return p;
    });
    const prelude = `import json, sys\nimport numpy as np\npaths = ${JSON.stringify(paths)}\n`;
    const { stdout } = runPython(prelude + script);
    const lines = stdout.trim().split('\n');
    return JSON.parse(lines[lines.length - 1]) as T;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every segment of `fine` lies inside one segment of `coarse`. */
export function refines(fine: ArrayLike<number>, coarse: ArrayLike<number>): boolean {
  const map = new Map<number, number>();
  for (let i = 0; i < fine.length; i++) {
    const c = map.get(fine[i]);
    if (c === undefined) map.set(fine[i], coarse[i]);
    else if (c !== coarse[i]) return false;
  }
  return true;
}
