import type { SegmentMesh } from '../../shared/api/proofreading';
import { AppError, CancelledError } from '../errors';
import { ChunkSource } from '../proofreading/chunk-source';
import { openLabelLayer, requireLabelLayerInfo } from '../proofreading/label-layer';
import { MeshService } from '../proofreading/mesh/mesh-service';
import { layerState, segmentRow } from '../proofreading/ops/context';
import type { Project } from '../store/project';

/**
 * Meshes of chosen segments, built by the proofreading mesh service (surface nets per chunk,
 * stitched crack-free; positions in nm) in the calling thread's own service instance, so an
 * export job needs no open proofreading session. The layer must be indexed (voxel counts
 * and the chunk index tell which chunks hold a segment).
 */
export async function segmentMeshes(
  project: Project,
  layerIdOrName: string,
  segmentIds: number[],
  opts: { level?: number; signal?: AbortSignal; progress?: (fraction: number, message: string) => void } = {},
): Promise<SegmentMesh[]> {
  const info = requireLabelLayerInfo(project, layerIdOrName);
  if (!layerState(project.db, info.id)?.indexedAt) {
    throw new AppError('CONFLICT', `layer '${info.name}' has no voxel counts yet; prepare it for proofreading first (open its segment list, or run "tokenunify segments")`);
  }
  for (const id of segmentIds) {
    if (!segmentRow(project.db, info.id, id)?.voxel_count) throw new AppError('NOT_FOUND', `segment ${id} does not exist in layer '${info.name}' (it has no voxels)`);
  }
  const layer = await openLabelLayer(project, info);
  const handle = { layer, source: new ChunkSource(layer) };
  const service = new MeshService(project.db);
  try {
    const out: SegmentMesh[] = [];
    for (let i = 0; i < segmentIds.length; i++) {
      if (opts.signal?.aborted) throw new CancelledError();
      opts.progress?.(i / segmentIds.length, `meshing segment ${segmentIds[i]} (${i + 1}/${segmentIds.length})`);
      out.push(...(await service.meshes(handle, [segmentIds[i]], opts.level)));
    }
    return out;
  } finally {
    service.close();
  }
}
