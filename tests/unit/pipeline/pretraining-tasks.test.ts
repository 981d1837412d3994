import { describe, expect, it } from 'vitest';
import { Graph } from '../../../src/main/ml/ir/graph';
import { interpret } from '../../../src/main/ml/ir/interpreter';
import { initWeights, Module, type ParamSpec } from '../../../src/main/ml/nn/module';
import { Rng } from '../../../src/main/ml/util/rng';
import { DEFAULT_SCHEDULE, lossWeights, mixtureTokenLoss, taskForStep } from '../../../src/main/pipeline/pretrain/objective';
import { corruptForTask } from '../../../src/main/pipeline/pretrain/samples';
import { extractToken, randomTokenMask, TOKEN_VOXELS, tokenCount, tokenGrid, tokenOrigin } from '../../../src/main/pipeline/tokens';
import type { Vec3 } from '../../../src/main/volumes/box';

const crop: Vec3 = [16, 32, 48];

/** A crop whose voxel value encodes its own index (distinct from N(0,1) noise draws). */
function ramp(): Float32Array {
  return Float32Array.from({ length: crop[0] * crop[1] * crop[2] }, (_, i) => 100 + i);
}

/** Which tokens of `after` differ from `before`, and whether each changed token changed in every voxel. */
function changedTokens(before: Float32Array, after: Float32Array): { changed: number[]; whole: boolean } {
  const changed: number[] = [];
  let whole = true;
  for (let t = 0; t < tokenCount(crop); t++) {
    const a = extractToken(before, crop, t);
    const b = extractToken(after, crop, t);
    const diff = a.filter((v, i) => v !== b[i]).length;
    if (diff > 0) changed.push(t);
    if (diff > 0 && diff !== TOKEN_VOXELS) whole = false;
  }
  return { changed, whole };
}

describe('visual tokens', () => {
  it('are 4x16x16 patches in z -> y -> x raster order', () => {
    expect(tokenGrid(crop)).toEqual([4, 2, 3]);
    expect(tokenCount(crop)).toBe(24);
    expect(tokenOrigin(0, crop)).toEqual([0, 0, 0]);
    expect(tokenOrigin(1, crop)).toEqual([0, 0, 16]);
    expect(tokenOrigin(3, crop)).toEqual([0, 16, 0]);
    expect(tokenOrigin(6, crop)).toEqual([4, 0, 0]);
    const img = ramp();
    const t7 = extractToken(img, crop, 7); // tz 1, ty 0, tx 1
    expect(t7[0]).toBe(100 + (4 * 32 + 0) * 48 + 16);
    expect(t7[TOKEN_VOXELS - 1]).toBe(100 + (7 * 32 + 15) * 48 + 31);
    expect(() => tokenGrid([16, 30, 48])).toThrow(/whole number/);
  });

  it('random token prediction hides exactly floor(L * ratio) whole tokens under N(0, 1) noise', () => {
    const clean = ramp();
    for (let seed = 0; seed < 5; seed++) {
      const input = clean.slice();
      const r = corruptForTask(input, clean, crop, 'random', 0.4, new Rng(seed));
      const { changed, whole } = changedTokens(clean, input);
      expect(changed.length).toBe(Math.floor(24 * 0.4));
      expect(r.masked).toBe(changed.length);
      expect(whole).toBe(true);
      expect(r.k).toBeNull();
      expect(r.tokenTarget.every((v) => v === 0)).toBe(true);
      const noise = changed.flatMap((t) => Array.from(extractToken(input, crop, t)));
      const mean = noise.reduce((a, b) => a + b, 0) / noise.length;
      const sd = Math.sqrt(noise.reduce((a, b) => a + (b - mean) ** 2, 0) / noise.length);
      expect(Math.abs(mean)).toBeLessThan(0.05);
      expect(Math.abs(sd - 1)).toBeLessThan(0.05);
    }
  });

  it('the uniform mask ratio draws from U(0.2, 0.8)', () => {
    const rng = new Rng(3);
    const counts = Array.from({ length: 2000 }, () => randomTokenMask(1000, 'uniform', rng).reduce((a, b) => a + b, 0));
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(200);
    expect(Math.max(...counts)).toBeLessThan(800);
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    expect(Math.abs(mean - 500)).toBeLessThan(15);
    expect(counts.filter((c) => c < 350).length / counts.length).toBeCloseTo(0.25, 1);
  });

  it('next-all and next-token prediction keep the tokens before K and hide K and after; the token target is clean token K', () => {
    const clean = ramp();
    const ks = new Set<number>();
    for (let seed = 0; seed < 40; seed++) {
      for (const task of ['nextAll', 'nextToken'] as const) {
        const input = clean.slice();
        const r = corruptForTask(input, clean, crop, task, 0.4, new Rng(seed));
        const k = r.k!;
        ks.add(k);
        expect(k).toBeGreaterThanOrEqual(1);
        expect(k).toBeLessThanOrEqual(23);
        const { changed, whole } = changedTokens(clean, input);
        expect(changed).toEqual(Array.from({ length: 24 - k }, (_, i) => k + i));
        expect(whole).toBe(true);
        expect(Array.from(r.tokenTarget)).toEqual(Array.from(extractToken(clean, crop, k)));
      }
    }
    expect(ks.size).toBeGreaterThan(12);
  });
});

describe('pretraining schedule and objective', () => {
  it('staged: random token prediction first, then next-all and next-token alternating in blocks', () => {
    const cfg = { ...DEFAULT_SCHEDULE, randomFraction: 0.5, alternateEvery: 3 };
    const tasks = Array.from({ length: 20 }, (_, i) => taskForStep(i + 1, 20, cfg, new Rng(i)));
    expect(tasks.slice(0, 10).every((t) => t === 'random')).toBe(true);
    expect(tasks.slice(10)).toEqual(['nextAll', 'nextAll', 'nextAll', 'nextToken', 'nextToken', 'nextToken', 'nextAll', 'nextAll', 'nextAll', 'nextToken']);
  });

  it('mixed: each step draws its task with the stated weights', () => {
    const cfg = { ...DEFAULT_SCHEDULE, mode: 'mixed' as const, weights: { random: 0.6, nextAll: 0.3, nextToken: 0.1 } };
    const n = 20000;
    const counts = { random: 0, nextAll: 0, nextToken: 0 };
    for (let s = 1; s <= n; s++) counts[taskForStep(s, n, cfg, new Rng(s * 7919))]++;
    expect(counts.random / n).toBeCloseTo(0.6, 1);
    expect(counts.nextAll / n).toBeCloseTo(0.3, 1);
    expect(counts.nextToken / n).toBeCloseTo(0.1, 1);
  });

  it('the loss is MSE(sigmoid output, clean crop) for reconstruction tasks and MSE(head, token K) for next-token', () => {
    const cropSmall: Vec3 = [16, 16, 16];
    const g = new Graph();
    const specs: ParamSpec[] = [];
    const root = new Module(g, '', specs);
    const x = g.input('x', [1, 1, ...cropSmall]);
    // A stand-in network: logits = w * x (one parameter), probs = sigmoid(logits).
    const w = root.param('w', [1], { kind: 'const', value: 0.5 });
    const logits = g.op1('Mul', [x, w]);
    const probs = g.op1('Sigmoid', [logits]);
    const feeds = new Map<string, ReturnType<Graph['input']>>();
    const out = mixtureTokenLoss({
      graph: g,
      net: { features: logits, logits, probs },
      input: x,
      module: root,
      feed: (name, shape) => {
        const v = g.input(name, shape);
        feeds.set(name, v);
        return v;
      },
    });
    expect([...feeds.keys()].sort()).toEqual(['recon_weight', 'target', 'token_target', 'token_weight']);
    expect(specs.map((s) => s.name)).toEqual(expect.arrayContaining(['preciever.conv1.weight', 'preciever.conv3.bias', 'preciever.mlp.weight']));
    expect(specs.find((s) => s.name === 'preciever.mlp.weight')!.shape).toEqual([1024, 8]);
    const rng = new Rng(1);
    const n = 16 ** 3;
    const xv = Float64Array.from({ length: n }, () => rng.normal());
    const target = Float64Array.from({ length: n }, () => rng.uniform());
    const tokenTarget = Float64Array.from({ length: TOKEN_VOXELS }, () => rng.uniform());
    const weights = initWeights(specs, 0);
    const run = (task: 'random' | 'nextToken') => {
      const lw = lossWeights(task);
      const values: Record<string, ArrayLike<number>> = { x: xv, target, token_target: tokenTarget, recon_weight: [lw.recon], token_weight: [lw.token] };
      for (const [k, v] of weights) values[k] = v;
      const env = interpret(g, values, [out.loss, out.metrics!.recon_mse, out.metrics!.token_mse]);
      return [out.loss, out.metrics!.recon_mse, out.metrics!.token_mse].map((v) => env.get(v)!.data[0]);
    };
    let expected = 0;
    for (let i = 0; i < n; i++) expected += (1 / (1 + Math.exp(-0.5 * xv[i])) - target[i]) ** 2;
    expected /= n;
    const [lossR, reconR, tokenR] = run('random');
    expect(reconR).toBeCloseTo(expected, 9);
    expect(lossR).toBeCloseTo(expected, 9);
    const [lossT, , tokenT] = run('nextToken');
    expect(lossT).toBeCloseTo(tokenT, 12);
    expect(tokenT).toBeCloseTo(tokenR, 12);
    expect(tokenT).toBeGreaterThan(0);
    expect(Math.abs(lossT - lossR)).toBeGreaterThan(1e-6);
  });
});
