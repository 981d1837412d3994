import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../../src/main/ml/checkpoint/index';
import { finetuneTask } from '../../../src/main/pipeline/finetune/task';
import { getRun, runPoints } from '../../../src/main/pipeline/runs';
import { tempDir } from '../../helpers/temp';
import { MICRO_CROP, MICRO_MODEL, syntheticProject, taskContext } from './helpers';

describe('fine-tuning resume', () => {
  it('an interrupted run resumed from its checkpoint matches an uninterrupted one', { timeout: 240_000 }, async () => {
    const { project } = await syntheticProject(tempDir(), [16, 48, 80]);
    try {
      const base = {
        image: { layer: 'em' },
        labels: { layer: 'gt' },
        modelOverrides: MICRO_MODEL,
        crop: MICRO_CROP,
        steps: 4,
        lr: 1e-3,
        warmupSteps: 1,
        seed: 5,
        validateEvery: 1000,
        checkpointEvery: 1000,
        thresholds: [0.5],
        scan: 'onnx' as const,
        threads: 1,
        trainRegion: { min: [0, 0, 0], max: [16, 32, 80] },
        valRegion: { min: [0, 32, 0], max: [16, 48, 80] },
      };
      const trainLosses = (events: { kind: string; data: Record<string, unknown> }[]) =>
        events.filter((e) => e.kind === 'train.point' && e.data.split === 'train').map((e) => [e.data.step, e.data.loss] as [number, number]);

      const a = taskContext(project.root);
      const ra = await finetuneTask({ ...base, run: 'straight' }, a);
      expect(ra.steps).toBe(4);
      expect(ra.resumedFrom).toBe(0);
      const lossesA = trainLosses(a.events);
      expect(lossesA.map(([s]) => s)).toEqual([1, 2, 3, 4]);

      // Stop after step 2, as Ctrl+C / cancel would.
      const b1 = taskContext(project.root, (ctx, kind, data) => {
        if (kind === 'train.point' && data.step === 2) ctx.abort();
      });
      await expect(finetuneTask({ ...base, run: 'interrupted' }, b1)).rejects.toThrow(/stopped at step 2/);
      expect(getRun(project, 'interrupted')).toMatchObject({ state: 'stopped', step: 2 });

      const b2 = taskContext(project.root);
      const rb = await finetuneTask({ ...base, run: 'interrupted' }, b2);
      expect(rb.resumedFrom).toBe(2);
      expect(rb.steps).toBe(4);
      const lossesB = trainLosses(b2.events);
      expect(lossesB.map(([s]) => s)).toEqual([3, 4]);
      for (const [i, [, loss]] of lossesB.entries()) expect(loss).toBeCloseTo(lossesA[i + 2][1], 5);
      expect(runPoints(project, 'interrupted', 'train').map((p) => p.step)).toEqual([1, 2, 3, 4]);

      const wa = loadCheckpoint(project.path('runs', 'straight', 'last.safetensors')).weights;
      const wb = loadCheckpoint(project.path('runs', 'interrupted', 'last.safetensors')).weights;
      let maxDiff = 0;
      for (const [name, t] of wa) {
        const u = wb.get(name)!.data;
        for (let i = 0; i < t.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(t.data[i] - u[i]));
      }
      expect(maxDiff).toBeLessThan(1e-5);

      // A finished run started again returns its result without training.
      const again = await finetuneTask({ ...base, run: 'interrupted' }, taskContext(project.root));
      expect(again.modelId).toBe(rb.modelId);
      // Other settings under the same name are refused.
      await expect(finetuneTask({ ...base, run: 'interrupted', lr: 5e-4 }, taskContext(project.root))).rejects.toThrow(/other settings/);
    } finally {
      project.close();
    }
  });
});
