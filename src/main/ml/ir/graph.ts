/**
 * The tensor-graph IR: values with static shapes and dtypes, nodes in topological
 * (construction) order. Ops are registered in `ops/registry.ts`; every op knows its
 * shape inference, a float64 evaluator, a gradient rule and its ONNX lowering.
 */
import './ops/all';
import { opDef } from './registry';

export type DType = 'float32' | 'int64' | 'bool';
export type Shape = readonly number[];
export type AttrValue = number | string | boolean | readonly number[] | readonly string[];
export type Attrs = Readonly<Record<string, AttrValue>>;

export type ValueRole = 'input' | 'param' | 'const' | 'node';

/** Parameter metadata used by optimisers and checkpoints. */
export interface ParamInfo {
  /** Decoupled weight decay applies (false for biases, norms, A_log, D). */
  decay: boolean;
}

export class Value {
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly shape: Shape,
    readonly dtype: DType,
    readonly role: ValueRole,
    readonly name: string,
    readonly producer: Node | null,
    /** Constant data (role 'const'), in float64 for floats/bools, BigInt64 for int64. */
    readonly data: Float64Array | null = null,
    readonly param: ParamInfo | null = null,
  ) {}

  get size(): number {
    return shapeSize(this.shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  toString(): string {
    return `${this.name}[${this.shape.join('x')}]`;
  }
}

export class Node {
  outputs: Value[] = [];
  constructor(
    readonly id: number,
    readonly op: string,
    readonly inputs: readonly Value[],
    readonly attrs: Attrs,
  ) {}
}

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeEq(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Value[] = [];
  readonly params = new Map<string, Value>();
  readonly outputs = new Map<string, Value>();
  private nextId = 0;
  private readonly names = new Set<string>();

  /** Name scope stack, joined with '/', used to name intermediate values readably. */
  private readonly scopes: string[] = [];

  private readonly nameCounters = new Map<string, number>();

  private uniqueName(base: string): string {
    let name = base;
    let i = this.nameCounters.get(base) ?? 0;
    while (this.names.has(name)) name = `${base}_${++i}`;
    this.nameCounters.set(base, i);
    this.names.add(name);
    return name;
  }

  scope<T>(name: string, fn: () => T): T {
    this.scopes.push(name);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  input(name: string, shape: Shape, dtype: DType = 'float32'): Value {
    if (this.names.has(name)) throw new Error(`graph input name '${name}' already used`);
    const v = new Value(this, this.nextId++, [...shape], dtype, 'input', this.uniqueName(name), null);
    this.inputs.push(v);
    return v;
  }

  param(name: string, shape: Shape, info: ParamInfo): Value {
    if (this.params.has(name)) throw new Error(`parameter '${name}' declared twice`);
    const v = new Value(this, this.nextId++, [...shape], 'float32', 'param', this.uniqueName(name), null, null, info);
    this.params.set(name, v);
    return v;
  }

  /** A constant tensor; `data` is copied. Scalars have shape []. */
  constant(data: number | ArrayLike<number>, shape?: Shape, dtype: DType = 'float32'): Value {
    const arr = typeof data === 'number' ? Float64Array.of(data) : Float64Array.from(data);
    const s = shape ?? (typeof data === 'number' ? [] : [arr.length]);
    if (shapeSize(s) !== arr.length) throw new Error(`constant: ${arr.length} values for shape [${s}]`);
    const key = arr.length <= 64 ? `${dtype}|${s.join(',')}|${arr.join(',')}` : null;
    const hit = key ? this.constMemo.get(key) : undefined;
    if (hit) return hit;
    const v = new Value(this, this.nextId++, [...s], dtype, 'const', this.uniqueName('const'), null, arr);
    if (key) this.constMemo.set(key, v);
    return v;
  }

  /** Memo for common-subexpression elimination: identical op + inputs + attrs reuse outputs. */
  private readonly memo = new Map<string, Value[]>();
  private readonly constMemo = new Map<string, Value>();

  /**
   * Appends a node and returns its outputs (shapes inferred by the op definition). Folds
   * Transpose-of-Transpose and Reshape-of-Reshape and reuses identical earlier nodes.
   */
  op(op: string, inputs: readonly Value[], attrs: Attrs = {}): Value[] {
    const def = opDef(op);
    for (const v of inputs) {
      if (v.graph !== this) throw new Error(`${op}: input ${v} belongs to another graph`);
    }
    const folded = this.fold(op, inputs, attrs);
    if (folded) return [folded];
    const key = `${op}|${inputs.map((v) => v.id).join(',')}|${JSON.stringify(attrs)}`;
    const hit = this.memo.get(key);
    if (hit) return hit;
    const infos = def.infer(inputs, attrs);
    const node = new Node(this.nextId++, op, [...inputs], attrs);
    const base = this.scopes.length ? `${this.scopes.join('/')}/${op}` : op;
    node.outputs = infos.map((info, i) =>
      new Value(this, this.nextId++, info.shape, info.dtype, 'node', this.uniqueName(infos.length > 1 ? `${base}:${i}` : base), node),
    );
    this.nodes.push(node);
    this.memo.set(key, node.outputs);
    return node.outputs;
  }

  private fold(op: string, inputs: readonly Value[], attrs: Attrs): Value | null {
    const src = inputs[0]?.producer;
    if (op === 'Transpose' && src?.op === 'Transpose') {
      const inner = src.attrs.perm as number[];
      const outer = attrs.perm as number[];
      const perm = outer.map((p) => inner[p]);
      const base = src.inputs[0];
      return perm.every((p, i) => p === i) ? base : this.op1('Transpose', [base], { perm });
    }
    if (op === 'Reshape' && src?.op === 'Reshape') {
      const base = src.inputs[0];
      return shapeEq(base.shape, attrs.shape as number[]) ? base : this.op1('Reshape', [base], attrs);
    }
    return null;
  }

  op1(op: string, inputs: readonly Value[], attrs: Attrs = {}): Value {
    return this.op(op, inputs, attrs)[0];
  }

  output(name: string, v: Value): void {
    if (this.outputs.has(name)) throw new Error(`graph output '${name}' declared twice`);
    this.outputs.set(name, v);
  }
}
