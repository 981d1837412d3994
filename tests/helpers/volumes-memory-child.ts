/**
 * Child process of the bounded-memory test (run with `node --import tsx`): builds a volume far
 * larger than the chunk cache, exports it to BigTIFF, imports that TIFF back and reads every
 * section through the cache, recording peak resident memory (getrusage maxRSS) after each
 * phase. Prints one JSON line. Argument: a JSON object { dir, shape, cacheBytes, blockBytes }.
 */
import { join } from 'node:path';
import { Project } from '../../src/main/store/project';
import { voxelCount, type Box, type Vec3 } from '../../src/main/volumes/box';
import { ChunkCache } from '../../src/main/volumes/chunk-cache';
import { createLayerFromRegions } from '../../src/main/volumes/create-layer';
import { exportLayer } from '../../src/main/exports/index';
import { importVolume } from '../../src/main/volumes/import';
import { VolumeService } from '../../src/main/volumes/service';

const args = JSON.parse(process.argv[2]) as { dir: string; shape: Vec3; cacheBytes: number; blockBytes: number };
const maxRssBytes = () => process.resourceUsage().maxRSS * 1024;

/** A cheap deterministic pattern: smooth in-plane gradients plus a z-dependent offset. */
function voxel(z: number, y: number, x: number): number {
  return (x + 3 * y + 17 * z + ((x * y) >> 7)) & 255;
}

function region(box: Box): Uint8Array {
  const out = new Uint8Array(voxelCount(box));
  let o = 0;
  for (let z = box.min[0]; z < box.max[0]; z++)
    for (let y = box.min[1]; y < box.max[1]; y++) for (let x = box.min[2]; x < box.max[2]; x++) out[o++] = voxel(z, y, x);
  return out;
}

async function main(): Promise<void> {
  const started = Date.now();
  const project = Project.create(join(args.dir, 'p'));
  const cache = new ChunkCache(args.cacheBytes);
  const svc = new VolumeService(project, { cache });
  // warm up the modules used below so the baseline includes their code
  await createLayerFromRegions(project, { name: 'warm', kind: 'image', dtype: 'uint8', shape: [4, 64, 64], resolution: [50, 4, 4] }, region);
  await svc.readSlice('warm', 0, 'z', 1);
  await svc.deleteLayer('warm');
  global.gc?.();
  const baseline = maxRssBytes();
  // Peak RSS when a quarter of each phase is done and at its end: bounded memory means the
  // second is not meaningfully larger than the first although 4x the data went through.
  const phases: Record<string, { quarter: number; end: number }> = {};
  const watch = (name: string) => {
    phases[name] = { quarter: 0, end: 0 };
    return (f: number) => {
      if (f >= 0.25 && !phases[name].quarter) phases[name].quarter = maxRssBytes();
    };
  };
  const spec = { kind: 'image' as const, dtype: 'uint8' as const, shape: args.shape, resolution: [50, 4, 4] as Vec3 };

  const onGenerate = watch('generate');
  await createLayerFromRegions(project, { ...spec, name: 'generated' }, region, { blockBytes: args.blockBytes, progress: onGenerate });
  phases.generate.end = maxRssBytes();
  const tiff = join(args.dir, 'big.tif');
  const onExport = watch('export');
  await exportLayer(project, 'generated', tiff, { format: 'tiff', blockBytes: args.blockBytes, progress: onExport });
  phases.export.end = maxRssBytes();
  const onImport = watch('import');
  await importVolume(project, { path: tiff, kind: 'image', name: 'imported', resolution: [50, 4, 4] }, { blockBytes: args.blockBytes, progress: onImport });
  phases.import.end = maxRssBytes();

  // Read the whole volume as 512x512 views, slice by slice within each chunk-deep layer.
  const onRead = watch('read');
  const layer = svc.getLayer('imported');
  const [cz, cy, cx] = layer.chunkShape;
  const [Z, Y, X] = args.shape;
  const tile = 4 * Math.max(cy, cx);
  let cacheMax = 0;
  let mismatches = 0;
  let views = 0;
  const total = Math.ceil(Y / tile) * Math.ceil(X / tile) * Z;
  for (let z0 = 0; z0 < Z; z0 += cz)
    for (let y0 = 0; y0 < Y; y0 += tile)
      for (let x0 = 0; x0 < X; x0 += tile)
        for (let z = z0; z < Math.min(Z, z0 + cz); z++) {
          const roi = { min: [y0, x0] as [number, number], max: [Math.min(Y, y0 + tile), Math.min(X, x0 + tile)] as [number, number] };
          const s = await svc.readSlice('imported', 0, 'z', z, roi);
          cacheMax = Math.max(cacheMax, cache.stats().bytes);
          for (let k = 0; k < 8; k++) {
            const y = (k * 7919 + z * 31) % s.height;
            const x = (k * 104729 + z * 17) % s.width;
            if ((s.data as Uint8Array)[y * s.width + x] !== voxel(z, y0 + y, x0 + x)) mismatches++;
          }
          onRead(++views / total);
        }
  phases.read.end = maxRssBytes();
  const stats = cache.stats();
  await svc.close();
  project.close();
  process.stdout.write(
    `${JSON.stringify({ baseline, phases, volumeBytes: voxelCount(args.shape), cacheMax, cacheBudget: args.cacheBytes, views, misses: stats.misses, evictions: stats.evictions, mismatches, seconds: (Date.now() - started) / 1000 })}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`${(err as Error)?.stack ?? err}\n`);
  process.exit(1);
});
