/**
 * Reverse-mode automatic differentiation over the IR. Gradient nodes are appended to the
 * same graph; each op's rule (in its op definition) is written with standard ops only.
 */
import * as F from './functional';
import type { Value } from './graph';
import { opDef } from './registry';

/**
 * Gradients of the scalar `loss` (or of sum(loss * seed)) w.r.t. each of `wrt`; null where
 * `loss` does not depend on it.
 */
export function gradients(loss: Value, wrt: readonly Value[], seed?: Value): (Value | null)[] {
  const graph = loss.graph;
  if (!seed && loss.size !== 1) throw new Error(`gradients: loss ${loss} is not a scalar; pass a seed`);
  // Nodes on a path from any of `wrt` to `loss`.
  const depends = new Set<Value>(wrt);
  const nodes = [...graph.nodes];
  for (const n of nodes) {
    if (n.inputs.some((i) => depends.has(i))) for (const o of n.outputs) depends.add(o);
  }
  const relevant = new Set<number>();
  const stack = [loss];
  const seen = new Set<Value>();
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    const p = v.producer;
    if (!p || !depends.has(v)) continue;
    relevant.add(p.id);
    stack.push(...p.inputs);
  }
  const grads = new Map<Value, Value>();
  const accumulate = (v: Value, g: Value) => {
    const prev = grads.get(v);
    grads.set(v, prev ? F.add(prev, g) : g);
  };
  accumulate(loss, seed ?? F.reshape(graph.constant(1), loss.shape));
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!relevant.has(n.id)) continue;
    const dOuts = n.outputs.map((o) => grads.get(o) ?? null);
    if (dOuts.every((d) => d === null)) continue;
    const def = opDef(n.op);
    if (!def.grad) throw new Error(`gradients: op ${n.op} (${n.outputs[0]}) has no gradient rule`);
    const dIns = def.grad(n, dOuts);
    n.inputs.forEach((inp, k) => {
      const d = dIns[k];
      if (!d || !depends.has(inp) || inp.dtype !== 'float32') return;
      if (d.shape.length !== inp.shape.length || d.shape.some((s, j) => s !== inp.shape[j])) {
        throw new Error(`gradients: rule of ${n.op} gave ${d} for input ${inp}`);
      }
      accumulate(inp, d);
    });
  }
  return wrt.map((w) => grads.get(w) ?? null);
}
