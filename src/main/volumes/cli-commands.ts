import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseIntOption, parseTriple, type CliCommand, JSON_OPTION } from '../cli/command';
import type { CliIO } from '../cli/io';
import { runJob } from '../cli/jobs';
import { AppError } from '../errors';
import { Project, PROJECT_DB } from '../store/project';
import { formatShape, parseRoi } from './box';
import { mb, parseIdList } from './export/cli';
import { EXPORTERS, formatFromPath, type ExportResult } from './export/index';
import { EXPORT_TASKS } from './export/tasks';
import { cleanupInterruptedImports, importVolume, type ImportResult } from './import';
import { getLayer, listLayers, type LayerInfo } from './layers';
import { detectFormat, openVolume } from './readers/open';
import type { LayerKind } from './store/volume-store';

/**
 * CLI glue for the volume commands (`import`, `export`) and the layer rows of `info --json`.
 * The commands follow the CLI's CliCommand shape; long work runs as jobs with a progress bar.
 */

const CHUNKED_FORMATS = new Set(['zarr', 'n5', 'precomputed']);

/** Opens DIR as a project, creating it when DIR does not exist or is empty. */
function openOrCreateProject(dir: string, io: CliIO): Project {
  const root = resolve(dir);
  if (existsSync(join(root, PROJECT_DB))) return Project.open(root);
  if (!existsSync(root) || readdirSync(root).filter((n) => !n.startsWith('.')).length === 0) {
    const p = Project.create(root);
    io.err(`created project ${root}`);
    return p;
  }
  return Project.open(root);
}

/** Layer rows for `info --json` and listings: shape, dtype, resolution and levels in full. */
export function layersReport(project: Project): {
  id: string;
  name: string;
  kind: string;
  source: string;
  format: string;
  dtype: string;
  shape: number[];
  resolution: number[];
  resolutionKnown: boolean;
  chunkShape: number[];
  levels: { shape: number[]; chunkShape: number[]; resolution: number[]; factors: number[] }[];
  editable: boolean;
  uri: string;
}[] {
  return listLayers(project).map((l) => ({
    id: l.id,
    name: l.name,
    kind: l.kind,
    source: l.source,
    format: l.format,
    dtype: l.dtype,
    shape: l.shape,
    resolution: l.resolution,
    resolutionKnown: l.resolutionKnown,
    chunkShape: l.chunkShape,
    levels: l.levels,
    editable: l.editable,
    uri: l.uri,
  }));
}

export function describeLayer(l: LayerInfo): string {
  const res = `${l.resolution.join('x')} nm${l.resolutionKnown ? '' : ' (unknown: voxels)'}`;
  return `'${l.name}' ${l.kind} ${l.dtype} ${formatShape(l.shape)}, ${res}, ${l.levels.length} level(s), chunks ${formatShape(l.chunkShape)}, ${l.source === 'store' ? 'in the project store' : `read in place from ${l.uri}`}`;
}

export const importCliCommand: CliCommand = {
  name: 'import',
  summary: 'Import a volume (TIFF stack, PNG/TIFF folder, HDF5, Zarr, N5, precomputed) as an image or label layer.',
  args: ['DIR', 'PATH'],
  options: {
    as: { type: 'string', description: 'layer kind: image or labels', default: 'image' },
    name: { type: 'string', description: 'layer name (default: the file name)' },
    dataset: { type: 'string', description: 'dataset inside an HDF5/Zarr/N5 container (e.g. volumes/raw)' },
    resolution: { type: 'string', description: 'voxel size z,y,x in nm (overrides the file metadata)' },
    'in-place': { type: 'boolean', description: 'read a chunked source (Zarr, N5, precomputed) where it is (the default for those)' },
    copy: { type: 'boolean', description: 'convert a chunked source into the project store instead of reading it in place' },
    ...JSON_OPTION,
  },
  details: [
    'DIR is created as a new project when it does not exist or is empty.',
    'TIFF, PNG and HDF5 sources are converted into the project store (OME-Zarr with a pyramid);',
    'Zarr, N5 and precomputed sources are read in place unless --copy is given.',
    'Without --resolution and without voxel size metadata the layer is stored with 1x1x1 nm voxels (a warning says so).',
  ].join('\n'),
  async run({ positionals, values }, io) {
    const kind = String(values.as ?? 'image');
    if (kind !== 'image' && kind !== 'labels') throw new AppError('BAD_REQUEST', `--as must be image or labels (got "${kind}")`);
    const path = resolve(positionals[1]);
    const format = detectFormat(path);
    if (values['in-place'] && values.copy) throw new AppError('BAD_REQUEST', '--in-place and --copy exclude each other');
    const inPlace = values['in-place'] === true || (CHUNKED_FORMATS.has(format) && values.copy !== true);
    if (inPlace && !CHUNKED_FORMATS.has(format)) throw new AppError('BAD_REQUEST', `${path} is ${format}, which is not chunked; import it without --in-place`);
    const name = (values.name as string | undefined) ?? defaultName(path, values.dataset as string | undefined);
    const params = {
      path,
      kind: kind as LayerKind,
      name,
      dataset: values.dataset as string | undefined,
      resolution: parseTriple(values.resolution as string | undefined, '--resolution'),
      inPlace,
    };
    // Open the source here first: bad paths and formats fail with their own code before a job starts.
    await (await openVolume(path, { dataset: params.dataset, kind })).close();
    const project = openOrCreateProject(positionals[0], io);
    try {
      await cleanupInterruptedImports(project);
      const started = Date.now();
      const result: ImportResult = inPlace ? await importVolume(project, params) : await runJob<ImportResult>(project, 'volumes.import', params, io, `Importing ${name}`);
      for (const w of result.warnings) io.err(`warning: ${w}`);
      if (values.json) io.json({ layer: result.layer, warnings: result.warnings, seconds: (Date.now() - started) / 1000 });
      else io.out(`${inPlace ? 'opened' : 'imported'} ${describeLayer(result.layer)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return 0;
    } finally {
      project.close();
    }
  },
};

function defaultName(path: string, dataset: string | undefined): string {
  const base = dataset ? dataset.split('/').filter(Boolean).pop()! : path.split(/[\\/]/).filter(Boolean).pop()!;
  return base.replace(/\.(ome\.zarr|zarr|n5|tiff?|png|h5|hdf5?)$/i, '') || 'layer';
}

export const exportCliCommand: CliCommand = {
  name: 'export',
  summary: 'Export a layer (or a region) to BigTIFF, HDF5 (CREMI), OME-Zarr, N5 or neuroglancer precomputed.',
  args: ['DIR', 'LAYER', 'OUT'],
  options: {
    format: { type: 'string', description: "tiff, hdf5, zarr, n5 or precomputed (default: from OUT's extension: .tif .h5 .zarr .n5 .precomputed)" },
    roi: { type: 'string', description: 'region z0:z1,y0:y1,x0:x1 of level 0 (empty bounds = whole axis)' },
    fragments: { type: 'boolean', description: 'fragment layers: write fragment ids plus the mapping (default: the mapping applied, segment ids)' },
    'zarr-version': { type: 'string', description: 'zarr export: 3 (OME-Zarr NGFF 0.5) or 2 (NGFF 0.4)', default: '3' },
    dataset: { type: 'string', description: 'hdf5: dataset path (default CREMI: volumes/raw, volumes/labels/neuron_ids, volumes/labels/fragments)' },
    append: { type: 'boolean', description: 'hdf5: add the dataset to the existing file OUT (e.g. labels next to raw)' },
    levels: { type: 'string', description: 'n5, precomputed, zarr: at most this many pyramid levels' },
    sharded: { type: 'boolean', description: 'precomputed: write neuroglancer_uint64_sharded_v1 shards' },
    encoding: { type: 'string', description: 'precomputed labels: compressed_segmentation (default for uint32/uint64) or raw' },
    meshes: { type: 'string', description: 'precomputed labels: segment ids whose meshes go into mesh/ (e.g. 1,2,3)' },
    overwrite: { type: 'boolean', description: 'replace OUT if it exists' },
    ...JSON_OPTION,
  },
  details: [
    'The output is written under a temporary name and renamed when complete; a full disk fails with NO_SPACE and leaves nothing.',
    'Fragment layers with --fragments: OUT.mapping.csv beside single files (TIFF, HDF5; HDF5 also holds',
    'volumes/labels/fragment_segment_lut), mapping.csv inside folders (Zarr, N5, precomputed; precomputed',
    'segment_properties also give each fragment its segment). See docs/exports.md.',
  ].join('\n'),
  async run({ positionals, values }, io) {
    const out = resolve(positionals[2]);
    const format = (values.format as string | undefined) ?? formatFromPath(out);
    if (!format) throw new AppError('BAD_REQUEST', `give --format tiff, hdf5, zarr, n5 or precomputed (cannot tell from "${positionals[2]}")`);
    if (!EXPORTERS.has(format)) throw new AppError('BAD_REQUEST', `--format must be one of ${[...EXPORTERS.keys()].join(', ')} (got "${format}")`);
    const zv = values['zarr-version'] as string | undefined;
    if (zv !== undefined && zv !== '2' && zv !== '3') throw new AppError('BAD_REQUEST', `--zarr-version must be 2 or 3 (got "${zv}")`);
    const encoding = values.encoding as string | undefined;
    if (encoding !== undefined && encoding !== 'raw' && encoding !== 'compressed_segmentation') throw new AppError('BAD_REQUEST', `--encoding must be raw or compressed_segmentation (got "${encoding}")`);
    const project = Project.open(positionals[0]);
    try {
      const layer = getLayer(project, positionals[1]);
      const roi = values.roi ? parseRoi(String(values.roi), layer.shape) : undefined;
      const params = {
        layerId: layer.id,
        path: out,
        format,
        roi,
        mapping: values.fragments ? 'fragments' : undefined,
        overwrite: values.overwrite === true,
        zarrVersion: zv === '2' ? 2 : 3,
        dataset: values.dataset as string | undefined,
        append: values.append === true,
        levels: parseIntOption(values.levels as string | undefined, '--levels', 1, 16),
        sharded: values.sharded === true,
        encoding,
        meshSegments: parseIdList(values.meshes as string | undefined, '--meshes'),
      };
      const result = await runJob<ExportResult>(project, EXPORT_TASKS.volume, params, io, `Exporting ${layer.name}`);
      if (values.json) io.json(result);
      else io.out(`wrote ${result.files.join(' + ')} (${format}, ${formatShape(result.shape)}${result.mapping ? `, mapping ${result.mapping}` : ''}, ${mb(result.bytes)})`);
      return 0;
    } finally {
      project.close();
    }
  },
};
