/**
 * Splits a graph's nodes into the executor's steps: onnxruntime segments and host ops
 * (scans) alternate, segment s running before host step s.
 *
 * Nodes are first placed as early as their inputs allow. Every value that crosses from one
 * segment to a later one is copied out of onnxruntime and held in memory until its last
 * reader runs, so a training step that computed everything early would hold, through the
 * whole forward pass, data only its backward needs: e.g. the per-tap shifted copies of a
 * convolution's input for its weight gradient (25 copies of a 52 MB map for one 5x5 conv of
 * `base`). So a second pass defers each onnxruntime node to the segment of its first reader,
 * when that does not trade a small output for larger inputs (masks, reductions and other
 * nodes that shrink their data stay early, so their inputs can be freed).
 */
import type { Node, Value } from '../ir/graph';

export interface Staging {
  /** Segment of each onnxruntime node. */
  segmentOf: Map<Node, number>;
  /** Host step of each host node (runs after segment s, before segment s + 1). */
  hostStepOf: Map<Node, number>;
  /** Number of segment/host-step slots. */
  slots: number;
}

const DTYPE_BYTES: Record<Value['dtype'], number> = { float32: 4, int64: 8, bool: 1 };

export const valueBytes = (v: Value): number => v.size * DTYPE_BYTES[v.dtype];

/** A deferred node reads its inputs later; deferring pays only when it does not shrink its data. */
const DEFER_MIN_OUTPUT_RATIO = 0.5;

function defersWell(node: Node): boolean {
  let inBytes = 0;
  for (const i of node.inputs) if (i.role === 'node') inBytes = Math.max(inBytes, valueBytes(i));
  const outBytes = node.outputs.reduce((a, o) => a + valueBytes(o), 0);
  return outBytes >= DEFER_MIN_OUTPUT_RATIO * inBytes;
}

/**
 * @param nodes the nodes to run, in topological order
 * @param isHost whether a node runs on the host (between segments)
 * @param targets values read after the last step
 * @param defer run the deferral pass (default true)
 */
export function stageNodes(nodes: readonly Node[], isHost: (n: Node) => boolean, targets: ReadonlySet<Value>, defer = true): Staging {
  const segmentOf = new Map<Node, number>();
  const hostStepOf = new Map<Node, number>();
  const readyAt = new Map<Value, { slot: number; host: boolean }>();
  let slots = 1;
  for (const n of nodes) {
    const host = isHost(n);
    let s = 0;
    for (const i of n.inputs) {
      const r = readyAt.get(i);
      if (r) s = Math.max(s, r.slot + (r.host && !host ? 1 : 0));
    }
    (host ? hostStepOf : segmentOf).set(n, s);
    for (const o of n.outputs) readyAt.set(o, { slot: s, host });
    slots = Math.max(slots, s + 1);
  }
  if (!defer) return { segmentOf, hostStepOf, slots };

  const readers = new Map<Value, Node[]>();
  for (const n of nodes)
    for (const i of n.inputs) {
      const list = readers.get(i);
      if (list) list.push(n);
      else readers.set(i, [n]);
    }
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k];
    if (hostStepOf.has(n)) continue;
    const earliest = segmentOf.get(n)!;
    let latest = Infinity;
    for (const o of n.outputs) {
      if (targets.has(o)) latest = Math.min(latest, slots - 1);
      for (const r of readers.get(o) ?? []) latest = Math.min(latest, segmentOf.get(r) ?? hostStepOf.get(r)!);
    }
    if (latest !== Infinity && latest > earliest && defersWell(n)) segmentOf.set(n, latest);
  }
  return { segmentOf, hostStepOf, slots };
}
