/** Graph rewriting: copy the part of a graph needed for some targets, expanding selected ops. */
import { Graph, type Node, type Value } from './graph';
import { neededNodes } from './interpreter';
import { opDef } from './registry';

export interface Rewritten {
  graph: Graph;
  /** Old value -> new value (for every value that was copied). */
  map: Map<Value, Value>;
}

/**
 * Copies what `targets` need into a fresh graph (dead code dropped, CSE and folding re-applied);
 * nodes for which `expand(node)` is true and whose op defines `expand` are replaced by their
 * expansion. Inputs and parameters keep their names.
 */
export function rewrite(src: Graph, targets: readonly Value[], expand: (node: Node) => boolean = () => false): Rewritten {
  const graph = new Graph();
  const map = new Map<Value, Value>();
  for (const v of src.inputs) map.set(v, graph.input(v.name, v.shape, v.dtype));
  for (const [name, p] of src.params) map.set(p, graph.param(name, p.shape, p.param!));
  const get = (v: Value): Value => {
    let m = map.get(v);
    if (!m) {
      if (v.role !== 'const') throw new Error(`rewrite: ${v} used before it is defined`);
      m = graph.constant(v.data!, v.shape, v.dtype);
      map.set(v, m);
    }
    return m;
  };
  for (const n of neededNodes(src, targets)) {
    const ins = n.inputs.map(get);
    const def = opDef(n.op);
    const outs = def.expand && expand(n) ? def.expand(n, ins) : graph.op(n.op, ins, n.attrs);
    n.outputs.forEach((o, i) => map.set(o, outs[i]));
  }
  for (const t of targets) get(t);
  for (const [name, v] of src.outputs) if (map.has(v)) graph.output(name, map.get(v)!);
  return { graph, map };
}
