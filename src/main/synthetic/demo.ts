import type { Vec3 } from './generator';

export interface DemoParams {
  shape: Vec3;
  seed: number;
}

export const DEMO_DEFAULTS: DemoParams = { shape: [48, 384, 384], seed: 7 };

/** Layer names of the demo project. */
export const DEMO_LAYERS = { image: 'em', labels: 'ground-truth' } as const;
