/**
 * The training data of a run, frozen when the run starts: two Zarr v3 arrays (gzip chunks,
 * the label layer's chunk shape) in runs/<run>/training-data/:
 *
 *   labels.zarr  uint32  segment ids of the known voxels (mapping applied), 0 elsewhere;
 *   mask.zarr    uint8   1 where the voxel is known (done segment, its rim, or a box).
 *
 * The pipeline reads them as files (`labels` and `mask` of pipeline.finetune). Freezing them
 * keeps a paused run's data identical when it resumes, whatever was proofread meanwhile.
 * Chunks without known voxels are not written (Zarr's fill value 0).
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { AppError } from '../errors';
import { boxSize, type Vec3 } from '../volumes/box';
import type { LabelScan } from './label-scan';

export interface SnapshotFiles {
  labels: string;
  mask: string;
}

export function snapshotFiles(dir: string): SnapshotFiles {
  return { labels: join(dir, 'labels.zarr'), mask: join(dir, 'mask.zarr') };
}

function writeArrayMeta(path: string, shape: Vec3, chunkShape: Vec3, dtype: 'uint32' | 'uint8', attributes: Record<string, unknown>): void {
  mkdirSync(path, { recursive: true });
  const meta = {
    zarr_format: 3,
    node_type: 'array',
    shape,
    data_type: dtype,
    chunk_grid: { name: 'regular', configuration: { chunk_shape: chunkShape } },
    chunk_key_encoding: { name: 'default', configuration: { separator: '/' } },
    codecs: [
      { name: 'bytes', configuration: { endian: 'little' } },
      { name: 'gzip', configuration: { level: 1 } },
    ],
    fill_value: 0,
    dimension_names: ['z', 'y', 'x'],
    attributes,
  };
  writeFileSync(join(path, 'zarr.json'), JSON.stringify(meta, null, 2));
}

function writeChunk(arrayPath: string, coord: Vec3, bytes: Uint8Array): void {
  const file = join(arrayPath, 'c', String(coord[0]), String(coord[1]), String(coord[2]));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, gzipSync(bytes, { level: 1 }));
}

export interface SnapshotStats {
  knownVoxels: number;
  chunksWritten: number;
  /** Ids above 2^32 - 1 renumbered to fit uint32 (rare: huge uint64 layers). */
  renumbered: number;
}

/**
 * Writes the snapshot into `dir` (atomically: built in `<dir>.tmp`, then renamed). Returns what
 * it wrote. `progress` gets the fraction of blocks done.
 */
export async function writeSnapshot(scan: LabelScan, dir: string, attributes: Record<string, unknown>, o: { signal?: AbortSignal; progress?: (f: number) => void } = {}): Promise<SnapshotStats> {
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  const files = snapshotFiles(tmp);
  const { shape, chunkShape } = scan;
  writeArrayMeta(files.labels, shape, chunkShape, 'uint32', { ...attributes, content: 'training labels (segment ids of known voxels)' });
  writeArrayMeta(files.mask, shape, chunkShape, 'uint8', { ...attributes, content: 'training mask (1 = known voxel)' });
  const chunkVoxels = chunkShape[0] * chunkShape[1] * chunkShape[2];
  const big = new Map<number, number>();
  const stats: SnapshotStats = { knownVoxels: 0, chunksWritten: 0, renumbered: 0 };
  let done = 0;
  await scan.forEachBlock((b) => {
    const size = boxSize(b.box);
    const labels = new Uint32Array(chunkVoxels);
    const mask = new Uint8Array(chunkVoxels);
    let any = false;
    let o2 = 0;
    for (let z = 0; z < size[0]; z++)
      for (let y = 0; y < size[1]; y++) {
        const row = (z * chunkShape[1] + y) * chunkShape[2];
        for (let x = 0; x < size[2]; x++, o2++) {
          if (!b.known[o2]) continue;
          any = true;
          stats.knownVoxels++;
          mask[row + x] = 1;
          let id = b.segments[o2];
          if (id > 0xffffffff) {
            let r = big.get(id);
            if (r === undefined) big.set(id, (r = 0xffffffff - big.size));
            id = r;
          }
          labels[row + x] = id;
        }
      }
    done++;
    o.progress?.(done / Math.max(1, scan.blockCount));
    if (!any) return;
    const coord = b.box.min.map((v, a) => v / chunkShape[a]) as Vec3;
    writeChunk(files.labels, coord, new Uint8Array(labels.buffer));
    writeChunk(files.mask, coord, mask);
    stats.chunksWritten++;
  }, o.signal);
  stats.renumbered = big.size;
  if (stats.knownVoxels === 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new AppError('BAD_REQUEST', 'no known voxels to train on: mark segments as done or add a training box');
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return stats;
}
