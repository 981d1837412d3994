import { resolve } from 'node:path';
import { JSON_OPTION, parseIntOption, parseTriple, type CliCommand } from '../cli/command';
import { ensureIndexed, withProofreading } from '../cli/commands/proofreading-session';
import type { CliIO } from '../cli/io';
import { runJob } from '../cli/jobs';
import { AppError } from '../errors';
import { requireLabelLayerInfo } from '../proofreading/label-layer';
import { segmentRow } from '../proofreading/ops/context';
import { resolveModel } from '../pipeline/models';
import { Project } from '../store/project';
import { formatShape, parseRoi } from '../volumes/box';
import { getLayer } from '../volumes/layers';
import { EXPORTERS, formatFromPath, type ExportResult } from './index';
import type { MeshExportResult } from './mesh-files';
import type { ModelExportResult } from './model-export';
import { segmentTableFormat, type SegmentTableResult } from './segment-table';
import { EXPORT_TASKS } from './tasks';

/** "1,2,3" -> [1, 2, 3] (positive integers). */
export function parseIdList(text: string | undefined, what: string): number[] | undefined {
  if (text === undefined) return undefined;
  const ids = text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map(Number);
  if (ids.length === 0 || ids.some((n) => !Number.isInteger(n) || n <= 0)) throw new AppError('BAD_REQUEST', `${what} must be segment ids like 1,2,3 (got "${text}")`);
  return ids;
}

export const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e5 ? 3 : 1)} MB`;

export const exportSegmentsCommand: CliCommand = {
  name: 'export-segments',
  summary: 'Export the segment table of a label or fragment layer as CSV or JSON.',
  args: ['DIR', 'LAYER', 'OUT'],
  options: {
    format: { type: 'string', description: 'csv or json (default: from OUT\'s extension)' },
    'include-empty': { type: 'boolean', description: 'also list segments merged away (0 voxels)' },
    overwrite: { type: 'boolean', description: 'replace OUT if it exists' },
    ...JSON_OPTION,
  },
  details: [
    'Columns: id, name, color (#rrggbb; empty = the viewer\'s hashed colour), status, notes, voxel_count, locked,',
    'and fragment_ids (space-separated) for fragment layers. JSON holds the same fields per segment.',
    'The first use of a layer counts its voxels (a pass over the layer).',
  ].join('\n'),
  async run({ positionals, values }, io) {
    const [dir, layerRef, out] = positionals;
    const format = segmentTableFormat(out, values.format as string | undefined);
    return withProofreading(dir, async (service, project) => {
      const info = requireLabelLayerInfo(project, layerRef);
      await ensureIndexed(service, info.id, io);
      const params = { layerId: info.id, path: resolve(out), format, includeEmpty: values['include-empty'] === true, overwrite: values.overwrite === true };
      const r = await runJob<SegmentTableResult>(project, EXPORT_TASKS.segments, params, io, `Exporting the segments of ${info.name}`);
      if (values.json) io.json(r);
      else io.out(`wrote ${r.path} (${r.segments} segments, ${r.format}, ${mb(r.bytes)})`);
      return 0;
    });
  },
};

export const exportMeshesCommand: CliCommand = {
  name: 'export-meshes',
  summary: 'Export meshes of chosen segments as PLY (binary) or OBJ, in nanometres.',
  args: ['DIR', 'LAYER', 'OUT'],
  options: {
    segments: { type: 'string', description: 'segment ids, e.g. 1,2,3 (required)' },
    format: { type: 'string', description: 'ply or obj', default: 'ply' },
    merged: { type: 'boolean', description: 'one file OUT holding every segment (default: one file per segment in the folder OUT)' },
    level: { type: 'string', description: 'pyramid level to mesh (default: the finest with at most 2^26 voxels)' },
    overwrite: { type: 'boolean', description: 'replace existing files' },
    ...JSON_OPTION,
  },
  details: [
    'Surfaces are closed and consistently oriented (counter-clockwise seen from outside), vertices welded.',
    'Per-segment files are named <layer>_<id>.<format>. A merged PLY has a segment_id per vertex;',
    'a merged OBJ has one object segment_<id> per segment.',
  ].join('\n'),
  async run({ positionals, values }, io) {
    const [dir, layerRef, out] = positionals;
    const segments = parseIdList(values.segments as string | undefined, '--segments');
    if (!segments) throw new AppError('BAD_REQUEST', 'give the segments to export, e.g. --segments 1,2,3');
    const format = String(values.format ?? 'ply');
    if (format !== 'ply' && format !== 'obj') throw new AppError('BAD_REQUEST', `--format must be ply or obj (got "${format}")`);
    const level = parseIntOption(values.level as string | undefined, '--level', 0, 15);
    return withProofreading(dir, async (service, project) => {
      const info = requireLabelLayerInfo(project, layerRef);
      await ensureIndexed(service, info.id, io);
      const missing = segments.filter((id) => !segmentRow(project.db, info.id, id)?.voxel_count);
      if (missing.length) throw new AppError('NOT_FOUND', `segment${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of layer '${info.name}' ha${missing.length > 1 ? 've' : 's'} no voxels`);
      const params = { layerId: info.id, path: resolve(out), segments, format, merged: values.merged === true, level, overwrite: values.overwrite === true };
      const r = await runJob<MeshExportResult>(project, EXPORT_TASKS.meshes, params, io, `Exporting meshes of ${info.name}`);
      if (values.json) io.json(r);
      else {
        for (const s of r.segments) io.out(`segment ${s.id}: ${s.vertices} vertices, ${s.triangles} triangles`);
        io.out(`wrote ${r.files.length === 1 ? r.files[0] : `${r.files.length} files in ${resolve(out)}`} (${r.format}, level ${r.level}, ${mb(r.bytes)})`);
      }
      return 0;
    });
  },
};

export const exportModelCommand: CliCommand = {
  name: 'export-model',
  summary: 'Export a project model as a standalone ONNX file with its normalisation folded in.',
  args: ['DIR', 'MODEL', 'OUT'],
  options: {
    crop: { type: 'string', description: 'input crop z,y,x (default: the crop the model was trained with)' },
    logits: { type: 'boolean', description: 'output logits instead of sigmoid probabilities' },
    'skip-verify': { type: 'boolean', description: 'do not compare the file with the engine on one crop' },
    overwrite: { type: 'boolean', description: 'replace OUT (and OUT.data) if they exist' },
    ...JSON_OPTION,
  },
  details: [
    'MODEL is a model id or name from the project\'s model library. The file takes raw voxel values as float32',
    '(input "raw", shape [1, 1, z, y, x]); (raw - offset) / scale runs inside the graph, and the normalisation,',
    'preset, config and provenance are in the ONNX metadata_props. Opset 26 with com.microsoft LinearAttention:',
    'onnxruntime 1.2x or later. Models over 1 GiB of weights keep them in OUT.data (ONNX external data).',
  ].join('\n'),
  async run({ positionals, values }, io) {
    const [dir, model, out] = positionals;
    const project = Project.open(dir);
    try {
      resolveModel(project, model); // unknown models fail here, before a job starts
      const params = {
        model,
        path: resolve(out),
        crop: parseTriple(values.crop as string | undefined, '--crop'),
        output: values.logits ? 'logits' : 'probs',
        verify: values['skip-verify'] !== true,
        overwrite: values.overwrite === true,
      };
      const r = await runJob<ModelExportResult>(project, EXPORT_TASKS.model, params, io, `Exporting model ${model}`);
      if (values.json) io.json(r);
      else {
        const check = r.maxAbsDifference === null ? 'not checked' : `matches the engine (max |difference| ${r.maxAbsDifference.toExponential(2)})`;
        io.out(`wrote ${r.files.join(' + ')} (${mb(r.bytes)}): input ${r.input.name} [${r.input.shape.join(', ')}], output ${r.output.name} [${r.output.shape.join(', ')}], ${check}`);
      }
      return 0;
    } finally {
      project.close();
    }
  },
};

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
