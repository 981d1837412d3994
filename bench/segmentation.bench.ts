/**
 * Segmentation benchmark (issue 7 items 5-6, issue 4 split preview):
 *   1. watershed + agglomeration throughput (voxels/s) vs skimage.segmentation.watershed
 *      and vigra.analysis.watershedsNew on the same affinities, and the quality (VOI,
 *      ARAND against the ground truth) of each;
 *   2. metrics (VOI + adapted Rand) time vs skimage.metrics on a 100x1024x1024 pair;
 *   3. seeded split preview time on a 10-million-voxel segment.
 *
 *   npx tsx bench/segmentation.bench.ts [--quick] [--no-python] [--only watershed|metrics|split]
 *
 * --quick: metrics on 30x512x512 instead of 100x1024x1024.
 * Data: ../shared/data/cardona2010/neurites.tif (30x512x512, labels relabelled by 3D
 * connected components, 0 = membrane) when present and readable, else a synthetic Voronoi
 * volume. There is no trained model here, so the affinities are DERIVED FROM THE GROUND
 * TRUTH: targets of the labels, blurred in-plane and with uniform noise (see makeAffinities).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  connectedComponentsSync,
  evaluateSegmentation,
  labelsToAffinities,
  MetricsAccumulator,
  segmentAffinities,
  segmentBlockwise,
  InMemoryBlockStore,
  seededSplitSync,
  seededSplit,
  type Segmentation,
  type SegmentationMetrics,
  type Shape3,
} from '../src/main/segmentation';
import { referencePython, runPython } from '../tests/helpers/python';
import { rng } from '../tests/unit/segmentation/fixtures';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const usePython = !args.includes('--no-python');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;
const part = (name: string) => !only || only === name;
const CARDONA = join(import.meta.dirname, '..', '..', 'shared', 'data', 'cardona2010');
const work = mkdtempSync(join(tmpdir(), 'tu-seg-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

async function timed<T>(fn: () => Promise<T> | T): Promise<{ value: T; ms: number; cpuMs: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { value, ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const fmt = (x: number, d = 3) => x.toFixed(d);
const mvox = (voxels: number, ms: number) => `${fmt(voxels / ms / 1000, 2)} Mvoxel/s`;
const py = usePython ? referencePython(['numpy', 'scipy', 'skimage', 'vigra', 'tifffile']) : null;

function machine(): string {
  const c = cpus();
  return `${c[0]?.model ?? 'unknown CPU'}, ${c.length} cores, ${fmt(totalmem() / 2 ** 30, 0)} GiB, node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`;
}

/** Ground truth: cardona2010 neurites by 3D connected components, else a synthetic volume. */
function groundTruth(): { gt: Uint32Array; shape: Shape3; source: string } {
  const tif = join(CARDONA, 'neurites.tif');
  if (py && existsSync(tif)) {
    const raw = join(work, 'neurites.u16');
    runPython(`import tifffile, numpy as np\ntifffile.imread(${JSON.stringify(tif)}).astype(np.uint16).tofile(${JSON.stringify(raw)})`);
    const shape: Shape3 = [30, 512, 512];
    const ids = new Uint16Array(readFileSync(raw).buffer.slice(0));
    const { labels, count } = connectedComponentsSync(ids, shape);
    return { gt: labels, shape, source: `cardona2010 neurites.tif, relabelled by 3D connected components (6-connectivity): ${count} objects, 0 = membrane (ignored)` };
  }
  // Synthetic: jittered-grid Voronoi cells, 3D, anisotropic (z distances x4), 1-voxel background walls.
  const shape: Shape3 = [30, 512, 512];
  const [Z, Y, X] = shape;
  const r = rng(7);
  const cell = 24;
  const gy = Math.ceil(Y / cell) + 1;
  const gx = Math.ceil(X / cell) + 1;
  const cz = Math.ceil(Z / 6) + 1;
  const centres = Array.from({ length: cz * gy * gx }, (_, k) => {
    const z = Math.floor(k / (gy * gx));
    const y = Math.floor(k / gx) % gy;
    const x = k % gx;
    return [(z + r()) * 6, (y + r()) * cell, (x + r()) * cell];
  });
  const gt = new Uint32Array(Z * Y * X);
  for (let z = 0; z < Z; z++)
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++) {
        const kz = Math.floor(z / 6);
        const ky = Math.floor(y / cell);
        const kx = Math.floor(x / cell);
        let best = 0;
        let bestD = Infinity;
        for (let dz = -1; dz <= 1; dz++)
          for (let dy = -1; dy <= 1; dy++)
            for (let dx = -1; dx <= 1; dx++) {
              const iz = kz + dz;
              const iy = ky + dy;
              const ix = kx + dx;
              if (iz < 0 || iy < 0 || ix < 0 || iz >= cz || iy >= gy || ix >= gx) continue;
              const k = (iz * gy + iy) * gx + ix;
              const c = centres[k];
              const d = ((z - c[0]) * 4) ** 2 + (y - c[1]) ** 2 + (x - c[2]) ** 2;
              if (d < bestD) {
                bestD = d;
                best = k + 1;
              }
            }
        gt[(z * Y + y) * X + x] = best;
      }
  return { gt, shape, source: `synthetic Voronoi volume ${shape.join('x')} (cardona2010 or python tifffile not available)` };
}

/**
 * Affinities "predicted" from the ground truth: targets (offsets -1 z/y/x), then each
 * channel blurred with a 3x3 in-plane box and given uniform noise in [-0.25, 0.25],
 * mapped to [0.05, 0.95] before the noise and clipped to [0, 1].
 */
function makeAffinities(gt: Uint32Array, shape: Shape3): Float32Array {
  const [Z, Y, X] = shape;
  const n = Z * Y * X;
  const clean = labelsToAffinities(gt, shape);
  const out = new Float32Array(3 * n);
  const r = rng(11);
  for (let c = 0; c < 3; c++)
    for (let z = 0; z < Z; z++)
      for (let y = 0; y < Y; y++)
        for (let x = 0; x < X; x++) {
          let s = 0;
          let k = 0;
          for (let yy = Math.max(0, y - 1); yy <= Math.min(Y - 1, y + 1); yy++)
            for (let xx = Math.max(0, x - 1); xx <= Math.min(X - 1, x + 1); xx++) {
              s += clean[c * n + (z * Y + yy) * X + xx];
              k++;
            }
          const v = 0.05 + 0.9 * (s / k) + (r() - 0.5) * 0.5;
          out[c * n + (z * Y + y) * X + x] = Math.min(1, Math.max(0, v));
        }
  return out;
}

interface Row {
  method: string;
  ms: number;
  cpuMs: number;
  voxelsPerS: number;
  quality: SegmentationMetrics;
  note: string;
}

function row(r: Row): string {
  const q = r.quality;
  return `${r.method.padEnd(46)} ${fmt(r.ms, 0).padStart(7)} ms (cpu ${fmt(r.cpuMs, 0).padStart(6)} ms) ${fmt(r.voxelsPerS / 1e6, 2).padStart(6)} Mvox/s  VOI split ${fmt(q.voiSplit)} merge ${fmt(q.voiMerge)} ARAND ${fmt(q.arand, 4)}  ${r.note}`;
}

const PY_WATERSHED = `
import json, time, sys
import numpy as np
from scipy import ndimage
from skimage.segmentation import watershed
import vigra
Z, Y, X = SHAPE
a = np.fromfile(WORK + '/affs.f32', dtype=np.float32).reshape(3, Z, Y, X)
b = (1.0 - a.mean(0)).astype(np.float32)  # node boundary map for the node-weighted watersheds
inside = b < 0.5
out = {}
t = time.perf_counter(); c = time.process_time()
m2 = np.zeros((Z, Y, X), np.uint32)
off = 0
for z in range(Z):
    d = ndimage.distance_transform_edt(inside[z])
    peaks = (d >= 1) & (d == ndimage.maximum_filter(d, size=9))
    m, k = ndimage.label(peaks)
    m[m > 0] += off
    off += k
    m2[z] = m
out['seeds2d_s'] = time.perf_counter() - t; out['seeds2d_cpu'] = time.process_time() - c
t = time.perf_counter(); c = time.process_time()
d = ndimage.distance_transform_edt(inside)
peaks = (d >= 1) & (d == ndimage.maximum_filter(d, size=9))
m3, k3 = ndimage.label(peaks)
m3 = m3.astype(np.uint32)
out['seeds3d_s'] = time.perf_counter() - t; out['seeds3d_cpu'] = time.process_time() - c
out['seeds2d'] = int(off); out['seeds3d'] = int(k3)

t = time.perf_counter(); c = time.process_time()
w = np.zeros((Z, Y, X), np.int32)
for z in range(Z):
    w[z] = watershed(b[z], m2[z].astype(np.int32))
out['skimage2d_s'] = time.perf_counter() - t; out['skimage2d_cpu'] = time.process_time() - c
w.astype(np.uint32).tofile(WORK + '/skimage2d.u32')
t = time.perf_counter(); c = time.process_time()
w = watershed(b, m3.astype(np.int32))
out['skimage3d_s'] = time.perf_counter() - t; out['skimage3d_cpu'] = time.process_time() - c
w.astype(np.uint32).tofile(WORK + '/skimage3d.u32')
t = time.perf_counter(); c = time.process_time()
v = np.zeros((Z, Y, X), np.uint32)
for z in range(Z):
    v[z] = vigra.analysis.watershedsNew(b[z], neighborhood=4, seeds=m2[z])[0]
out['vigra2d_s'] = time.perf_counter() - t; out['vigra2d_cpu'] = time.process_time() - c
v.tofile(WORK + '/vigra2d.u32')
t = time.perf_counter(); c = time.process_time()
v = vigra.analysis.watershedsNew(b, neighborhood=6, seeds=m3)[0]
out['vigra3d_s'] = time.perf_counter() - t; out['vigra3d_cpu'] = time.process_time() - c
np.asarray(v, dtype=np.uint32).tofile(WORK + '/vigra3d.u32')
print(json.dumps(out))
`;

const PY_METRICS = `
import json, time
import numpy as np
from skimage.metrics import variation_of_information, adapted_rand_error
gt = np.fromfile(WORK + '/big_gt.u32', dtype=np.uint32)
seg = np.fromfile(WORK + '/big_seg.u32', dtype=np.uint32)
t = time.perf_counter()
split, merge = variation_of_information(gt, seg, ignore_labels=[0])
t_voi = time.perf_counter() - t
t = time.perf_counter()
are, prec, rec = adapted_rand_error(gt, seg, ignore_labels=[0])
t_are = time.perf_counter() - t
print(json.dumps({'voi_s': t_voi, 'arand_s': t_are, 'split': split, 'merge': merge, 'arand': are, 'precision': prec, 'recall': rec}))
`;

async function watershedBench(gt: Uint32Array, shape: Shape3, affs: Float32Array): Promise<Uint32Array> {
  const n = gt.length;
  console.log(`\n-- 1. watershed + agglomeration on ${shape.join('x')} (${fmt(n / 1e6, 2)} Mvoxel) --`);
  const thresholds = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
  const rows: Row[] = [];
  let seedsMs: Record<string, number> | null = null;
  let best2d: Uint32Array | null = null;
  const eval_ = (s: Uint32Array) => evaluateSegmentation(gt, s);
  /** Quality at every threshold of a flat segmentation result, and the index of the lowest VOI. */
  const scoreThresholds = async (r: Segmentation) => {
    const quality: SegmentationMetrics[] = [];
    for (const s of r.segmentations!) quality.push(await eval_(s));
    const best = quality.reduce((b, q, k) => (q.voi < quality[b].voi ? k : b), 0);
    return { quality, best };
  };
  const blockShape: Shape3 = [shape[0], 256, 256];
  for (const threeD of [false, true]) {
    const mode = threeD ? '3D' : '2D per section';
    await segmentAffinities(affs, shape, { threeD, thresholds: [0.5] }); // warm-up (page faults, pool start)
    // Timed: what the app keeps (fragments + one mapping per threshold). The flat volumes
    // for scoring come from a second, untimed call.
    const run = await timed(() => segmentAffinities(affs, shape, { threeD, thresholds }));
    const r = await segmentAffinities(affs, shape, { threeD, thresholds, flat: true });
    if (r.fragmentCount !== run.value.fragmentCount) throw new Error('segmentation is not deterministic');
    const frags = await eval_(r.fragments);
    rows.push({ method: `ours fragments+agglomeration ${mode}`, ms: run.ms, cpuMs: run.cpuMs, voxelsPerS: (n / run.ms) * 1000, quality: frags, note: `(fragments alone: ${r.fragmentCount})` });
    const { quality, best: bestK } = await scoreThresholds(r);
    const perThreshold = quality.map((q, k) => `t=${r.thresholds[k]}: VOI ${fmt(q.voiSplit, 2)}+${fmt(q.voiMerge, 2)} ARAND ${fmt(q.arand)} (${r.segmentCounts[k]} segments)`);
    rows.push({ method: `ours agglomerated ${mode}, threshold ${r.thresholds[bestK]}`, ms: run.ms, cpuMs: run.cpuMs, voxelsPerS: (n / run.ms) * 1000, quality: quality[bestK], note: `${thresholds.length} thresholds in one pass, ${r.edgeCount} RAG edges` });
    console.log(`  ${mode}: ${perThreshold.join(' | ')}`);
    if (!threeD) best2d = r.segmentations![bestK];
  }

  // 3D fragments per block (two blocks at once, each in cache) instead of one whole-volume
  // flood: faster, but the block faces become fragment borders that agglomeration must undo.
  {
    const run = await timed(() => segmentAffinities(affs, shape, { threeD: true, blockShape, thresholds }));
    const r = await segmentAffinities(affs, shape, { threeD: true, blockShape, thresholds, flat: true });
    const { quality, best } = await scoreThresholds(r);
    const q = quality[best];
    console.log(`  3D in ${blockShape.join('x')} blocks: ${fmt(run.ms, 0)} ms (cpu ${fmt(run.cpuMs, 0)} ms, ${mvox(n, run.ms)}), ${r.fragmentCount} fragments; best threshold ${r.thresholds[best]}: VOI ${fmt(q.voiSplit, 3)}+${fmt(q.voiMerge, 3)} ARAND ${fmt(q.arand)}`);
  }

  // Block-wise (out-of-core path) on the same volume, 2D fragments.
  const store = new InMemoryBlockStore(shape, affs);
  const bw = await timed(() => segmentBlockwise(store, { blockShape, thresholds }));
  console.log(`  block-wise ${blockShape.join('x')} blocks: ${fmt(bw.ms, 0)} ms (${mvox(n, bw.ms)}), ${bw.value.blocks} blocks, ${bw.value.edgeCount} edges`);

  if (py) {
    writeFileSync(join(work, 'affs.f32'), new Uint8Array(affs.buffer, affs.byteOffset, affs.byteLength));
    const script = `SHAPE = ${JSON.stringify(shape)}\nWORK = ${JSON.stringify(work)}\n` + PY_WATERSHED;
    const { stdout } = runPython(script, [], { timeoutMs: 3_600_000 });
    const t = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, number>;
    const read = (name: string) => new Uint32Array(readFileSync(join(work, `${name}.u32`)).buffer.slice(0));
    const pyRows: [string, string, string][] = [
      ['skimage.segmentation.watershed 2D per section', 'skimage2d', `seeds (scipy EDT maxima, same recipe): ${t.seeds2d}, ${fmt(t.seeds2d_s, 2)} s not included`],
      ['skimage.segmentation.watershed 3D', 'skimage3d', `seeds: ${t.seeds3d}, ${fmt(t.seeds3d_s, 2)} s not included`],
      ['vigra watershedsNew 2D per section', 'vigra2d', 'same seeds as skimage 2D'],
      ['vigra watershedsNew 3D', 'vigra3d', 'same seeds as skimage 3D'],
    ];
    for (const [method, key, note] of pyRows) {
      const seconds = t[`${key}_s`];
      rows.push({ method, ms: seconds * 1000, cpuMs: t[`${key}_cpu`] * 1000, voxelsPerS: n / seconds, quality: await eval_(read(key)), note });
    }
    seedsMs = { '2D': t.seeds2d_s * 1000, '3D': t.seeds3d_s * 1000 };
  } else {
    console.log('  (skimage / vigra baselines skipped: Debian python3 with numpy, scipy, skimage, vigra, tifffile not available)');
  }
  console.log('  method                                            wall time (cpu time)      throughput  quality vs ground truth');
  for (const r of rows) console.log('  ' + row(r));
  const find = (m: string) => rows.find((r) => r.method.startsWith(m))!;
  for (const mode of ['2D', '3D'] as const) {
    const ours = find(`ours fragments+agglomeration ${mode}`);
    for (const lib of ['skimage.segmentation.watershed', 'vigra watershedsNew']) {
      const base = rows.find((r) => r.method.startsWith(`${lib} ${mode}`));
      if (!base) continue;
      const withSeeds = seedsMs ? ` | vs their seeds + flood: ${fmt((base.ms + seedsMs[mode]) / ours.ms, 1)}x` : '';
      console.log(`  ${mode}: ours (seeds + watershed + RAG + agglomeration at ${thresholds.length} thresholds, fragments + mappings out) vs ${lib} (flood only): wall ${fmt(base.ms / ours.ms, 1)}x, cpu ${fmt(base.cpuMs / ours.cpuMs, 1)}x${withSeeds}`);
    }
  }
  return best2d!;
}

/** Tiles a (Z, Y, X) label volume to `big`, offsetting ids per tile so tiles stay distinct. */
function tile(labels: Uint32Array, shape: Shape3, big: Shape3): Uint32Array {
  const [Z, Y, X] = shape;
  const [BZ, BY, BX] = big;
  let max = 0;
  for (const v of labels) if (v > max) max = v;
  const tilesY = Math.ceil(BY / Y);
  const tilesX = Math.ceil(BX / X);
  const out = new Uint32Array(BZ * BY * BX);
  let i = 0;
  for (let z = 0; z < BZ; z++)
    for (let y = 0; y < BY; y++) {
      const src = ((z % Z) * Y + (y % Y)) * X;
      const tileBase = (Math.floor(z / Z) * tilesY + Math.floor(y / Y)) * tilesX;
      for (let x = 0; x < BX; x++, i++) {
        const v = labels[src + (x % X)];
        out[i] = v === 0 ? 0 : v + (tileBase + Math.floor(x / X)) * (max + 1);
      }
    }
  return out;
}

async function metricsBench(gt: Uint32Array, seg: Uint32Array, shape: Shape3): Promise<void> {
  const big: Shape3 = quick ? [30, 512, 512] : [100, 1024, 1024];
  const n = big[0] * big[1] * big[2];
  console.log(`\n-- 2. metrics on a ${big.join('x')} pair (${fmt(n / 1e6, 0)} Mvoxel; the volume above tiled, ids offset per tile) --`);
  const bigGt = tile(gt, shape, big);
  const bigSeg = tile(seg, shape, big);
  await evaluateSegmentation(bigGt.subarray(0, 1 << 20), bigSeg.subarray(0, 1 << 20)); // warm-up
  const once = await timed(() => evaluateSegmentation(bigGt, bigSeg));
  const plane = big[1] * big[2];
  const streamed = await timed(async () => {
    const acc = new MetricsAccumulator();
    for (let z = 0; z < big[0]; z += 10) await acc.add(bigGt.subarray(z * plane, (z + 10) * plane), bigSeg.subarray(z * plane, (z + 10) * plane));
    return acc.result();
  });
  const m = once.value;
  console.log(`  ours one call:          ${fmt(once.ms, 0)} ms (${mvox(n, once.ms)}; cpu ${fmt(once.cpuMs, 0)} ms)  VOI split ${m.voiSplit} merge ${m.voiMerge} ARAND ${m.arand}`);
  console.log(`  ours streamed, 10 z-sections per chunk: ${fmt(streamed.ms, 0)} ms  (equal: ${Math.abs(streamed.value.voiSplit - m.voiSplit) < 1e-9 && Math.abs(streamed.value.arand - m.arand) < 1e-9})`);
  if (!py) return console.log('  (skimage baseline skipped: no Debian python3 with skimage)');
  writeFileSync(join(work, 'big_gt.u32'), new Uint8Array(bigGt.buffer));
  writeFileSync(join(work, 'big_seg.u32'), new Uint8Array(bigSeg.buffer));
  const { stdout } = runPython(`WORK = ${JSON.stringify(work)}\n` + PY_METRICS, [], { timeoutMs: 3_600_000 });
  const s = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, number>;
  const skMs = (s.voi_s + s.arand_s) * 1000;
  const diff = Math.max(Math.abs(s.split - m.voiSplit), Math.abs(s.merge - m.voiMerge), Math.abs(s.arand - m.arand), Math.abs(s.precision - m.arandPrecision), Math.abs(s.recall - m.arandRecall));
  console.log(`  skimage VOI ${fmt(s.voi_s * 1000, 0)} ms + adapted_rand_error ${fmt(s.arand_s * 1000, 0)} ms = ${fmt(skMs, 0)} ms  VOI split ${s.split} merge ${s.merge} ARAND ${s.arand}`);
  console.log(`  speed-up ${fmt(skMs / once.ms, 1)}x; largest difference from skimage ${diff.toExponential(2)} (${diff < 1e-9 ? 'equal to 1e-9' : 'NOT EQUAL'})`);
}

/** A cardona2010 stack as raw bytes (via tifffile), or null. */
function cardonaStack(name: string): Buffer | null {
  const tif = join(CARDONA, `${name}.tif`);
  if (!py || !existsSync(tif)) return null;
  const out = join(work, `${name}.raw`);
  runPython(`import tifffile\ntifffile.imread(${JSON.stringify(tif)}).tofile(${JSON.stringify(out)})`);
  return readFileSync(out);
}

async function splitBench(): Promise<void> {
  // 50 sections (cardona's 30 repeated); the segment is every neurite voxel: a wrongly
  // merged mega-segment of about 10 Mvoxel that the proofreader splits with two seed groups.
  const shape: Shape3 = [50, 512, 512];
  const n = shape[0] * shape[1] * shape[2];
  const plane = 512 * 512;
  const image = new Uint8Array(n);
  const mask = new Uint8Array(n).fill(1);
  const raw = cardonaStack('raw');
  const neurites = cardonaStack('neurites');
  let note = 'synthetic image, the whole box as the segment';
  if (raw && neurites) {
    const ids = new Uint16Array(neurites.buffer, neurites.byteOffset, neurites.byteLength / 2);
    for (let z = 0; z < shape[0]; z++) {
      const src = (z % 30) * plane;
      image.set(raw.subarray(src, src + plane), z * plane);
      for (let i = 0; i < plane; i++) mask[z * plane + i] = ids[src + i] !== 0 ? 1 : 0;
    }
    note = 'cardona2010 raw.tif sections repeated; segment = all neurite voxels';
  } else {
    const r = rng(3);
    for (let i = 0; i < n; i++) image[i] = 100 + Math.floor(r() * 100);
  }
  const voxels = mask.reduce((a, v) => a + v, 0);
  console.log(`\n-- 3. seeded split preview: one ${fmt(voxels / 1e6, 1)}-Mvoxel segment in a ${shape.join('x')} box, two seed groups (${note}) --`);
  // A proofreader clicks inside a neurite: the brightest segment voxel near each intended point.
  const inside = (z: number, y0: number, x0: number): [number, number, number] => {
    let best: [number, number, number] | null = null;
    let bestV = -1;
    for (let y = y0 - 15; y <= y0 + 15; y++)
      for (let x = x0 - 15; x <= x0 + 15; x++) {
        const i = (z * 512 + y) * 512 + x;
        if (mask[i] && image[i] > bestV) {
          bestV = image[i];
          best = [z, y, x];
        }
      }
    if (!best) throw new Error('no segment voxel near a seed');
    return best;
  };
  const seeds = [[inside(5, 100, 100), inside(6, 110, 90)], [inside(45, 400, 420)]];
  const request = { shape, source: { kind: 'image' as const, data: image }, segment: { mask }, seeds };
  seededSplitSync(request);
  const sync = await timed(() => seededSplitSync(request));
  const asyncRun = await timed(() => seededSplit(request));
  const boundary = Float32Array.from(image, (v) => 255 - v);
  const byBoundary = await timed(() => seededSplitSync({ ...request, source: { kind: 'boundary', data: boundary } }));
  const affs = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++) for (let i = 0; i < n; i++) affs[c * n + i] = image[i] / 255;
  const byAffs = await timed(() => seededSplitSync({ ...request, source: { kind: 'affinities', data: affs } }));
  const line = (what: string, r: { ms: number; cpuMs: number }) => `  ${what.padEnd(34)} ${fmt(r.ms, 0).padStart(6)} ms (cpu ${fmt(r.cpuMs, 0)} ms, ${mvox(voxels, r.ms)} of segment)`;
  console.log(line('image, sync', sync) + `; groups ${sync.value.groupSizes.join(' / ')}, unreached ${sync.value.unreached}`);
  console.log(line('image, async', asyncRun));
  console.log(line('float boundary map, sync', byBoundary));
  console.log(line('affinities (edge-weighted), sync', byAffs));
}

async function main(): Promise<void> {
  console.log(`machine: ${machine()}`);
  if (!py) console.log('NOTE: no Debian python3 with numpy/scipy/skimage/vigra/tifffile: baselines are skipped.');
  if (part('watershed') || part('metrics')) {
    const { gt, shape, source } = groundTruth();
    console.log(`ground truth: ${source}`);
    console.log('affinities: DERIVED FROM THE GROUND TRUTH (no trained model): targets blurred 3x3 in-plane, mapped to [0.05, 0.95], uniform noise +-0.25, clipped');
    const affs = makeAffinities(gt, shape);
    if (part('watershed')) {
      const seg = await watershedBench(gt, shape, affs);
      if (part('metrics')) await metricsBench(gt, seg, shape);
    } else {
      const r = await segmentAffinities(affs, shape, { thresholds: [0.8], flat: true });
      await metricsBench(gt, r.segmentations![0], shape);
    }
  }
  if (part('split')) await splitBench();
  console.log(`\nload average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other processes share these cores; timings are wall-clock)`);
}

await main();
