import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PartialHandlers } from '../api/router';
import { AppError } from '../errors';
import { requireLabelLayerInfo } from '../proofreading/label-layer';
import { layerState } from '../proofreading/ops/context';
import { findModel } from '../pipeline/models';
import type { Project } from '../store/project';
import { getLayer } from '../volumes/layers';
import { checkDestination } from './atomic';
import { EXPORTERS } from './index';
import { mappingModeFor } from './mapping';
import { EXPORT_TASKS } from './tasks';

/**
 * API glue for the exports: each method checks what it cheaply can (layer, destination, mode)
 * so mistakes come back at once, then starts the job; the job's result is the export summary.
 */

function requireIndexed(project: Project, layerId: string): { id: string; name: string } {
  const info = requireLabelLayerInfo(project, layerId);
  if (!layerState(project.db, info.id)?.indexedAt) {
    throw new AppError('CONFLICT', `layer '${info.name}' has no voxel counts yet; open its segment list first (that counts them), then export`);
  }
  return info;
}

export const exportHandlers: PartialHandlers = {
  'exports.formats': () => [...EXPORTERS.values()].map((e) => ({ format: e.format, description: e.description, folder: e.folder, extensions: e.extensions })),

  'exports.volume': (p, ctx) => {
    const project = ctx.requireProject();
    const layer = getLayer(project, p.layerId);
    mappingModeFor(layer, p.mapping);
    const appending = p.append === true && p.format === 'hdf5' && existsSync(resolve(p.path));
    checkDestination({ path: resolve(p.path) }, { overwrite: p.overwrite, existingMainOk: appending });
    const region = p.roi ? ' (region)' : '';
    const title = `Export ${layer.name} as ${p.format}${region}`;
    // Requests 'layers.export' could express keep its job kind ('volumes.export'); both run exportLayer.
    const { layerId: _l, path, format, roi, overwrite, zarrVersion, ...extras } = p;
    const plain = (format === 'tiff' || format === 'zarr') && layer.kind !== 'fragments' && Object.values(extras).every((v) => v === undefined);
    if (plain) return ctx.jobs.start(project, 'volumes.export', { layerId: layer.id, path, format, roi, overwrite, zarrVersion }, { title });
    return ctx.jobs.start(project, EXPORT_TASKS.volume, { ...p, layerId: layer.id }, { title });
  },

  'exports.segments': (p, ctx) => {
    const project = ctx.requireProject();
    const info = requireIndexed(project, p.layerId);
    checkDestination({ path: resolve(p.path) }, { overwrite: p.overwrite });
    return ctx.jobs.start(project, EXPORT_TASKS.segments, { ...p, layerId: info.id }, { title: `Export the segment table of ${info.name}` });
  },

  'exports.meshes': (p, ctx) => {
    const project = ctx.requireProject();
    const info = requireIndexed(project, p.layerId);
    if (p.merged) checkDestination({ path: resolve(p.path) }, { overwrite: p.overwrite });
    const n = p.segments.length;
    return ctx.jobs.start(project, EXPORT_TASKS.meshes, { ...p, layerId: info.id }, { title: `Export ${n} mesh${n === 1 ? '' : 'es'} of ${info.name}` });
  },

  'exports.model': (p, ctx) => {
    const project = ctx.requireProject();
    const model = findModel(project, p.model);
    if (!model) throw new AppError('NOT_FOUND', `no model '${p.model}' in the project`);
    checkDestination({ path: resolve(p.path), sideFiles: [`${resolve(p.path)}.data`] }, { overwrite: p.overwrite });
    return ctx.jobs.start(project, EXPORT_TASKS.model, { ...p, model: model.id }, { title: `Export model ${model.name} as ONNX` });
  },
};
