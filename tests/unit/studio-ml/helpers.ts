import { SyntheticEM } from '../../../src/main/synthetic/generator';
import type { Vec3 } from '../../../src/main/volumes/box';
import { createLayerFromArray } from '../../../src/main/volumes/create-layer';
import { apiSession } from '../../helpers/api-session';


/** A reduced SegMamba (as the pipeline tests use) so training runs in seconds. */
export const MICRO_MODEL = { featureSize: [4, 8, 16, 32] as [number, number, number, number], hiddenSize: 32, depths: [1, 1, 1, 1] as [number, number, number, number] };
export const MICRO_CROP: Vec3 = [16, 16, 80];

export const idx = (shape: Vec3, z: number, y: number, x: number) => (z * shape[1] + y) * shape[2] + x;

/** An app session with an open project, calling through the wire format. */
export const session = () => apiSession('tu-studio-');

export type Session = Awaited<ReturnType<typeof session>>;

/** A synthetic EM image 'em' and its labels 'gt' (indexed for proofreading). */
export async function emProject(s: Session, shape: Vec3, seed = 5, chunkShape?: Vec3) {
  const em = new SyntheticEM({ shape, seed });
  const r = em.render([0, 0, 0], shape);
  await createLayerFromArray(s.project, { name: 'em', kind: 'image', dtype: 'uint8', shape, resolution: em.spec.resolution, data: r.image, ...(chunkShape ? { chunkShape } : {}) });
  const gt = await createLayerFromArray(s.project, { name: 'gt', kind: 'labels', dtype: 'uint32', shape, resolution: em.spec.resolution, data: r.labels, ...(chunkShape ? { chunkShape } : {}) });
  const prep = await s.call('proofreading.prepare', { layerId: gt.id });
  if (prep.job) await s.ctx.jobs.wait(prep.job.id);
  return { image: r.image, labels: r.labels, gtId: gt.id };
}

/** Segment ids by voxel count, largest first. */
export function bySize(labels: ArrayLike<number>): number[] {
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) if (labels[i] !== 0) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([id]) => id);
}
