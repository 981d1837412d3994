/**
 * Lowers an IR graph to an ONNX model (opset 26 + com.microsoft) with onnx-proto.
 * Parameters become initializers (inference) or graph inputs (training); initializers larger
 * than a threshold can be written as external data next to the model file.
 */
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import type { DType, Graph, Value } from '../ir/graph';
import { neededNodes } from '../ir/interpreter';
import { type LowerCtx, type OnnxAttr, opDef } from '../ir/registry';

const { onnx } = onnxProto;
type ModelProto = InstanceType<typeof onnx.ModelProto>;

export const OPSET = 26;
export const IR_VERSION = 10;

const ELEM: Record<DType, number> = { float32: onnx.TensorProto.DataType.FLOAT, int64: onnx.TensorProto.DataType.INT64, bool: onnx.TensorProto.DataType.BOOL };

export interface LowerSpec {
  /** ONNX output name -> IR value. */
  outputs: Record<string, Value>;
  /** Parameters baked in as initializers (by parameter name); the others become graph inputs. */
  weights?: Map<string, Float32Array>;
  /** IR values (not graph inputs) that become ONNX graph inputs: the partitioned executor's cut points. */
  extraInputs?: readonly Value[];
  /** Name used inside the model (diagnostics). */
  name?: string;
}

export interface LoweredModel {
  model: ModelProto;
  /** ONNX input name -> IR value (graph inputs, non-baked parameters, extra inputs). */
  inputs: Map<string, Value>;
  /** Total bytes of initializers. */
  initializerBytes: number;
}

function attrProto(name: string, v: OnnxAttr) {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: Buffer.from(v) };
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: use {float} for non-integer values`);
    return { name, type: T.INT, i: v };
  }
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v as number[] };
  const o = v as { float: number } | { floats: readonly number[] };
  if ('float' in o) return { name, type: T.FLOAT, f: o.float };
  return { name, type: T.FLOATS, floats: [...o.floats] };
}

function valueInfo(name: string, v: Value) {
  return { name, type: { tensorType: { elemType: ELEM[v.dtype], shape: { dim: v.shape.map((d) => ({ dimValue: d })) } } } };
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export function lowerGraph(graph: Graph, spec: LowerSpec): LoweredModel {
  const targets = Object.values(spec.outputs);
  const extra = new Set(spec.extraInputs ?? []);
  const nodes = neededNodes(graph, targets, extra);
  const initializers: ReturnType<typeof onnx.TensorProto.create>[] = [];
  const nodeProtos: ReturnType<typeof onnx.NodeProto.create>[] = [];
  const inputs = new Map<string, Value>();
  const names = new Map<Value, string>();
  const used = new Set<string>();
  let initializerBytes = 0;
  let tmpCount = 0;
  const paramNames = new Map<Value, string>();
  for (const [n, p] of graph.params) paramNames.set(p, n);

  const constCache = new Map<string, string>();
  const addInit = (name: string, dtype: DType, dims: readonly number[], raw: Uint8Array) => {
    initializers.push(onnx.TensorProto.create({ name, dataType: ELEM[dtype], dims: [...dims], rawData: raw }));
    initializerBytes += raw.byteLength;
  };
  const fresh = (hint: string) => {
    let n = hint;
    while (used.has(n)) n = `${hint}__${tmpCount++}`;
    used.add(n);
    return n;
  };

  const name = (v: Value): string => {
    const known = names.get(v);
    if (known) return known;
    let n: string;
    if (extra.has(v)) {
      n = fresh(v.name);
      inputs.set(n, v);
    } else if (v.role === 'input') {
      n = fresh(v.name);
      inputs.set(n, v);
    } else if (v.role === 'param') {
      const pname = paramNames.get(v)!;
      n = fresh(pname);
      const w = spec.weights?.get(pname);
      if (w) {
        if (w.length !== v.size) throw new Error(`weights for '${pname}' have ${w.length} values, expected ${v.size}`);
        addInit(n, 'float32', v.shape, bytesOf(w));
      } else inputs.set(n, v);
    } else if (v.role === 'const') {
      n = fresh(`const_${v.id}`);
      const data = v.data!;
      addInit(n, v.dtype, v.shape, v.dtype === 'int64' ? bytesOf(BigInt64Array.from(data, (x) => BigInt(x))) : v.dtype === 'bool' ? Uint8Array.from(data) : bytesOf(Float32Array.from(data)));
    } else {
      n = fresh(v.name);
    }
    names.set(v, n);
    return n;
  };

  const ctx: LowerCtx = {
    name,
    tmp: (hint) => fresh(`${hint}_t`),
    constI64: (values, shape) => {
      const s = shape ?? [values.length];
      const key = `i64|${s.join(',')}|${values.join(',')}`;
      let n = constCache.get(key);
      if (!n) {
        n = fresh(`i64_${constCache.size}`);
        addInit(n, 'int64', s, bytesOf(BigInt64Array.from(values, (x) => BigInt(x))));
        constCache.set(key, n);
      }
      return n;
    },
    constF32: (values, shape) => {
      const arr = Float32Array.from(values);
      const key = arr.length <= 4096 ? `f32|${shape.join(',')}|${arr.join(',')}` : null;
      let n = key ? constCache.get(key) : undefined;
      if (!n) {
        n = fresh(`f32_${constCache.size}`);
        addInit(n, 'float32', shape, bytesOf(arr));
        if (key) constCache.set(key, n);
      }
      return n;
    },
    emit: (opType, ins, outs, attrs, domain) => {
      nodeProtos.push(
        onnx.NodeProto.create({
          opType,
          domain: domain ?? '',
          input: [...ins],
          output: [...outs],
          name: fresh(`${opType}_${nodeProtos.length}`),
          attribute: Object.entries(attrs ?? {}).map(([k, v]) => attrProto(k, v)),
        }),
      );
    },
  };

  // Cut-point inputs must be named before any node that produces them is visited.
  for (const v of extra) name(v);
  for (const n of nodes) opDef(n.op).lower(n, ctx);
  const outputs = Object.entries(spec.outputs).map(([outName, v]) => {
    const inner = name(v);
    if (inner !== outName) {
      if (used.has(outName)) throw new Error(`output name '${outName}' collides with an inner value name`);
      used.add(outName);
      ctx.emit('Identity', [inner], [outName]);
    }
    return valueInfo(outName, v);
  });
  const graphProto = onnx.GraphProto.create({
    name: spec.name ?? 'tokenunify',
    node: nodeProtos,
    initializer: initializers,
    input: [...inputs].map(([n, v]) => valueInfo(n, v)),
    output: outputs,
  });
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'tokenunify-studio',
    opsetImport: [
      { domain: '', version: OPSET },
      { domain: 'com.microsoft', version: 1 },
    ],
    graph: graphProto,
  });
  return { model, inputs, initializerBytes };
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/**
 * Writes `model.onnx` into `dir`, moving initializers of at least `thresholdBytes` into
 * `model.onnx.data` (ONNX external data); returns the model path.
 */
export function writeModelWithExternalData(model: ModelProto, dir: string, thresholdBytes = 1024): string {
  const dataFile = 'model.onnx.data';
  const fd = openSync(join(dir, dataFile), 'w');
  try {
    let offset = 0;
    for (const t of model.graph!.initializer!) {
      const raw = t.rawData;
      if (!raw || raw.byteLength < thresholdBytes) continue;
      const pad = (64 - (offset % 64)) % 64; // keep tensors aligned for mmap
      if (pad) writeSync(fd, new Uint8Array(pad));
      offset += pad;
      for (let o = 0; o < raw.byteLength; o += 1 << 30) writeSync(fd, raw.subarray(o, Math.min(raw.byteLength, o + (1 << 30))));
      t.externalData = [
        { key: 'location', value: dataFile },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(raw.byteLength) },
      ];
      t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      t.rawData = new Uint8Array(0);
      offset += raw.byteLength;
    }
  } finally {
    closeSync(fd);
  }
  const path = join(dir, 'model.onnx');
  writeFileSync(path, encodeModel(model));
  return path;
}
