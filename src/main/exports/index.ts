import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Segment, SegmentMesh } from '../../shared/api/proofreading';
import { AppError } from '../errors';
import { listSegments } from '../proofreading/segments';
import type { Project } from '../store/project';
import { assertBoxInShape, boxOfShape, boxSize, type Box, type Vec3 } from '../volumes/box';
import type { DType, VoxelArray } from '../volumes/dtypes';
import { getLayer, type LayerInfo } from '../volumes/layers';
import { openLayerReader } from '../volumes/service';
import type { LayerKind } from '../volumes/store/volume-store';
import { checkDestination, sizeOf, writeAtomically } from './atomic';
import { applyMapping, mappingLookup, mappingModeFor, readFragmentMapping, writeMappingCsv, type FragmentMapping, type MappingMode } from './mapping';
import { segmentMeshes } from './segment-meshes';
import { BUILTIN_EXPORTERS } from './writers';

/** What an exporter is given: the layer's name and voxels of the chosen region. */
export interface ExportSource {
  name: string;
  /** The exported kind: a fragment layer exported with its mapping applied is 'labels'. */
  kind: LayerKind;
  dtype: DType;
  /** Shape of the exported region. */
  shape: Vec3;
  resolution: Vec3 | null;
  chunkShape: Vec3;
  /** Reads a box in region coordinates (0 = the region's first voxel); mapped when the mapping is applied. */
  read(box: Box): Promise<VoxelArray>;
  /** Where the region starts in the layer (level-0 voxels). */
  offset: Vec3;
  /** 'fragments' exports: the fragment -> segment mapping written beside the fragment ids. */
  mapping: FragmentMapping | null;
  /** Segment rows of label layers (names, notes, status, lock); empty for images. */
  segments(): Map<number, Segment>;
  /** Meshes of chosen segments (label layers prepared for proofreading). */
  meshes(ids: number[], level?: number): Promise<SegmentMesh[]>;
}

export interface ExportContext {
  signal?: AbortSignal;
  progress?: (fraction: number, message: string) => void;
}

/** One output format. `write` produces `path` (a file or folder); the caller handles temp names. */
export interface Exporter {
  format: string;
  description: string;
  /** True when the output is a folder (side files such as the mapping go inside it). */
  folder: boolean;
  /** File name endings that imply this format, the preferred one first. */
  extensions: string[];
  /** Refuses what the format cannot hold, before anything is written. */
  check?(source: ExportSource, options: ExportOptions): void;
  write(source: ExportSource, path: string, options: ExportOptions, ctx: ExportContext): Promise<void>;
}

/** Formats by name: tiff, zarr, hdf5, n5, precomputed; plug-ins may add more. */
export const EXPORTERS = new Map<string, Exporter>(BUILTIN_EXPORTERS.map((e) => [e.format, e]));

export function registerExporter(e: Exporter): void {
  EXPORTERS.set(e.format, e);
}

/** The format a file name implies (by its ending), or null. */
export function formatFromPath(path: string): string | null {
  const lower = path.toLowerCase().replace(/[\\/]+$/, '');
  const endings = [...EXPORTERS.values()].flatMap((e) => e.extensions.map((x) => ({ x, format: e.format })));
  endings.sort((a, b) => b.x.length - a.x.length);
  return endings.find((e) => lower.endsWith(e.x))?.format ?? null;
}

export interface ExportOptions extends ExportContext {
  format: string;
  /** Region of level 0 (max exclusive); the whole layer when absent. */
  roi?: Box;
  /** Replace an existing file or folder at the destination. */
  overwrite?: boolean;
  /** Fragment layers: 'applied' (default) writes segment ids; 'fragments' writes fragment ids plus the mapping. */
  mapping?: MappingMode;
  /** zarr: 3 (default, NGFF 0.5) or 2 (NGFF 0.4). */
  zarrVersion?: 2 | 3;
  /** hdf5: dataset path (default by kind: volumes/raw, volumes/labels/neuron_ids, volumes/labels/fragments). */
  dataset?: string;
  /** hdf5: add the dataset to a copy of the existing file at the destination (which is then replaced). */
  append?: boolean;
  /** Set by exportLayer for exporters: the existing file an append starts from. */
  appendTo?: string;
  /** n5, precomputed: at most this many pyramid levels (default: all the store's rules give). */
  levels?: number;
  /** n5, precomputed, hdf5: chunk shape [z, y, x] (default: the store's choice for the region). */
  chunkShape?: Vec3;
  /** n5: block compression (default gzip). */
  compression?: 'gzip' | 'raw';
  /** precomputed: neuroglancer_uint64_sharded_v1 shards instead of one file per chunk. */
  sharded?: boolean;
  /** precomputed labels: 'compressed_segmentation' (default for uint32/uint64) or 'raw'. */
  encoding?: 'raw' | 'compressed_segmentation';
  /** precomputed labels: segments whose meshes go into `mesh/` (legacy format). */
  meshSegments?: number[];
  /** Pyramid level the meshes are built from (default: the proofreading default). */
  meshLevel?: number;
  /** Bytes of one source block (tests use small blocks to exercise block boundaries). */
  blockBytes?: number;
}

export interface ExportResult {
  path: string;
  format: string;
  layer: string;
  shape: Vec3;
  roi: Box;
  bytes: number;
  /** Fragment layers: how the mapping was exported; null for other layers. */
  mapping: MappingMode | null;
  /** Every file or folder written (the output first, then side files). */
  files: string[];
}

function segmentTable(project: Project, layer: LayerInfo): Map<number, Segment> {
  const table = new Map<number, Segment>();
  if (layer.kind !== 'labels' && layer.kind !== 'fragments') return table;
  const { segments } = listSegments(project.db, layer.id, layer.kind === 'fragments', { includeEmpty: true, limit: Number.MAX_SAFE_INTEGER });
  for (const s of segments) table.set(s.id, s);
  return table;
}

/**
 * Exports a layer (or a region of it) in a registered format. The output is written under a
 * temporary name beside `outPath` and renamed into place only when complete, so a cancelled
 * or failed export never leaves a partial file under the requested name; a full disk gives
 * NO_SPACE. Fragment layers are exported with their mapping applied (segment ids), or as
 * fragment ids plus the mapping (`mapping: 'fragments'`): `mapping.csv` inside folder formats,
 * `OUT.mapping.csv` beside single files (HDF5 also holds it as `fragment_segment_lut`).
 */
export async function exportLayer(project: Project, layerIdOrName: string, outPath: string, opts: ExportOptions): Promise<ExportResult> {
  const exporter = EXPORTERS.get(opts.format);
  if (!exporter) throw new AppError('UNSUPPORTED', `export format '${opts.format}' is not supported (available: ${[...EXPORTERS.keys()].join(', ')})`);
  const layer: LayerInfo = getLayer(project, layerIdOrName);
  const path = resolve(outPath);
  const mode = mappingModeFor(layer, opts.mapping);
  const sideFile = mode === 'fragments' && !exporter.folder ? `${path}.mapping.csv` : null;
  const appending = opts.append === true && opts.format === 'hdf5' && existsSync(path) && statSync(path).isFile();
  checkDestination({ path, sideFiles: sideFile ? [sideFile] : [] }, { overwrite: opts.overwrite, existingMainOk: appending });
  const roi = opts.roi ?? boxOfShape(layer.shape);
  assertBoxInShape(roi, layer.shape, `layer '${layer.name}'`);

  const mapping = mode ? readFragmentMapping(project, layer) : null;
  const lookup = mode === 'applied' && mapping ? mappingLookup(mapping) : null;
  const reader = await openLayerReader(project, layer);
  try {
    const source: ExportSource = {
      name: layer.name,
      kind: mode === 'applied' ? 'labels' : layer.kind,
      dtype: layer.dtype,
      shape: boxSize(roi),
      resolution: layer.resolutionKnown ? layer.resolution : null,
      chunkShape: layer.chunkShape,
      offset: [...roi.min] as Vec3,
      mapping: mode === 'fragments' ? mapping : null,
      read: async (box) => {
        const data = await reader.readRegion({ min: box.min.map((v, i) => v + roi.min[i]) as Vec3, max: box.max.map((v, i) => v + roi.min[i]) as Vec3 }, 0);
        return lookup ? applyMapping(data, lookup) : data;
      },
      segments: () => segmentTable(project, layer),
      meshes: (ids, level) => segmentMeshes(project, layer.id, ids, { level, signal: opts.signal }),
    };
    exporter.check?.(source, opts);
    await writeAtomically({ path, sideFiles: sideFile ? [sideFile] : [] }, { overwrite: opts.overwrite || appending, signal: opts.signal }, async (tmp) => {
      await exporter.write(source, tmp.path, { ...opts, appendTo: appending ? path : undefined }, opts);
      if (mode === 'fragments' && mapping) await writeMappingCsv(exporter.folder ? join(tmp.path, 'mapping.csv') : tmp.sideFiles[0], mapping);
    });
  } finally {
    await reader.close();
  }
  opts.progress?.(1, 'done');
  return {
    path,
    format: opts.format,
    layer: layer.name,
    shape: boxSize(roi),
    roi,
    bytes: await sizeOf(path),
    mapping: mode,
    files: [path, ...(sideFile ? [sideFile] : [])],
  };
}
