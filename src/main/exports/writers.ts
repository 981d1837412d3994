import { AppError } from '../errors';
import type { Vec3 } from '../volumes/box';
import { buildStore } from '../volumes/store/build';
import { downsampleMethodFor, type LayerKind } from '../volumes/store/volume-store';
import { writeHdf5 } from './hdf5-writer';
import type { Exporter, ExportOptions, ExportSource } from './index';
import { mappingLookup } from './mapping';
import { planExportLevels, writeMultiscale } from './multiscale';
import { N5Sink } from './n5-writer';
import { countIds, segmentProperties, writeLegacyMeshes, writeSegmentProperties, type IdCounts } from './precomputed-segments';
import { assertPrecomputedDType, PrecomputedSink, type PrecomputedEncoding } from './precomputed-writer';
import { writeBigTiff } from './tiff-writer';

/** The built-in export formats. */

const UNKNOWN_RESOLUTION: Vec3 = [1, 1, 1];

const tiffExporter: Exporter = {
  format: 'tiff',
  description: 'multi-page BigTIFF, one page per z section, deflate, any voxel type',
  folder: false,
  extensions: ['.tif', '.tiff'],
  write: (src, path, opts, ctx) =>
    writeBigTiff(path, { dtype: src.dtype, shape: src.shape, resolution: src.resolution, sourceChunkShape: src.chunkShape }, src.read, { ...ctx, blockBytes: opts.blockBytes }),
};

const zarrExporter: Exporter = {
  format: 'zarr',
  description: 'OME-Zarr multiscale with pyramid: Zarr v3 / NGFF 0.5 by default, zarrVersion 2 gives Zarr v2 / NGFF 0.4',
  folder: true,
  extensions: ['.ome.zarr', '.zarr'],
  write: async (src, path, opts, ctx) => {
    const zarrVersion = opts.zarrVersion === 2 ? 2 : 3;
    await buildStore(
      path,
      { dtype: src.dtype, shape: src.shape, resolution: src.resolution ?? UNKNOWN_RESOLUTION, kind: src.kind, name: src.name, zarrVersion, chunkShape: opts.chunkShape, maxLevels: opts.levels },
      src.read,
      { ...ctx, blockBytes: opts.blockBytes },
    );
  },
};

/** CREMI dataset paths by exported kind. */
export function defaultHdf5Dataset(kind: LayerKind): string {
  switch (kind) {
    case 'labels':
      return 'volumes/labels/neuron_ids';
    case 'fragments':
      return 'volumes/labels/fragments';
    case 'affinities':
      return 'volumes/predictions/affinities';
    default:
      return 'volumes/raw';
  }
}

const hdf5Exporter: Exporter = {
  format: 'hdf5',
  description: 'HDF5 in CREMI layout (volumes/raw, volumes/labels/neuron_ids), chunked, gzip, resolution and offset attributes in nm',
  folder: false,
  extensions: ['.h5', '.hdf5', '.hdf'],
  check: (_src, opts) => {
    if (opts.dataset !== undefined && !/^[\w.\-/]+$/.test(opts.dataset)) throw new AppError('BAD_REQUEST', `HDF5 dataset path "${opts.dataset}" may hold only letters, digits, _ . - and /`);
  },
  write: (src, path, opts, ctx) =>
    writeHdf5(
      path,
      {
        dtype: src.dtype,
        shape: src.shape,
        resolution: src.resolution,
        offset: src.offset,
        dataset: opts.dataset ?? defaultHdf5Dataset(src.kind),
        chunkShape: opts.chunkShape ?? src.chunkShape,
        mapping: src.mapping ?? undefined,
        appendTo: opts.appendTo,
      },
      src.read,
      { ...ctx, blockBytes: opts.blockBytes },
    ),
};

function levelsOf(src: ExportSource, opts: ExportOptions) {
  return planExportLevels(src.shape, src.resolution ?? UNKNOWN_RESOLUTION, { chunkShape: opts.chunkShape, maxLevels: opts.levels });
}

const n5Exporter: Exporter = {
  format: 'n5',
  description: 'N5 multiscale group s0, s1, ... (n5-viewer / Paintera / BigDataViewer attributes), gzip blocks, with pyramid',
  folder: true,
  extensions: ['.n5'],
  write: async (src, path, opts, ctx) => {
    const levels = levelsOf(src, opts);
    const sink = await N5Sink.create(path, {
      dtype: src.dtype,
      levels,
      offset: src.offset,
      compression: opts.compression ?? 'gzip',
      attributes: { name: src.name, tokenunify: { kind: src.kind, resolutionKnown: src.resolution !== null, mapping: src.mapping ? 'mapping.csv' : null } },
    });
    await writeMultiscale(levels, src.dtype, downsampleMethodFor(src.kind), sink, src.read, { ...ctx, blockBytes: opts.blockBytes });
  },
};

function precomputedEncoding(src: ExportSource, opts: ExportOptions): PrecomputedEncoding {
  const segmentation = src.kind === 'labels' || src.kind === 'fragments';
  const canCompress = segmentation && (src.dtype === 'uint32' || src.dtype === 'uint64');
  if (opts.encoding === 'compressed_segmentation' && !canCompress) {
    throw new AppError('BAD_REQUEST', `compressed_segmentation encodes uint32/uint64 label layers; '${src.name}' is a ${src.dtype} ${src.kind} layer (use raw)`);
  }
  return opts.encoding ?? (canCompress ? 'compressed_segmentation' : 'raw');
}

const precomputedExporter: Exporter = {
  format: 'precomputed',
  description:
    'neuroglancer precomputed with pyramid: raw or compressed_segmentation, optionally sharded; label layers get segment_properties (names, notes, status, voxel counts; fragment -> segment) and optionally meshes',
  folder: true,
  extensions: ['.precomputed'],
  check: (src, opts) => {
    assertPrecomputedDType(src.dtype, src.name);
    precomputedEncoding(src, opts);
    const segmentation = src.kind === 'labels' || src.kind === 'fragments';
    if (opts.meshSegments?.length && !segmentation) throw new AppError('BAD_REQUEST', `meshes go with label layers; '${src.name}' is an ${src.kind} layer`);
    if (opts.meshSegments?.length && src.mapping) {
      throw new AppError('BAD_REQUEST', `meshes are per segment: export '${src.name}' with its mapping applied to include them (a fragments export has fragment ids)`);
    }
  },
  write: async (src, path, opts, ctx) => {
    const segmentation = src.kind === 'labels' || src.kind === 'fragments';
    const levels = levelsOf(src, opts);
    const sink = await PrecomputedSink.create(path, {
      dtype: src.dtype,
      levels,
      type: segmentation ? 'segmentation' : 'image',
      encoding: precomputedEncoding(src, opts),
      sharded: opts.sharded === true,
      offset: src.offset,
    });
    const counts: IdCounts = new Map();
    const meshing = (opts.meshSegments?.length ?? 0) > 0;
    const dataShare = meshing ? 0.8 : 1;
    await writeMultiscale(levels, src.dtype, downsampleMethodFor(src.kind), sink, src.read, {
      signal: ctx.signal,
      progress: (f, m) => ctx.progress?.(f * dataShare, m),
      blockBytes: opts.blockBytes,
      onLevel0Chunk: segmentation ? (d) => countIds(d, counts) : undefined,
    });
    if (!segmentation) return;
    const properties = segmentProperties({ counts, segments: src.segments(), fragmentToSegment: src.mapping ? mappingLookup(src.mapping) : undefined });
    const extra: Record<string, unknown> = { segment_properties: await writeSegmentProperties(path, properties) };
    if (meshing) {
      ctx.progress?.(dataShare, `meshing ${opts.meshSegments!.length} segment(s)`);
      extra.mesh = await writeLegacyMeshes(path, await src.meshes(opts.meshSegments!, opts.meshLevel));
    }
    await sink.addInfo(extra);
  },
};

export const BUILTIN_EXPORTERS: Exporter[] = [tiffExporter, zarrExporter, hdf5Exporter, n5Exporter, precomputedExporter];
