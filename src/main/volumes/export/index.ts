import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { AppError } from '../../errors';
import type { Project } from '../../store/project';
import { assertBoxInShape, boxOfShape, boxSize, type Box, type Vec3 } from '../box';
import type { DType, VoxelArray } from '../dtypes';
import { getLayer, type LayerInfo } from '../layers';
import { openLayerReader } from '../service';
import { buildStore } from '../store/build';
import type { LayerKind } from '../store/volume-store';
import { writeBigTiff } from './tiff-writer';

/** What an exporter is given: the layer's name and voxels of the chosen region. */
export interface ExportSource {
  name: string;
  kind: LayerKind;
  dtype: DType;
  /** Shape of the exported region. */
  shape: Vec3;
  resolution: Vec3 | null;
  chunkShape: Vec3;
  /** Reads a box in region coordinates (0 = the region's first voxel). */
  read(box: Box): Promise<VoxelArray>;
}

export interface ExportContext {
  signal?: AbortSignal;
  progress?: (fraction: number, message: string) => void;
}

/** One output format. `write` produces `path` (a file or folder); the caller handles temp names. */
export interface Exporter {
  format: string;
  description: string;
  write(source: ExportSource, path: string, options: Record<string, unknown>, ctx: ExportContext): Promise<void>;
}

const tiffExporter: Exporter = {
  format: 'tiff',
  description: 'multi-page BigTIFF, one page per z section, deflate, any voxel type',
  write: (src, path, _opts, ctx) =>
    writeBigTiff(path, { dtype: src.dtype, shape: src.shape, resolution: src.resolution, sourceChunkShape: src.chunkShape }, src.read, ctx),
};

const zarrExporter: Exporter = {
  format: 'zarr',
  description: 'OME-Zarr multiscale with pyramid: Zarr v3 / NGFF 0.5 by default, zarrVersion 2 gives Zarr v2 / NGFF 0.4',
  write: async (src, path, opts, ctx) => {
    const zarrVersion = opts.zarrVersion === 2 ? 2 : 3;
    await buildStore(path, { dtype: src.dtype, shape: src.shape, resolution: src.resolution ?? [1, 1, 1], kind: src.kind, name: src.name, zarrVersion }, src.read, ctx);
  },
};

/** Formats by name; later formats (HDF5, N5, precomputed) register here. */
export const EXPORTERS = new Map<string, Exporter>([
  [tiffExporter.format, tiffExporter],
  [zarrExporter.format, zarrExporter],
]);

export function registerExporter(e: Exporter): void {
  EXPORTERS.set(e.format, e);
}

export interface ExportOptions extends ExportContext {
  format: string;
  /** Region of level 0 (max exclusive); the whole layer when absent. */
  roi?: Box;
  /** Replace an existing file or folder at the destination. */
  overwrite?: boolean;
  /** Format-specific options (zarr: zarrVersion 2 | 3). */
  [option: string]: unknown;
}

export interface ExportResult {
  path: string;
  format: string;
  layer: string;
  shape: Vec3;
  roi: Box;
  bytes: number;
}

async function sizeOf(path: string): Promise<number> {
  const s = await stat(path);
  if (!s.isDirectory()) return s.size;
  let total = 0;
  for (const e of await readdir(path, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) total += (await stat(join(e.parentPath, e.name))).size;
  }
  return total;
}

/**
 * Exports a layer (or a region of it) in a registered format. The output is written under a
 * temporary name beside `outPath` and renamed into place only when complete, so a cancelled
 * or failed export never leaves a partial file under the requested name.
 */
export async function exportLayer(project: Project, layerIdOrName: string, outPath: string, opts: ExportOptions): Promise<ExportResult> {
  const exporter = EXPORTERS.get(opts.format);
  if (!exporter) throw new AppError('UNSUPPORTED', `export format '${opts.format}' is not supported (available: ${[...EXPORTERS.keys()].join(', ')})`);
  const layer: LayerInfo = getLayer(project, layerIdOrName);
  const path = resolve(outPath);
  if (!existsSync(dirname(path))) throw new AppError('NOT_FOUND', `folder ${dirname(path)} does not exist`);
  if (existsSync(path) && !opts.overwrite) throw new AppError('CONFLICT', `${path} already exists; choose another name or allow overwriting`);
  const roi = opts.roi ?? boxOfShape(layer.shape);
  assertBoxInShape(roi, layer.shape, `layer '${layer.name}'`);
  const reader = await openLayerReader(project, layer);
  const tmp = join(dirname(path), `.${basename(path)}.partial-${randomBytes(4).toString('hex')}`);
  try {
    const source: ExportSource = {
      name: layer.name,
      kind: layer.kind,
      dtype: layer.dtype,
      shape: boxSize(roi),
      resolution: layer.resolutionKnown ? layer.resolution : null,
      chunkShape: layer.chunkShape,
      read: (box) =>
        reader.readRegion({ min: box.min.map((v, i) => v + roi.min[i]) as Vec3, max: box.max.map((v, i) => v + roi.min[i]) as Vec3 }, 0),
    };
    await exporter.write(source, tmp, opts, opts);
    if (opts.overwrite) await rm(path, { recursive: true, force: true });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    if ((err as NodeJS.ErrnoException).code === 'ENOSPC') throw new AppError('NO_SPACE', `no space left writing ${path}; nothing was written`);
    throw err;
  } finally {
    await reader.close();
  }
  opts.progress?.(1, 'done');
  return { path, format: opts.format, layer: layer.name, shape: boxSize(roi), roi, bytes: await sizeOf(path) };
}
