import { join } from 'node:path';
import type { TaskContext } from '../../../src/main/jobs/types';
import { Project } from '../../../src/main/store/project';
import { SyntheticEM } from '../../../src/main/synthetic/generator';
import type { Vec3 } from '../../../src/main/volumes/box';
import { createLayerFromArray } from '../../../src/main/volumes/create-layer';

/** A reduced SegMamba (about 0.2M parameters) so pipeline tests train in seconds. */
export const MICRO_MODEL = { featureSize: [4, 8, 16, 32] as [number, number, number, number], hiddenSize: 32, depths: [1, 1, 1, 1] as [number, number, number, number] };
/** The smallest crop the network accepts: every axis divisible by 16, stage-3 tokens (1x1x5) by nslices = 5. */
export const MICRO_CROP: Vec3 = [16, 16, 80];

export interface TestProject {
  project: Project;
  image: Uint8Array;
  labels: Uint32Array;
  shape: Vec3;
}

/** A project holding a synthetic EM volume ('em') and its exact labels ('gt'). */
export async function syntheticProject(dir: string, shape: Vec3, seed = 3): Promise<TestProject> {
  const project = Project.create(join(dir, 'project'));
  const em = new SyntheticEM({ shape, seed });
  const r = em.render([0, 0, 0], shape);
  await createLayerFromArray(project, { name: 'em', kind: 'image', dtype: 'uint8', shape, resolution: em.spec.resolution, data: r.image });
  await createLayerFromArray(project, { name: 'gt', kind: 'labels', dtype: 'uint32', shape, resolution: em.spec.resolution, data: r.labels });
  return { project, image: r.image, labels: r.labels, shape };
}

export interface RecordingContext extends TaskContext {
  events: { kind: string; data: Record<string, unknown> }[];
  abort(): void;
}

/** A job context as the worker gives tasks, recording emitted events; `onEvent` may abort. */
export function taskContext(projectRoot: string, onEvent?: (ctx: RecordingContext, kind: string, data: Record<string, unknown>) => void): RecordingContext {
  const controller = new AbortController();
  const ctx: RecordingContext = {
    signal: controller.signal,
    projectRoot,
    events: [],
    progress: () => {},
    emit(kind, data) {
      ctx.events.push({ kind, data: data as Record<string, unknown> });
      onEvent?.(ctx, kind, data as Record<string, unknown>);
    },
    throwIfCancelled() {
      if (controller.signal.aborted) throw new Error('cancelled');
    },
    abort: () => controller.abort(),
  };
  return ctx;
}
