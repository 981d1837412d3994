import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/main/cli/index';
import { captureOutput as capture } from '../../helpers/cli';
import { evaluateSegmentationSync } from '../../../src/main/segmentation/index';
import type { Vec3 } from '../../../src/main/volumes/box';
import { writeBigTiff } from '../../../src/main/exports/tiff-writer';
import { tempDir } from '../../helpers/temp';
import { syntheticProject } from './helpers';


describe('pipeline commands', () => {
  it('document their options', async () => {
    for (const [name, option] of [
      ['pretrain', '--mask-ratio'],
      ['finetune', '--val-region'],
      ['infer', '--tta'],
      ['segment', '--thresholds'],
      ['evaluate', '--relabel-gt'],
    ]) {
      const io = capture();
      expect(await runCli([name, '--help'], io)).toBe(0);
      expect(io.stdout).toContain(option);
      expect(io.stdout).toContain('--json');
    }
  });

  it('evaluate scores two files without a project and prints JSON', async () => {
    const dir = tempDir();
    const shape: Vec3 = [4, 12, 10];
    const gt = Uint16Array.from({ length: 480 }, (_, i) => 1 + (Math.floor((i % 10) / 4) + 3 * Math.floor(i / 120)));
    const seg = Uint16Array.from(gt, (v, i) => (i % 10 < 2 ? 7 : v));
    const write = (name: string, data: Uint16Array) =>
      writeBigTiff(join(dir, name), { dtype: 'uint16', shape, resolution: null, sourceChunkShape: shape }, async () => data);
    await write('gt.tif', gt);
    await write('seg.tif', seg);
    const io = capture();
    const code = await runCli(['evaluate', '--gt', join(dir, 'gt.tif'), '--seg', join(dir, 'seg.tif'), '--json'], io);
    expect(code, io.stderr).toBe(0);
    const r = JSON.parse(io.stdout);
    const expected = evaluateSegmentationSync(Uint32Array.from(gt), Uint32Array.from(seg));
    expect(r.voiSplit).toBeCloseTo(expected.voiSplit, 12);
    expect(r.voiMerge).toBeCloseTo(expected.voiMerge, 12);
    expect(r.arand).toBeCloseTo(expected.arand, 12);
    expect(r.voiMerge).toBeGreaterThan(0);
  });

  it('refuse bad requests with a clear message before starting a job', async () => {
    const { project } = await syntheticProject(tempDir(), [16, 32, 32]);
    const root = project.root;
    project.close();
    let io = capture();
    expect(await runCli(['finetune', root, '--image', 'em'], io)).toBe(2);
    expect(io.stderr).toContain('--labels');
    io = capture();
    expect(await runCli(['finetune', root, '--image', 'em', '--labels', 'gt', '--crop', '16,30,30'], io)).toBe(2);
    expect(io.stderr).toMatch(/divisible by 16/);
    io = capture();
    expect(await runCli(['segment', root, '--affinities', 'none', '--output', 'x'], io)).toBe(1);
    expect(io.stderr).toMatch(/no affinity layers 'none'/);
    io = capture();
    expect(await runCli(['evaluate', root, '--gt', 'gt', '--seg', 'missing-layer'], io)).toBe(1);
    expect(io.stderr).toMatch(/missing-layer/);
  });
});
