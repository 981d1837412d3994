/**
 * Export benchmark (issue 8): time and size of every volume format for an EM image and its
 * labels, against the BigTIFF export of the same layer measured in the same run (the baseline
 * from issue 3), plus a fragments + mapping export and meshes. Uses cardona2010 (30x512x512
 * uint8 EM, uint16 neurite labels) when ../shared/data has it, else a synthetic EM volume.
 *
 *   npx tsx bench/exports.bench.ts [--quick]
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { indexLabelLayer } from '../src/main/proofreading/index-layer';
import { Project } from '../src/main/store/project';
import { SyntheticEM } from '../src/main/synthetic/generator';
import { voxelCount, type Vec3 } from '../src/main/volumes/box';
import { createLayerFromArray } from '../src/main/volumes/create-layer';
import { exportLayer } from '../src/main/exports/index';
import { exportMeshes } from '../src/main/exports/mesh-files';
import { exportSegmentTable } from '../src/main/exports/segment-table';
import { importVolume } from '../src/main/volumes/import';
import { listSegments } from '../src/main/proofreading/segments';

const quick = process.argv.includes('--quick');
const MB = 1024 * 1024;
const CARDONA = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'shared', 'data', 'cardona2010');

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

const dir = mkdtempSync(join(tmpdir(), 'tu-bench-exports-'));
const project = Project.create(join(dir, 'p'));
try {
  let source: string;
  if (existsSync(join(CARDONA, 'raw.tif')) && !quick) {
    await importVolume(project, { path: join(CARDONA, 'raw.tif'), kind: 'image', name: 'em', resolution: [50, 3.8, 3.8] });
    await importVolume(project, { path: join(CARDONA, 'neurites.tif'), kind: 'labels', name: 'labels', resolution: [50, 3.8, 3.8] });
    source = 'cardona2010 raw.tif + neurites.tif (30x512x512)';
  } else {
    const shape: Vec3 = quick ? [16, 256, 256] : [32, 512, 512];
    const em = new SyntheticEM({ shape, seed: 3 });
    const r = em.render([0, 0, 0], shape);
    await createLayerFromArray(project, { name: 'em', kind: 'image', dtype: 'uint8', data: r.image, shape, resolution: em.spec.resolution });
    await createLayerFromArray(project, { name: 'labels', kind: 'labels', dtype: 'uint32', data: r.labels, shape, resolution: em.spec.resolution });
    source = `synthetic EM ${shape.join('x')}`;
  }
  const layers = project.db.prepare('SELECT name, shape, dtype FROM layers').all() as { name: string; shape: string; dtype: string }[];
  console.log(`exports benchmark: ${source}; ${cpus()[0].model}, ${cpus().length} cores, load ${loadavg()[0].toFixed(1)}`);
  const rows: string[][] = [['layer', 'format', 'ms', 'MiB/s of voxels', 'x BigTIFF time', 'output MiB']];
  for (const l of layers) {
    const bytes = voxelCount(JSON.parse(l.shape)) * (l.dtype === 'uint8' ? 1 : l.dtype === 'uint16' ? 2 : 4);
    let baseline = 0;
    for (const [format, ext, extra] of [
      ['tiff', 'tif', {}],
      ['hdf5', 'h5', {}],
      ['zarr', 'ome.zarr', {}],
      ['n5', 'n5', {}],
      ['precomputed', 'precomputed', {}],
      ['precomputed', 'sharded.precomputed', { sharded: true }],
    ] as const) {
      const { ms, value } = await timed(() => exportLayer(project, l.name, join(dir, `${l.name}.${ext}`), { format, ...extra }));
      if (format === 'tiff') baseline = ms;
      rows.push([l.name, `${format}${'sharded' in extra ? ' (sharded)' : ''}`, ms.toFixed(0), (bytes / MB / (ms / 1000)).toFixed(1), (ms / baseline).toFixed(2), (value.bytes / MB).toFixed(1)]);
    }
  }
  const labels = project.db.prepare("SELECT id FROM layers WHERE name = 'labels'").pluck().get() as string;
  await indexLabelLayer(project, labels);
  const table = await timed(() => exportSegmentTable(project, 'labels', join(dir, 'segments.csv')));
  const biggest = listSegments(project.db, labels, false, { sort: 'size', descending: true, limit: 3 }).segments.map((s) => s.id);
  const meshes = await timed(() => exportMeshes(project, 'labels', join(dir, 'meshes.ply'), { segments: biggest, merged: true }));
  for (const r of rows) console.log(r.map((c, i) => (i < 2 ? c.padEnd(i === 0 ? 8 : 22) : c.padStart(16))).join(''));
  console.log(`segment table: ${table.value.segments} segments in ${table.ms.toFixed(0)} ms`);
  console.log(
    `meshes of the 3 largest segments (${meshes.value.segments.map((s) => `${s.triangles} triangles`).join(', ')}), merged PLY: ${meshes.ms.toFixed(0)} ms, ${(meshes.value.bytes / MB).toFixed(1)} MiB`,
  );
} finally {
  project.close();
  rmSync(dir, { recursive: true, force: true });
}
