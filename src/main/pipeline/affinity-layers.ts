/**
 * Affinities as project layers. The volume store holds single-channel 3D layers, so one
 * prediction becomes a group of three layers of kind 'affinities', <base>-z, <base>-y and
 * <base>-x (the affinity of each voxel with its neighbour at -1 along that axis), each the
 * full shape of the volume (zero outside the predicted region).
 *
 * Quantisation: uint8 q = round(255 * p), p in [0, 1]; reading back p = q / 255, so the error is
 * at most 1/510. The segmentation kernels take these bytes directly (255 = 1).
 */
import { AppError } from '../errors';
import type { Project } from '../store/project';
import { createLayerFromRegions } from '../volumes/create-layer';
import { boxSize, voxelCount, type Box, type Vec3 } from '../volumes/box';
import { assertNameFree, listLayers, type LayerInfo } from '../volumes/layers';
import type { ProgressSink } from '../volumes/import';
import type { ScratchVolume } from './scratch';

export const AFFINITY_CHANNELS = ['z', 'y', 'x'] as const;

export function affinityLayerName(base: string, channel: number): string {
  return `${base}-${AFFINITY_CHANNELS[channel]}`;
}

export function quantizeAffinities(p: Float32Array): Uint8Array {
  const out = new Uint8Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, p[i])) * 255);
  return out;
}

export function assertAffinityNamesFree(project: Project, base: string): void {
  for (let c = 0; c < 3; c++) assertNameFree(project, affinityLayerName(base, c));
}

interface AffinityMeta {
  group: string;
  channel: number;
}

function affinityMeta(l: LayerInfo): AffinityMeta | null {
  const a = l.meta.affinities as AffinityMeta | undefined;
  return l.kind === 'affinities' && a && typeof a.group === 'string' && typeof a.channel === 'number' ? a : null;
}

/** The three layers of group `base`, in channel order z, y, x. */
export function findAffinityGroup(project: Project, base: string): LayerInfo[] {
  const layers = listLayers(project).filter((l) => affinityMeta(l)?.group === base);
  const byChannel = [0, 1, 2].map((c) => layers.find((l) => affinityMeta(l)!.channel === c));
  if (byChannel.some((l) => !l)) {
    const groups = [...new Set(listLayers(project).map((l) => affinityMeta(l)?.group).filter(Boolean))];
    throw new AppError('NOT_FOUND', `no affinity layers '${base}' (-z, -y, -x) in the project${groups.length ? `; affinity groups: ${groups.join(', ')}` : ''}`);
  }
  return byChannel as LayerInfo[];
}

/** Writes the scratch's three channels as the group's layers (zero outside its region). */
export async function writeAffinityLayers(
  project: Project,
  o: { base: string; shape: Vec3; resolution: Vec3; scratch: ScratchVolume<Uint8Array>; meta: Record<string, unknown> },
  sink: ProgressSink = {},
): Promise<LayerInfo[]> {
  const out: LayerInfo[] = [];
  for (let c = 0; c < 3; c++) {
    const layer = await createLayerFromRegions(
      project,
      {
        name: affinityLayerName(o.base, c),
        kind: 'affinities',
        dtype: 'uint8',
        shape: o.shape,
        resolution: o.resolution,
        meta: { ...o.meta, affinities: { group: o.base, channel: c, axis: AFFINITY_CHANNELS[c], offset: [-1, 0, 0].map((_, i) => (i === c ? -1 : 0)), quantisation: 'uint8: q = round(255 p)' } },
      },
      (box) => o.scratch.readOrZero(box, c),
      { signal: sink.signal, progress: (f, m) => sink.progress?.((c + f) / 3, `${affinityLayerName(o.base, c)}: ${m}`) },
    );
    out.push(layer);
  }
  return out;
}

/** Box `box` of the group as one (3, box) uint8 array, channel-major. */
export async function readAffinityBox(read: (layerId: string, box: Box) => Promise<Uint8Array>, layers: LayerInfo[], box: Box): Promise<Uint8Array> {
  const parts = await Promise.all(layers.map((l) => read(l.id, box)));
  const n = voxelCount(boxSize(box));
  const out = new Uint8Array(3 * n);
  parts.forEach((p, c) => out.set(p, c * n));
  return out;
}
