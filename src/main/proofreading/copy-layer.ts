import { AppError } from '../errors';
import type { Project } from '../store/project';
import { convertLabels, createStoredLayer, storedLabelDType, type ProgressSink } from '../volumes/import';
import { findLayer, type LayerInfo } from '../volumes/layers';
import { openLayerReader } from '../volumes/service';
import { requireLabelLayerInfo } from './label-layer';

/** A free name for the copy: "<name>-editable", then "-editable-2", ... */
export function copyName(project: Project, base: string): string {
  const stem = `${base}-editable`;
  if (!findLayer(project, stem)) return stem;
  for (let i = 2; ; i++) if (!findLayer(project, `${stem}-${i}`)) return `${stem}-${i}`;
}

/**
 * Copies a label or fragment layer that cannot be edited (read in place, read-only, or a dtype
 * other than uint32/uint64) into the project store as a new editable layer with its pyramid.
 * The source stays untouched; the copy appears only when complete.
 */
export async function copyLayerForEditing(project: Project, layerId: string, name: string | undefined, sink: ProgressSink = {}): Promise<LayerInfo> {
  const info = requireLabelLayerInfo(project, layerId);
  const where = `layer '${info.name}' (${info.uri})`;
  const dtype = storedLabelDType(info.dtype, where);
  const reader = await openLayerReader(project, info);
  try {
    const copy = await createStoredLayer(
      project,
      {
        name: name ?? copyName(project, info.name),
        kind: info.kind,
        dtype,
        shape: info.shape,
        resolution: info.resolution,
        resolutionKnown: info.resolutionKnown,
        meta: { copiedFrom: { layerId: info.id, name: info.name, uri: info.uri } },
      },
      async (box) => convertLabels(await reader.readRegion(box, 0), dtype, where),
      sink,
    );
    if (!copy.editable) throw new AppError('INTERNAL', `the copy of ${where} is not editable`);
    return copy;
  } finally {
    await reader.close();
  }
}
