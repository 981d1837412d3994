/**
 * Proofreading benchmark (issue 4):
 *   1. brush stroke: latency of one stroke's edit commit (history row, chunk versions, chunk
 *      files, pyramid), p50/p95, and of commit + re-reading the changed chunks through the
 *      viewer's chunk cache; baseline: writing one chunk through the volume store;
 *   2. merge and undo of a segment of 1,000 fragments on a fragment layer (mapping rows only),
 *      against the same merge on a plain label layer holding the same voxels (voxel relabel);
 *   3. split preview on a 10-million-voxel segment (shape-based and image-based watershed),
 *      against the bare native watershed on the same arrays;
 *   4. mesh update after an edit (only the touched chunk pieces) vs a full rebuild.
 *
 *   npx tsx bench/proofreading.bench.ts [--quick]
 *
 * --quick: 32-deep volumes and fewer strokes (the split segment is then ~5 M voxels).
 * Synthetic data, generated here (sizes printed below); nothing is read from disk but the store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { EventData, EventName } from '../src/shared/api/contract';
import { setInitialMapping } from '../src/main/proofreading/index-layer';
import { ProofreadingService } from '../src/main/proofreading/service';
import { seededSplit } from '../src/main/segmentation/watershed';
import { Project } from '../src/main/store/project';
import { boxSize, voxelCount, type Vec3 } from '../src/main/volumes/box';
import { createLayerFromArray } from '../src/main/volumes/create-layer';
import { VolumeService } from '../src/main/volumes/service';
import { VolumeStore } from '../src/main/volumes/store/volume-store';

const quick = process.argv.includes('--quick');
const Z = quick ? 32 : 64;
const SHAPE: Vec3 = [Z, 512, 512];
const RES: Vec3 = [8, 8, 8];
const STROKES = quick ? 30 : 100;
const work = mkdtempSync(join(tmpdir(), 'tu-proof-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

const fmt = (x: number, d = 1) => x.toFixed(d);
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/** Jittered-grid Voronoi cells (neuron-sized blobs), ids 1..n. */
function voronoi(shape: Vec3, cell: number, seed: number): Uint32Array {
  const r = rng(seed);
  const g = shape.map((s) => Math.ceil(s / cell) + 1) as Vec3;
  const centres = Array.from({ length: g[0] * g[1] * g[2] }, (_, k) => [
    (Math.floor(k / (g[1] * g[2])) + r()) * cell,
    ((Math.floor(k / g[2]) % g[1]) + r()) * cell,
    ((k % g[2]) + r()) * cell,
  ]);
  const out = new Uint32Array(voxelCount(shape));
  let i = 0;
  for (let z = 0; z < shape[0]; z++)
    for (let y = 0; y < shape[1]; y++)
      for (let x = 0; x < shape[2]; x++, i++) {
        const k0 = [Math.floor(z / cell), Math.floor(y / cell), Math.floor(x / cell)];
        let best = 0;
        let bestD = Infinity;
        for (let dz = -1; dz <= 1; dz++)
          for (let dy = -1; dy <= 1; dy++)
            for (let dx = -1; dx <= 1; dx++) {
              const kz = k0[0] + dz;
              const ky = k0[1] + dy;
              const kx = k0[2] + dx;
              if (kz < 0 || ky < 0 || kx < 0 || kz >= g[0] || ky >= g[1] || kx >= g[2]) continue;
              const k = (kz * g[1] + ky) * g[2] + kx;
              const c = centres[k];
              const d = (z - c[0]) ** 2 + (y - c[1]) ** 2 + (x - c[2]) ** 2;
              if (d < bestD) {
                bestD = d;
                best = k + 1;
              }
            }
        out[i] = best;
      }
  return out;
}

async function main(): Promise<void> {
  const c = cpus();
  console.log(`machine: ${c[0]?.model ?? 'unknown CPU'}, ${c.length} cores, ${fmt(totalmem() / 2 ** 30, 0)} GiB RAM (${fmt(freemem() / 2 ** 30, 0)} free), load ${loadavg().map((l) => l.toFixed(1)).join(' ')}, node ${process.version}`);
  console.log(`volumes: ${SHAPE.join('x')} uint32 labels (${fmt(voxelCount(SHAPE) / 1e6)} M voxels), store chunks 64x64x64, gzip level 1, in ${work}`);
  const project = Project.create(join(work, 'p'), 'proofreading bench');
  const emit = <E extends EventName>(_e: E, _d: EventData<E>) => undefined;
  const service = await ProofreadingService.open(project, emit);
  const volumes = new VolumeService(project);

  // ---- 1. brush strokes on a dense Voronoi label layer ---------------------------------
  const dense = voronoi(SHAPE, 40, 1);
  const t0 = performance.now();
  const denseLayer = await createLayerFromArray(project, { name: 'dense', kind: 'labels', dtype: 'uint32', shape: SHAPE, resolution: RES, data: dense });
  await service.indexNow(denseLayer.id);
  console.log(`\nsetup: dense layer written and indexed in ${fmt((performance.now() - t0) / 1000)} s (${new Set(dense).size} segments)`);

  const store = await VolumeStore.open(project.path(denseLayer.uri));
  const raw = (await store.readChunk(0, [0, 1, 1])).data.slice() as Uint32Array;
  const baseline: number[] = [];
  for (let i = 0; i < 20; i++) {
    raw[i] ^= 1;
    baseline.push((await time(() => store.writeChunk(0, [0, 1, 1], raw))).ms);
  }
  raw[0] = raw[0];
  const r = rng(2);
  const commit: number[] = [];
  const refreshed: number[] = [];
  const allLevels: number[] = [];
  let lastLevels: EventData<'labels.changed'>['levels'] = [];
  const service2 = await ProofreadingService.open(project, (<E extends EventName>(e: E, d: EventData<E>) => {
    if (e === 'labels.changed') lastLevels = (d as EventData<'labels.changed'>).levels;
  }) as never);
  for (let i = 0; i < STROKES; i++) {
    const z = Math.floor(r() * Z);
    const y = 20 + Math.floor(r() * 470);
    const x = 20 + Math.floor(r() * 430);
    const points: Vec3[] = Array.from({ length: 8 }, (_, k) => [z, y + Math.round(Math.sin(k) * 4), x + 5 * k]);
    const segmentId = 1 + Math.floor(r() * 200);
    const t = performance.now();
    await service2.paint({ layerId: denseLayer.id, segmentId, axis: 'z', points, radius: 6, confirm: true });
    const tc = performance.now();
    // What the viewer does on labels.changed: fetch the rewritten level-0 chunks through the shared cache.
    await Promise.all(lastLevels.filter((l) => l.level === 0).flatMap((l) => l.chunks.map((coord) => volumes.readChunk(denseLayer.id, 0, coord))));
    commit.push(tc - t);
    refreshed.push(performance.now() - t);
    await service2.settled(); // the coarser levels, recomputed right after the commit returned
    allLevels.push(performance.now() - t);
  }
  await service2.close();
  const base50 = pct(baseline, 50);
  console.log(`\n1. brush stroke (8 points, radius 6 voxels, ~${fmt(Math.PI * 36 * 8 * 5 / 8, 0)} voxels), ${STROKES} strokes at random places:`);
  console.log(`   commit (log row + chunk deltas + level-0 chunk files):       p50 ${fmt(pct(commit, 50))} ms   p95 ${fmt(pct(commit, 95))} ms`);
  console.log(`   commit + viewer re-reads the changed chunks:                  p50 ${fmt(pct(refreshed, 50))} ms   p95 ${fmt(pct(refreshed, 95))} ms`);
  console.log(`   until every pyramid level is updated too:                     p50 ${fmt(pct(allLevels, 50))} ms   p95 ${fmt(pct(allLevels, 95))} ms`);
  console.log(`   baseline: one 64^3 chunk write through the volume store:      p50 ${fmt(base50)} ms  -> stroke commit = ${fmt(pct(commit, 50) / base50)}x one chunk write`);
  const history = service.log.historyBytes();
  console.log(`   history storage: ${fmt(history / 1024)} KiB of chunk deltas for ${STROKES} strokes (${fmt(history / STROKES, 0)} bytes per stroke)`);

  // ---- 2. merge of 1,000 fragments: mapping vs voxel relabel ---------------------------
  const block: Vec3 = [8, 16, 16];
  const fragments = new Uint32Array(voxelCount(SHAPE));
  const per = SHAPE.map((s, a) => s / block[a]) as Vec3;
  let i = 0;
  for (let z = 0; z < SHAPE[0]; z++)
    for (let y = 0; y < SHAPE[1]; y++)
      for (let x = 0; x < SHAPE[2]; x++, i++) fragments[i] = 1 + (Math.floor(z / block[0]) * per[1] + Math.floor(y / block[1])) * per[2] + Math.floor(x / block[2]);
  const nFragments = per[0] * per[1] * per[2];
  const segmentOf = (f: number) => 1 + Math.floor((f - 1) / 1000);
  const fragLayer = await createLayerFromArray(project, { name: 'fragments', kind: 'fragments', dtype: 'uint32', shape: SHAPE, resolution: RES, data: fragments });
  const ids = Array.from({ length: nFragments }, (_, k) => k + 1);
  setInitialMapping(project, fragLayer.id, ids, ids.map(segmentOf));
  await service.indexNow(fragLayer.id);
  const plainLayer = await createLayerFromArray(project, { name: 'agglomerated', kind: 'labels', dtype: 'uint32', shape: SHAPE, resolution: RES, data: fragments.map(segmentOf) });
  await service.indexNow(plainLayer.id);
  const voxelsB = 1000 * voxelCount(block);
  const fm = await time(() => service.merge({ layerId: fragLayer.id, target: 1, source: 2 }));
  const fu = await time(() => service.undo());
  const fr = await time(() => service.redo());
  const pm = await time(() => service.merge({ layerId: plainLayer.id, target: 1, source: 2, confirm: true }));
  const pu = await time(() => service.undo());
  console.log(`\n2. merge segment B (1,000 fragments, ${fmt(voxelsB / 1e6, 2)} M voxels) into A (1,000 fragments), ${nFragments} fragments in the layer:`);
  console.log(`   fragment layer (mapping rows only): merge ${fmt(fm.ms)} ms, undo ${fmt(fu.ms)} ms, redo ${fmt(fr.ms)} ms`);
  console.log(`   plain label layer (relabel B's voxels, ${pm.value.changedVoxels} voxels): merge ${fmt(pm.ms)} ms, undo ${fmt(pu.ms)} ms`);
  console.log(`   -> the mapping merge is ${fmt(pm.ms / fm.ms)}x faster than relabelling voxels; undo ${fmt(pu.ms / fu.ms)}x`);

  // ---- 3. split preview on a 10 M-voxel segment -----------------------------------------
  const big = new Uint32Array(voxelCount(SHAPE));
  const image = new Uint8Array(voxelCount(SHAPE)).fill(200);
  const zLo = 2;
  const zHi = Z - 2;
  const side = Math.round(Math.sqrt(10_200_000 / (zHi - zLo)));
  const lo = Math.floor((512 - Math.min(side, 508)) / 2);
  const hi = lo + Math.min(side, 508);
  i = 0;
  for (let z = 0; z < SHAPE[0]; z++)
    for (let y = 0; y < SHAPE[1]; y++)
      for (let x = 0; x < SHAPE[2]; x++, i++) {
        const neck = Math.abs(x - 256) < 6;
        const inNeck = Math.abs(y - 256) < 24 && Math.abs(z - (Z >> 1)) < 6;
        if (z >= zLo && z < zHi && y >= lo && y < hi && x >= lo && x < hi && (!neck || inNeck)) big[i] = 1;
        if (Math.abs(x - 256) <= 1) image[i] = 30; // a dark membrane across the segment
      }
  const bigLayer = await createLayerFromArray(project, { name: 'big', kind: 'labels', dtype: 'uint32', shape: SHAPE, resolution: RES, data: big });
  await createLayerFromArray(project, { name: 'em', kind: 'image', dtype: 'uint8', shape: SHAPE, resolution: RES, data: image });
  await service.indexNow(bigLayer.id);
  const segVoxels = (await service.getSegments(bigLayer.id, [1]))[0].voxelCount;
  const seeds: Vec3[][] = [[[Z >> 1, 256, lo + 10]], [[Z >> 1, 256, hi - 10]]];
  const shapeSplit = await time(() => service.splitPreview({ layerId: bigLayer.id, segmentId: 1, seeds }));
  const imageSplit = await time(() => service.splitPreview({ layerId: bigLayer.id, segmentId: 1, seeds, source: { layerId: 'em' } }));
  const box = imageSplit.value.box;
  const regionShape = boxSize(box);
  const mask = new Uint8Array(voxelCount(regionShape));
  const img = new Uint8Array(voxelCount(regionShape));
  let o = 0;
  for (let z = box.min[0]; z < box.max[0]; z++)
    for (let y = box.min[1]; y < box.max[1]; y++)
      for (let x = box.min[2]; x < box.max[2]; x++, o++) {
        const g = (z * 512 + y) * 512 + x;
        mask[o] = big[g];
        img[o] = image[g];
      }
  const local = seeds.map((g) => g.map((p) => [p[0] - box.min[0], p[1] - box.min[1], p[2] - box.min[2]] as [number, number, number]));
  const kernel = await time(() => seededSplit({ shape: regionShape, source: { kind: 'image', data: img }, segment: { mask }, seeds: local }));
  console.log(`\n3. split preview of a ${fmt(segVoxels / 1e6, 2)} M-voxel segment (region ${regionShape.join('x')} = ${fmt(voxelCount(regionShape) / 1e6, 1)} M voxels), 2 seed groups:`);
  console.log(`   image-based (EM layer, dark membrane): ${fmt(imageSplit.ms)} ms, groups ${imageSplit.value.groupSizes.join(' + ')}`);
  console.log(`   shape-based (distance transform):      ${fmt(shapeSplit.ms)} ms, groups ${shapeSplit.value.groupSizes.join(' + ')}`);
  console.log(`   baseline: native seeded watershed alone on the same arrays: ${fmt(kernel.ms)} ms -> preview = ${fmt(imageSplit.ms / kernel.ms, 2)}x the kernel`);

  // ---- 4. mesh update after an edit vs full rebuild --------------------------------------
  // The merged segment 1 of the agglomerated layer: 2,000 blocks' worth of voxels across many chunks.
  await service.redo(); // re-apply the plain merge: segment 1 now spans 2,000 fragments' voxels
  const level = 0;
  const full = await time(() => service.meshesOf(plainLayer.id, [1], level));
  const pieces = full.value[0].chunks;
  await service.paint({ layerId: plainLayer.id, segmentId: 3, axis: 'z', points: [[4, 40, 40], [4, 40, 60]], radius: 4 });
  const update = await time(() => service.meshesOf(plainLayer.id, [1], level));
  service.meshes.invalidateLayer(plainLayer.id);
  const rebuild = await time(() => service.meshesOf(plainLayer.id, [1], level));
  const tris = rebuild.value[0].indices.length / 3;
  console.log(`\n4. mesh of a segment at level ${level} (${pieces} chunk pieces, ${fmt(tris / 1e6, 2)} M triangles), surface nets in worker threads:`);
  console.log(`   first build ${fmt(full.ms)} ms; after a brush edit: update ${fmt(update.ms)} ms (${update.value[0].rebuiltChunks} pieces rebuilt) vs full rebuild ${fmt(rebuild.ms)} ms`);
  console.log(`   -> update after an edit is ${fmt(rebuild.ms / update.ms)}x faster than a full rebuild`);

  await service.close();
  await volumes.close();
  project.close();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
