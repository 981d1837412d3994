import { describe, expect, it } from 'vitest';
import { evaluateTask } from '../../../src/main/pipeline/evaluate/task';
import { finetuneTask } from '../../../src/main/pipeline/finetune/task';
import { inferTask } from '../../../src/main/pipeline/infer/task';
import { listModels } from '../../../src/main/pipeline/models';
import { pretrainTask } from '../../../src/main/pipeline/pretrain/task';
import { runPoints } from '../../../src/main/pipeline/runs';
import { segmentTask } from '../../../src/main/pipeline/segment/task';
import { applyMappingSync, connectedComponentsSync, evaluateSegmentationSync } from '../../../src/main/segmentation/index';
import { getLayer } from '../../../src/main/volumes/layers';
import { VolumeService } from '../../../src/main/volumes/service';
import { tempDir } from '../../helpers/temp';
import { MICRO_CROP, MICRO_MODEL, syntheticProject, taskContext } from './helpers';

describe('pipeline smoke test', () => {
  it('pretrain -> fine-tune -> infer -> segment -> evaluate beats trivial baselines on synthetic EM', { timeout: 400_000 }, async () => {
    const { project, image, labels, shape } = await syntheticProject(tempDir(), [32, 64, 96]);
    const service = new VolumeService(project);
    try {
      const common = { modelOverrides: MICRO_MODEL, crop: MICRO_CROP, scan: 'onnx' as const };
      const ctx = taskContext(project.root);

      const pre = await pretrainTask({ ...common, sources: [{ source: { layer: 'em' } }], steps: 6, run: 'pre', schedule: { randomFraction: 0.5, alternateEvery: 1 } }, ctx);
      expect(pre.tasks).toEqual({ random: 3, nextAll: 2, nextToken: 1 });
      expect(pre.lastLoss).toBeGreaterThan(0);

      const ft = await finetuneTask(
        {
          ...common,
          image: { layer: 'em' },
          labels: { layer: 'gt' },
          init: 'pre',
          steps: 45,
          lr: 3e-3,
          warmupSteps: 5,
          validateEvery: 25,
          thresholds: [0.3, 0.5, 0.7],
          run: 'ft',
          trainRegion: { min: [0, 0, 0], max: [32, 48, 96] },
          valRegion: { min: [0, 48, 0], max: [32, 64, 96] },
        },
        ctx,
      );
      // Partial loading: the reconstruction head (1 channel) and the next-token head are dropped.
      expect(ft.loadReport!.mismatched.map((m) => m.name).sort()).toEqual(['out.conv.conv.bias', 'out.conv.conv.weight']);
      expect(ft.loadReport!.unexpected.every((n) => n.startsWith('preciever.'))).toBe(true);
      expect(ft.loadReport!.loaded).toBeGreaterThan(100);
      expect(ft.best).not.toBeNull();
      expect(runPoints(project, 'ft', 'val').map((p) => p.step)).toEqual([25, 45]);
      expect(ctx.events.filter((e) => e.kind === 'train.point' && e.data.run === 'ft' && e.data.split === 'train')).toHaveLength(45);
      const models = listModels(project);
      const ftModel = models.find((m) => m.id === ft.modelId)!;
      expect(ftModel.provenance).toMatchObject({ kind: 'fine-tuned', parent: { name: 'pre' } });
      expect(models.find((m) => m.id === pre.modelId)!.provenance).toMatchObject({ kind: 'pretrained' });
      const threshold = ftModel.metrics.recommendedThreshold as number;
      expect([0.3, 0.5, 0.7]).toContain(threshold);

      const inf = await inferTask({ model: 'ft', image: { layer: 'em' }, output: 'aff', overlap: 0.5 }, ctx);
      expect(inf.layers.map((l) => l.name)).toEqual(['aff-z', 'aff-y', 'aff-x']);
      expect(inf.voxelsPerSecond).toBeGreaterThan(0);
      const affY = getLayer(project, 'aff-y');
      expect(affY).toMatchObject({ kind: 'affinities', dtype: 'uint8', shape });

      const seg = await segmentTask({ affinities: 'aff', output: 'seg', thresholds: [threshold] }, ctx);
      expect(seg.segmentations.map((s) => s.name)).toEqual(['seg']);
      // The fragment layer's mapping (proofreading tables) reproduces the flat segmentation.
      const frags = (await service.readRegion(seg.fragments.name, 0, { min: [0, 0, 0], max: shape })) as Uint32Array;
      const flat = (await service.readRegion('seg', 0, { min: [0, 0, 0], max: shape })) as Uint32Array;
      const rows = project.db.prepare('SELECT id, segment_id FROM fragments WHERE layer_id = ?').all(seg.fragments.id) as { id: number; segment_id: number }[];
      expect(rows).toHaveLength(seg.fragments.count);
      const mapping = new Uint32Array(seg.fragments.count + 1);
      for (const r of rows) mapping[r.id] = r.segment_id;
      expect(Array.from(applyMappingSync(frags, mapping))).toEqual(Array.from(flat));
      expect(project.db.prepare('SELECT indexed_at FROM label_layers WHERE layer_id = ?').pluck().get(seg.fragments.id)).toBeTruthy();

      const score = await evaluateTask({ gt: { layer: 'gt' }, seg: { layer: 'seg' }, relabelGt: true }, ctx);
      const gtCc = connectedComponentsSync(labels, shape).labels;
      const allOne = evaluateSegmentationSync(gtCc, new Uint32Array(labels.length).fill(1));
      const thresholded = [80, 120, 160].map((t) => evaluateSegmentationSync(gtCc, connectedComponentsSync(Uint8Array.from(image, (v) => (v > t ? 1 : 0)), shape).labels));
      const baselines = [allOne, ...thresholded];
      console.info(
        `smoke: VOI ${score.voi.toFixed(3)} ARAND ${score.arand.toFixed(3)} (threshold ${threshold}); all-one VOI ${allOne.voi.toFixed(3)} ARAND ${allOne.arand.toFixed(3)}; ` +
          `thresholded raw VOI ${thresholded.map((m) => m.voi.toFixed(3)).join('/')} ARAND ${thresholded.map((m) => m.arand.toFixed(3)).join('/')}`,
      );
      expect(score.relabelledGt).toBe(true);
      expect(score.voi).toBeLessThan(Math.min(...baselines.map((b) => b.voi)) - 0.5);
      expect(score.arand).toBeLessThan(Math.min(...baselines.map((b) => b.arand)) - 0.1);
    } finally {
      await service.close();
      project.close();
    }
  });
});
