/** The op registry: each op's shape inference, float64 evaluator, gradient rule and ONNX lowering. */
import type { Attrs, DType, Node, Shape, Value } from './graph';
import type { Tensor } from './tensor';

export interface OutputInfo {
  shape: Shape;
  dtype: DType;
}

export type OnnxAttr = number | string | readonly number[] | { float: number } | { floats: readonly number[] };

/** What an op's lowering sees: names for IR values, constant builders and node emission. */
export interface LowerCtx {
  /** The ONNX value name of an IR value. */
  name(v: Value): string;
  /** A fresh intermediate name. */
  tmp(hint: string): string;
  /** An int64 initializer (deduplicated); returns its name. */
  constI64(values: readonly number[], shape?: readonly number[]): string;
  /** A float32 initializer (deduplicated when small); returns its name. */
  constF32(values: ArrayLike<number>, shape: readonly number[]): string;
  /** Emits one ONNX node. Integer-valued numbers become INT attributes; use {float} for FLOAT. */
  emit(opType: string, inputs: readonly string[], outputs: readonly string[], attrs?: Record<string, OnnxAttr>, domain?: string): void;
}

export interface OpDef {
  readonly name: string;
  infer(inputs: readonly Value[], attrs: Attrs): OutputInfo[];
  /** Reference semantics in float64. */
  evaluate(inputs: Tensor[], attrs: Attrs): Tensor[];
  /** Gradients w.r.t. each input given the output gradients (null = zero); null entries = no gradient. */
  grad?(node: Node, dOutputs: (Value | null)[]): (Value | null)[];
  lower(node: Node, ctx: LowerCtx): void;
  /**
   * Rewrites the node into other IR ops (built on the graph of `inputs`) before lowering to
   * ONNX; used for ops without a direct ONNX counterpart.
   */
  expand?(node: Node, inputs: Value[]): Value[];
  /** Ops that may run outside onnxruntime (the partitioned executor's host ops). */
  readonly hostable?: boolean;
}

const defs = new Map<string, OpDef>();

export function defineOp(def: OpDef): OpDef {
  if (defs.has(def.name)) throw new Error(`op '${def.name}' defined twice`);
  defs.set(def.name, def);
  return def;
}

export function opDef(name: string): OpDef {
  const d = defs.get(name);
  if (!d) throw new Error(`unknown IR op '${name}'`);
  return d;
}

export function allOps(): string[] {
  return [...defs.keys()];
}

// Attribute accessors with clear errors.
export function attrNum(attrs: Attrs, key: string, dflt?: number): number {
  const v = attrs[key];
  if (v === undefined) {
    if (dflt === undefined) throw new Error(`missing attribute '${key}'`);
    return dflt;
  }
  if (typeof v !== 'number') throw new Error(`attribute '${key}' must be a number`);
  return v;
}

export function attrInts(attrs: Attrs, key: string, dflt?: readonly number[]): number[] {
  const v = attrs[key];
  if (v === undefined) {
    if (dflt === undefined) throw new Error(`missing attribute '${key}'`);
    return [...dflt];
  }
  if (!Array.isArray(v)) throw new Error(`attribute '${key}' must be a number list`);
  return [...(v as number[])];
}

export function attrBool(attrs: Attrs, key: string, dflt: boolean): boolean {
  const v = attrs[key];
  return v === undefined ? dflt : Boolean(v);
}

export function attrStr(attrs: Attrs, key: string, dflt?: string): string {
  const v = attrs[key];
  if (v === undefined) {
    if (dflt === undefined) throw new Error(`missing attribute '${key}'`);
    return dflt;
  }
  return String(v);
}
