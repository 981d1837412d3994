import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseIntOption, parseTriple, type CliCommand, JSON_OPTION } from '../cli/command';
import type { CliIO } from '../cli/io';
import { runJob } from '../cli/jobs';
import { AppError } from '../errors';
import { Project, PROJECT_DB } from '../store/project';
import { formatShape, parseRoi } from './box';
import { cleanupInterruptedImports, importVolume, type ImportResult } from './import';
import { getLayer, listLayers, type LayerInfo } from './layers';
import { detectFormat, openVolume } from './readers/open';
import type { LayerKind } from './store/volume-store';

/**
 * CLI glue for the volume command `import` and the layer rows of `info --json`.
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
