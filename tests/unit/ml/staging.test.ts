import { describe, expect, it } from 'vitest';
import * as F from '../../../src/main/ml/ir/functional';
import { Graph, type Node } from '../../../src/main/ml/ir/graph';
import { neededNodes } from '../../../src/main/ml/ir/interpreter';
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
});
