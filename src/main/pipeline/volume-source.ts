/**
 * What the pipeline reads voxels from: a project layer (through the volume service and its
 * chunk cache) or a file in any format the volume readers open. Regions that reach past the
 * volume are padded, so crops and inference windows near the border keep their shape.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppError } from '../errors';
import type { Project } from '../store/project';
import { boxSize, formatBox, formatShape, voxelCount, type Box, type Vec3 } from '../volumes/box';
import { allocate, type DType, type VoxelArray } from '../volumes/dtypes';
import { findLayer } from '../volumes/layers';
import { openVolume } from '../volumes/readers/open';
import type { VolumeService } from '../volumes/service';

export type SourceRef = { layer: string } | { path: string; dataset?: string };

export interface VolumeSource {
  /** For messages: "layer 'raw'" or the file path. */
  readonly label: string;
  readonly ref: SourceRef;
  readonly shape: Vec3;
  readonly dtype: DType;
  readonly resolution: Vec3;
  /** Level-0 voxels of a box inside the volume, C order. */
  readRegion(box: Box): Promise<VoxelArray>;
  /** The coarsest level as a whole (layers with a pyramid), for statistics. */
  readCoarsest(): Promise<VoxelArray | null>;
  close(): Promise<void>;
}

export function describeRef(ref: SourceRef): string {
  return 'layer' in ref ? `layer '${ref.layer}'` : ref.path;
}

/**
 * Interprets a CLI argument: an existing layer's name or id, else a path to a file or folder
 * (optionally "path:dataset" for containers).
 */
export function parseSourceArg(project: Project | null, text: string, dataset?: string): SourceRef {
  if (project && findLayer(project, text)) return { layer: text };
  const path = resolve(text);
  if (existsSync(path)) return dataset ? { path, dataset } : { path };
  throw new AppError('NOT_FOUND', `'${text}' is neither a layer of the project nor an existing file or folder`);
}

/** Shape of a layer or file without keeping it open. */
export async function sourceShape(project: Project | null, ref: SourceRef): Promise<Vec3> {
  if ('layer' in ref) {
    const l = project ? findLayer(project, ref.layer) : null;
    if (!l) throw new AppError('NOT_FOUND', `no ${describeRef(ref)}${project ? ` in project ${project.root}` : ' (no project given)'}`);
    return l.shape;
  }
  const r = await openVolume(ref.path, { dataset: ref.dataset });
  try {
    return r.levels[0].shape;
  } finally {
    await r.close();
  }
}

export async function openSource(ref: SourceRef, ctx: { project: Project | null; service: VolumeService | null }): Promise<VolumeSource> {
  if ('layer' in ref) {
    if (!ctx.project || !ctx.service) throw new AppError('BAD_REQUEST', `${describeRef(ref)} needs a project`);
    const service = ctx.service;
    const info = service.getLayer(ref.layer);
    const last = info.levels.length - 1;
    return {
      label: `layer '${info.name}'`,
      ref: { layer: info.id },
      shape: info.shape,
      dtype: info.dtype,
      resolution: info.resolution,
      readRegion: (box) => service.readRegion(info.id, 0, box),
      readCoarsest: async () => (last > 0 ? service.readRegion(info.id, last, { min: [0, 0, 0], max: info.levels[last].shape }) : null),
      close: async () => {},
    };
  }
  const reader = await openVolume(ref.path, { dataset: ref.dataset });
  const level = reader.levels[0];
  const last = reader.levels.length - 1;
  return {
    label: ref.dataset ? `${ref.path} (${ref.dataset})` : ref.path,
    ref,
    shape: level.shape,
    dtype: reader.dtype,
    resolution: reader.resolution ?? level.resolution,
    readRegion: (box) => reader.readRegion(box, 0),
    readCoarsest: async () => (last > 0 ? reader.readRegion({ min: [0, 0, 0], max: reader.levels[last].shape }, last) : null),
    close: () => reader.close(),
  };
}

/** numpy 'reflect' (edge voxel not repeated), folded as often as needed for any size. */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - m;
}

/**
 * Reads `box`, which may reach past the volume: outside voxels are mirrored ('reflect',
 * images) or zero ('zero', labels). Only the voxels needed are read.
 */
export async function readPadded(source: VolumeSource, box: Box, mode: 'reflect' | 'zero'): Promise<VoxelArray> {
  const size = boxSize(box);
  if (size.some((s) => s <= 0)) throw new AppError('BAD_REQUEST', `empty region ${formatBox(box)}`);
  const inside = box.min.every((v, i) => v >= 0 && box.max[i] <= source.shape[i]);
  if (inside) return source.readRegion(box);
  const maps = [0, 1, 2].map((a) => {
    const m = new Int32Array(size[a]);
    for (let i = 0; i < size[a]; i++) {
      const g = box.min[a] + i;
      const inRange = g >= 0 && g < source.shape[a];
      m[i] = inRange ? g : mode === 'reflect' ? reflectIndex(g, source.shape[a]) : -1;
    }
    return m;
  });
  const lo = maps.map((m) => Math.min(...Array.from(m).filter((v) => v >= 0))) as Vec3;
  const hi = maps.map((m) => Math.max(...Array.from(m).filter((v) => v >= 0)) + 1) as Vec3;
  const out = allocate(source.dtype, voxelCount(size));
  if (lo.some((v) => !Number.isFinite(v))) return out; // entirely outside: all zero
  const read = await source.readRegion({ min: lo, max: hi });
  const [, ry, rx] = [hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]];
  const src = read as unknown as ArrayLike<number | bigint>;
  const dst = out as unknown as { [i: number]: number | bigint };
  let o = 0;
  for (let z = 0; z < size[0]; z++) {
    const mz = maps[0][z];
    for (let y = 0; y < size[1]; y++) {
      const my = maps[1][y];
      for (let x = 0; x < size[2]; x++, o++) {
        const mx = maps[2][x];
        if (mz < 0 || my < 0 || mx < 0) continue;
        dst[o] = src[((mz - lo[0]) * ry + (my - lo[1])) * rx + (mx - lo[2])];
      }
    }
  }
  return out;
}

/** Throws unless `box` lies inside the source, naming both. */
export function assertRegion(source: VolumeSource, box: Box, what: string): void {
  const ok = box.min.every((v, i) => Number.isInteger(v) && Number.isInteger(box.max[i]) && v >= 0 && box.max[i] <= source.shape[i] && v < box.max[i]);
  if (!ok) throw new AppError('BAD_REQUEST', `${what} ${formatBox(box)} is empty or outside ${source.label} (shape ${formatShape(source.shape)})`);
}

export function fullBox(shape: Vec3): Box {
  return { min: [0, 0, 0], max: [...shape] as Vec3 };
}
