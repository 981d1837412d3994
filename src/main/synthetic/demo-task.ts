import type { TaskFn } from '../jobs/types';
import { Project } from '../store/project';
import { createLayerFromArray } from '../volumes/create-layer';
import { DEMO_DEFAULTS, DEMO_LAYERS, type DemoParams } from './demo';
import { SyntheticEM } from './generator';

/**
 * Fills a project with the demo data: a synthetic EM volume and its exact ground-truth
 * neuron labels, stored as regular project layers (OME-Zarr with pyramids).
 */
export const populateDemoTask: TaskFn<Partial<DemoParams>, { layers: string[]; objects: number }> = async (params, ctx) => {
  if (!ctx.projectRoot) throw new Error('the demo needs a project');
  const { shape, seed } = { ...DEMO_DEFAULTS, ...params };
  const project = Project.attach(ctx.projectRoot);
  try {
    ctx.progress(0, 'generating the synthetic volume');
    const em = new SyntheticEM({ shape, seed });
    const region = em.render([0, 0, 0], shape);
    ctx.throwIfCancelled();
    const meta = { generator: 'synthetic-em', seed, objects: em.objectCount };
    const common = { shape, resolution: em.spec.resolution, meta };
    const stage = (from: number, to: number, label: string) => ({
      signal: ctx.signal,
      progress: (f: number, message: string) => ctx.progress(from + (to - from) * f, `${label}: ${message}`),
    });
    await createLayerFromArray(project, { ...common, name: DEMO_LAYERS.image, kind: 'image', dtype: 'uint8', data: region.image }, stage(0.3, 0.6, 'image'));
    await createLayerFromArray(project, { ...common, name: DEMO_LAYERS.labels, kind: 'labels', dtype: 'uint32', data: region.labels }, stage(0.6, 1, 'labels'));
    return { layers: [DEMO_LAYERS.image, DEMO_LAYERS.labels], objects: em.objectCount };
  } finally {
    project.close();
  }
};
