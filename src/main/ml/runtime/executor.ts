/**
 * Runs an IR graph with onnxruntime-node. With the 'onnx' scan backend the whole graph is one
 * ONNX model (scans expanded to LinearAttention). With a host backend ('native' fused kernels,
 * or 'js') the graph is split at scan ops: onnxruntime segments and host scans alternate,
 * forward and backward alike, and tensors pass between them without copies.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Graph, Value } from '../ir/graph';
import { neededNodes } from '../ir/interpreter';
import { opDef } from '../ir/registry';
import { rewrite } from '../ir/rewrite';
import { encodeModel, lowerGraph, writeModelWithExternalData } from '../onnx/lower';
import { jsScanKernels, nativeScanKernels, type ScanCall, type ScanKernels } from '../scan/host';
import { stageNodes, valueBytes } from './staging';
import { cachedSession, chooseProvider, defaultThreads, ort, type RuntimeOptions, sessionOptions } from './ort';

export type ScanBackendPref = 'auto' | 'native' | 'onnx' | 'js';

export interface ExecutorOptions extends RuntimeOptions {
  scan?: ScanBackendPref;
  /**
   * Models whose initializers exceed this many bytes are written to a temporary folder with
   * ONNX external data and loaded from there (protobuf caps a model at 2 GB). Default 1 GiB.
   */
  externalDataBytes?: number;
  /** Defer onnxruntime nodes to the segment of their first reader where that saves memory (runtime/staging.ts). Default true. */
  deferNodes?: boolean;
}

export interface ExecutorInfo {
  provider: 'cpu' | 'cuda';
  providerReason: string;
  scanBackend: 'onnx' | 'native' | 'js';
  scanReason: string;
  threads: number;
  /** onnxruntime sessions per run. */
  segments: number;
  /** host ops per run. */
  hostOps: number;
  /**
   * Bytes each onnxruntime segment hands on to later steps (or to the caller) per run, in run
   * order: what the partitioned executor copies out of onnxruntime and holds between steps.
   */
  segmentOutputBytes: number[];
}

export interface ExecutorSpec {
  outputs: Record<string, Value>;
  /** Parameters baked in as initializers (inference); the rest are fed per run by name. */
  weights?: Map<string, Float32Array>;
  name?: string;
}

type Step =
  | { kind: 'ort'; session: ort.InferenceSession; inputs: Map<string, Value>; outputs: Map<string, Value> }
  | { kind: 'host'; node: Graph['nodes'][number] };

/** Writes the model with external data to a temporary folder, loads it, and removes the folder. */
async function sessionWithExternalData(model: ReturnType<typeof lowerGraph>['model'], options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  const dir = mkdtempSync(join(tmpdir(), 'tokenunify-onnx-'));
  try {
    return await ort.InferenceSession.create(writeModelWithExternalData(model, dir), options);
  } finally {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Windows keeps memory-mapped files busy; the OS temp cleaner gets them later.
    }
  }
}

export async function resolveScanBackend(pref: ScanBackendPref = 'auto'): Promise<{ kernels: ScanKernels | null; backend: ExecutorInfo['scanBackend']; reason: string }> {
  if (pref === 'onnx') return { kernels: null, backend: 'onnx', reason: 'onnx scan requested (LinearAttention)' };
  if (pref === 'js') return { kernels: jsScanKernels, backend: 'js', reason: 'JS scan requested' };
  const native = await nativeScanKernels();
  if (native.kernels) return { kernels: native.kernels, backend: 'native', reason: native.reason };
  if (pref === 'native') throw new Error(`native scan requested but unavailable: ${native.reason}`);
  return { kernels: null, backend: 'onnx', reason: `native scan unavailable (${native.reason}); using onnx LinearAttention` };
}

function tensorOf(v: Value, data: ArrayLike<number> | ArrayBufferView): ort.Tensor {
  const dims = [...v.shape];
  if (v.dtype === 'float32') {
    const arr = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
    if (arr.length !== v.size) throw new Error(`feed '${v.name}' has ${arr.length} values, expected ${v.size} for shape [${v.shape}]`);
    return new ort.Tensor('float32', arr, dims);
  }
  if (v.dtype === 'bool') return new ort.Tensor('bool', Uint8Array.from(data as ArrayLike<number>), dims);
  return new ort.Tensor('int64', BigInt64Array.from(data as ArrayLike<number>, (x) => BigInt(x)), dims);
}

export interface RunTimings {
  /** Wall milliseconds spent in onnxruntime segments and in host ops during the last run. */
  ortMs: number;
  hostMs: number;
}

export class Executor {
  /** Where the last run's time went. */
  lastRun: RunTimings = { ortMs: 0, hostMs: 0 };

  private constructor(
    readonly info: ExecutorInfo,
    private readonly steps: Step[],
    private readonly feedValues: Map<string, Value>,
    private readonly targets: Map<string, Value>,
    private readonly lastUse: Map<Value, number>,
    private readonly kernels: ScanKernels | null,
    /** Baked parameters host ops may read directly. */
    private readonly bakedParams: Map<Value, Float32Array>,
  ) {}

  static async create(graph: Graph, spec: ExecutorSpec, opts: ExecutorOptions = {}): Promise<Executor> {
    const choice = await chooseProvider(opts.device);
    const threads = opts.threads ?? defaultThreads();
    const scan = await resolveScanBackend(opts.scan);
    const hostable = (op: string) => !!scan.kernels && !!opDef(op).hostable;
    const { graph: g, map } = rewrite(graph, Object.values(spec.outputs), (n) => !hostable(n.op));
    const targets = new Map(Object.entries(spec.outputs).map(([k, v]) => [k, map.get(v)!]));
    const nodes = neededNodes(g, [...targets.values()]);

    const targetSet = new Set(targets.values());
    const staging = stageNodes(nodes, (n) => hostable(n.op), targetSet, opts.deferNodes ?? true);
    const ortNodes: (typeof nodes)[] = Array.from({ length: staging.slots }, () => []);
    const hostNodes: (typeof nodes)[] = Array.from({ length: staging.slots }, () => []);
    for (const n of nodes) {
      const host = staging.hostStepOf.get(n);
      if (host !== undefined) hostNodes[host].push(n);
      else ortNodes[staging.segmentOf.get(n)!].push(n);
    }

    const consumers = new Map<Value, number[]>(); // value -> step indices that read it
    const steps: Step[] = [];
    const plan: { kind: 'ort' | 'host'; nodes: typeof nodes }[] = [];
    for (let s = 0; s < staging.slots; s++) {
      if (ortNodes[s].length) plan.push({ kind: 'ort', nodes: ortNodes[s] });
      for (const hn of hostNodes[s]) plan.push({ kind: 'host', nodes: [hn] });
    }
    plan.forEach((p, k) => {
      for (const n of p.nodes) {
        for (const i of n.inputs) {
          const readers = consumers.get(i);
          if (readers) readers.push(k);
          else consumers.set(i, [k]);
        }
      }
    });
    const opts2 = sessionOptions(choice, threads, opts.profilePrefix);
    const segmentOutputBytes: number[] = [];
    for (const [k, p] of plan.entries()) {
      if (p.kind === 'host') {
        steps.push({ kind: 'host', node: p.nodes[0] });
        continue;
      }
      const inSeg = new Set(p.nodes.map((n) => n.id));
      const extra = new Set<Value>();
      const outs: Record<string, Value> = {};
      for (const n of p.nodes) {
        for (const i of n.inputs) if (i.producer && !inSeg.has(i.producer.id)) extra.add(i);
        for (const o of n.outputs) {
          const later = (consumers.get(o) ?? []).some((c) => c !== k);
          if (later || targetSet.has(o)) outs[`v${o.id}`] = o;
        }
      }
      const lowered = lowerGraph(g, { outputs: outs, extraInputs: [...extra], weights: spec.weights, name: `${spec.name ?? 'graph'}_seg${k}` });
      const session = lowered.initializerBytes > (opts.externalDataBytes ?? 2 ** 30)
        ? await sessionWithExternalData(lowered.model, opts2)
        : await cachedSession(encodeModel(lowered.model), opts2);
      steps.push({ kind: 'ort', session, inputs: lowered.inputs, outputs: new Map(Object.entries(outs)) });
      segmentOutputBytes.push(Object.values(outs).reduce((a, v) => a + valueBytes(v), 0));
    }
    const lastUse = new Map<Value, number>();
    for (const [v, cs] of consumers) lastUse.set(v, Math.max(...cs));
    // Only what the targets need is fed (a graph may carry inputs of other executors).
    const used = new Set<Value>(targets.values());
    for (const n of nodes) for (const i of n.inputs) used.add(i);
    const feedValues = new Map<string, Value>();
    for (const v of g.inputs) if (used.has(v)) feedValues.set(v.name, v);
    for (const [name, p] of g.params) if (used.has(p) && !spec.weights?.has(name)) feedValues.set(name, p);
    const info: ExecutorInfo = {
      provider: choice.provider,
      providerReason: choice.reason,
      scanBackend: scan.backend,
      scanReason: scan.reason,
      threads,
      segments: steps.filter((s) => s.kind === 'ort').length,
      hostOps: steps.filter((s) => s.kind === 'host').length,
      segmentOutputBytes,
    };
    const baked = new Map<Value, Float32Array>();
    for (const [name, p] of g.params) {
      const w = spec.weights?.get(name);
      if (w) baked.set(p, w);
    }
    return new Executor(info, steps, feedValues, targets, lastUse, scan.kernels, baked);
  }

  /** Ends onnxruntime profiling (sessions created with `profilePrefix`); writes the JSON files. */
  endProfiling(): void {
    for (const s of this.steps) if (s.kind === 'ort') s.session.endProfiling();
  }

  /** Names the run expects in `feeds` (graph inputs and non-baked parameters). */
  get feedNames(): string[] {
    return [...this.feedValues.keys()];
  }

  async run(feeds: Record<string, ArrayLike<number> | ArrayBufferView>): Promise<Record<string, Float32Array>> {
    const env = new Map<Value, ort.Tensor>();
    for (const [name, v] of this.feedValues) {
      const f = feeds[name];
      if (!f) throw new Error(`missing feed '${name}'`);
      env.set(v, tensorOf(v, f));
    }
    const get = (v: Value): ort.Tensor => {
      const t = env.get(v);
      if (t) return t;
      if (v.role === 'const' || this.bakedParams.has(v)) {
        const c = tensorOf(v, this.bakedParams.get(v) ?? v.data!);
        env.set(v, c);
        return c;
      }
      throw new Error(`executor: value ${v} not available`);
    };
    const keep = new Set(this.targets.values());
    const timings: RunTimings = { ortMs: 0, hostMs: 0 };
    for (const [k, step] of this.steps.entries()) {
      const t0 = performance.now();
      if (step.kind === 'ort') {
        const inFeeds: Record<string, ort.Tensor> = {};
        for (const [n, v] of step.inputs) inFeeds[n] = get(v);
        const res = await step.session.run(inFeeds);
        for (const [n, v] of step.outputs) env.set(v, res[n] as ort.Tensor);
        timings.ortMs += performance.now() - t0;
      } else {
        await this.runHost(step.node, get, env);
        timings.hostMs += performance.now() - t0;
      }
      for (const [v, last] of this.lastUse) if (last === k && !keep.has(v) && v.role === 'node') env.delete(v);
    }
    const out: Record<string, Float32Array> = {};
    for (const [name, v] of this.targets) out[name] = get(v).data as Float32Array;
    this.lastRun = timings;
    return out;
  }

  private async runHost(node: Graph['nodes'][number], get: (v: Value) => ort.Tensor, env: Map<Value, ort.Tensor>): Promise<void> {
    const k = this.kernels!;
    const arr = node.inputs.map((v) => get(v).data as Float32Array);
    const [u, , A] = node.inputs;
    const call: ScanCall = {
      batch: u.shape[0],
      dim: u.shape[1],
      length: u.shape[2],
      dstate: A.shape[1],
      u: arr[0],
      delta: arr[1],
      A: arr[2],
      Bm: arr[3],
      Cm: arr[4],
      Dskip: arr[5],
      deltaBias: arr[6],
      deltaSoftplus: node.attrs.deltaSoftplus !== false,
      threads: this.info.threads,
    };
    if (node.op === 'SelectiveScan') {
      env.set(node.outputs[0], tensorOf(node.outputs[0], await k.forward(call)));
    } else if (node.op === 'SelectiveScanGrad') {
      const g = await k.backward({ ...call, dy: arr[7] });
      [g.du, g.ddelta, g.dA, g.dBm, g.dCm, g.dDskip, g.ddeltaBias].forEach((d, i) => env.set(node.outputs[i], tensorOf(node.outputs[i], d)));
    } else {
      throw new Error(`executor: no host kernel for ${node.op}`);
    }
  }
}
