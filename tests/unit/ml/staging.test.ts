import { describe, expect, it } from 'vitest';
import * as F from '../../../src/main/ml/ir/functional';
import { Graph, type Node } from '../../../src/main/ml/ir/graph';
import { neededNodes } from '../../../src/main/ml/ir/interpreter';
import { Executor } from '../../../src/main/ml/runtime/executor';
import { stageNodes } from '../../../src/main/ml/runtime/staging';

/**
 * x = sigmoid(input) -> e = exp(x) -> host h = neg(e) (stands in for a scan) -> y = h + late + mask-use.
 * `late = relu(x)` is read only after the host step; `mask = x > 0` shrinks float32 to bool.
 */
function graph() {
  const g = new Graph();
  // A computed value, not a graph input (inputs are held for the whole run anyway).
  const x = F.sigmoid(g.input('x', [4, 1000]));
  const e = F.exp(x);
  const h = F.neg(e);
  const late = F.relu(x);
  const mask = F.greater(x, 0);
  const y = F.add(F.add(h, late), F.where(mask, h, 0));
  const nodes = neededNodes(g, [y]);
  const byOp = (op: string): Node => nodes.find((n) => n.op === op)!;
  return { y, nodes, byOp, isHost: (n: Node) => n.op === 'Neg' };
}

describe('executor staging', () => {
  it('places nodes as early as their inputs allow without deferral', () => {
    const { y, nodes, byOp, isHost } = graph();
    const s = stageNodes(nodes, isHost, new Set([y]), false);
    expect(s.slots).toBe(2);
    expect(s.hostStepOf.get(byOp('Neg'))).toBe(0);
    expect(s.segmentOf.get(byOp('Exp'))).toBe(0);
    expect(s.segmentOf.get(byOp('Relu'))).toBe(0);
    expect(s.segmentOf.get(byOp('Greater'))).toBe(0);
    expect(s.segmentOf.get(byOp('Where'))).toBe(1);
  });

  it('defers a node to its first reader unless it shrinks its data', () => {
    const { y, nodes, byOp, isHost } = graph();
    const s = stageNodes(nodes, isHost, new Set([y]));
    // relu(x) is only read after the scan: computed there instead of held across it.
    expect(s.segmentOf.get(byOp('Relu'))).toBe(1);
    // The bool mask is a quarter of its input: it stays early, so x need not be held.
    expect(s.segmentOf.get(byOp('Greater'))).toBe(0);
    // exp(x) feeds the host step of slot 0, so it must run in segment 0.
    expect(s.segmentOf.get(byOp('Exp'))).toBe(0);
    // Every reader still runs no earlier than what it reads.
    for (const n of nodes) {
      const at = s.segmentOf.get(n) ?? s.hostStepOf.get(n)!;
      for (const i of n.inputs) {
        if (!i.producer) continue;
        const p = i.producer;
        if (s.hostStepOf.has(p)) expect(at).toBeGreaterThan(s.hostStepOf.get(p)! - (s.hostStepOf.has(n) ? 1 : 0));
        else expect(at).toBeGreaterThanOrEqual(s.segmentOf.get(p)!);
      }
    }
  });

  it('makes the executor hand on less between segments, with the same results', async () => {
    // A scan between two onnxruntime segments; wide = 8 shifted copies of x, read only after it.
    const g = new Graph();
    const [B, D, L, N] = [1, 4, 64, 4];
    const x = F.sigmoid(g.input('x', [B, D, L]));
    const scanned = F.selectiveScan(x, x, g.input('A', [D, N]), g.input('Bm', [B, N, L]), g.input('Cm', [B, N, L]), g.input('Dskip', [D]), g.input('deltaBias', [D]));
    const wide = F.concat(Array.from({ length: 8 }, (_, k) => F.slice(F.pad(x, [0, 0, 0, 0, 0, k]), 2, k, k + L)), 1);
    const y = F.reduceSum(F.mul(wide, F.concat(Array.from({ length: 8 }, () => scanned), 1)), [2]);
    const feeds = {
      x: Float32Array.from({ length: B * D * L }, (_, i) => Math.sin(i)),
      A: Float32Array.from({ length: D * N }, (_, i) => -1 - (i % N)),
      Bm: Float32Array.from({ length: B * N * L }, (_, i) => Math.cos(i)),
      Cm: Float32Array.from({ length: B * N * L }, (_, i) => Math.sin(2 * i)),
      Dskip: new Float32Array(D).fill(0.5),
      deltaBias: new Float32Array(D).fill(-1),
    };
    const run = async (deferNodes: boolean) => {
      const ex = await Executor.create(g, { outputs: { y } }, { threads: 1, scan: 'js', deferNodes });
      return { info: ex.info, y: (await ex.run(feeds)).y };
    };
    const early = await run(false);
    const deferred = await run(true);
    expect(early.info.segmentOutputBytes.length).toBe(2);
    // Early: the first segment hands on x and the 8 copies; deferred: x (and the scan's input) only.
    expect(early.info.segmentOutputBytes[0]).toBeGreaterThanOrEqual(8 * B * D * L * 4);
    expect(deferred.info.segmentOutputBytes[0]).toBeLessThanOrEqual(2 * B * D * L * 4);
    expect(Array.from(deferred.y)).toEqual(Array.from(early.y));
  });
});
