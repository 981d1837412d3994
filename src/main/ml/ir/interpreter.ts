/**
 * Float64 reference interpreter of the IR: the ground truth for gradient checks and for
 * checking the ONNX lowering. Intermediate tensors are released after their last use.
 */
import type { Graph, Value } from './graph';
import { opDef } from './registry';
import type { Tensor } from './tensor';

export type Feeds = Record<string, Tensor | ArrayLike<number>>;

function asTensor(v: Value, t: Tensor | ArrayLike<number>): Tensor {
  const tt = 'shape' in t && 'data' in t ? (t as Tensor) : { shape: [...v.shape], data: Float64Array.from(t as ArrayLike<number>) };
  if (tt.data.length !== v.size) throw new Error(`feed for ${v} has ${tt.data.length} values, expected ${v.size}`);
  return { shape: [...v.shape], data: tt.data instanceof Float64Array ? tt.data : Float64Array.from(tt.data) };
}

/** Nodes needed to compute `targets` (not looking past `given` values), in topological order. */
export function neededNodes(graph: Graph, targets: readonly Value[], given?: ReadonlySet<Value>) {
  const need = new Set<number>();
  const stack = [...targets];
  while (stack.length) {
    const v = stack.pop()!;
    if (given?.has(v)) continue;
    const p = v.producer;
    if (!p || need.has(p.id)) continue;
    need.add(p.id);
    stack.push(...p.inputs);
  }
  return graph.nodes.filter((n) => need.has(n.id));
}

/**
 * Evaluates `targets` (default: all graph outputs). Feeds are keyed by input or parameter name.
 */
export function interpret(graph: Graph, feeds: Feeds, targets?: readonly Value[]): Map<Value, Tensor> {
  const outs = targets ?? [...graph.outputs.values()];
  const nodes = neededNodes(graph, outs);
  const env = new Map<Value, Tensor>();
  const paramNames = new Map<Value, string>();
  for (const [name, p] of graph.params) paramNames.set(p, name);
  const get = (v: Value): Tensor => {
    const t = env.get(v);
    if (t) return t;
    if (v.role === 'const') {
      const c = { shape: [...v.shape], data: v.data! };
      env.set(v, c);
      return c;
    }
    if (v.role === 'input' || v.role === 'param') {
      const key = v.role === 'param' ? paramNames.get(v)! : v.name;
      const f = feeds[key];
      if (!f) throw new Error(`interpret: no feed for ${v.role} '${key}'`);
      const t2 = asTensor(v, f);
      env.set(v, t2);
      return t2;
    }
    throw new Error(`interpret: ${v} was not computed`);
  };
  const uses = new Map<Value, number>();
  for (const n of nodes) for (const i of n.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  const keep = new Set(outs);
  for (const n of nodes) {
    const results = opDef(n.op).evaluate(n.inputs.map(get), n.attrs);
    n.outputs.forEach((o, i) => env.set(o, results[i]));
    for (const i of n.inputs) {
      const left = (uses.get(i) ?? 1) - 1;
      uses.set(i, left);
      if (left === 0 && !keep.has(i) && i.role === 'node') env.delete(i);
    }
  }
  const result = new Map<Value, Tensor>();
  for (const o of outs) result.set(o, get(o));
  return result;
}
