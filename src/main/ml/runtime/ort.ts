/**
 * onnxruntime-node sessions: execution-provider choice (CUDA when its provider library loads,
 * else CPU with the reason), thread settings and a session cache keyed by model content.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';

export type DevicePreference = 'auto' | 'cpu' | 'cuda';

export interface ProviderChoice {
  provider: 'cpu' | 'cuda';
  /** Why this provider runs (e.g. why CUDA is not used). */
  reason: string;
}

export interface RuntimeOptions {
  device?: DevicePreference;
  /** Intra-op threads for CPU kernels (default: all cores). */
  threads?: number;
  /** Write onnxruntime profiles with this file prefix (diagnostics; see Executor.endProfiling). */
  profilePrefix?: string;
}

function ortBinDir(): string | null {
  try {
    const req = createRequire(import.meta.url);
    const pkg = dirname(req.resolve('onnxruntime-node/package.json'));
    const base = join(pkg, 'bin');
    for (const napi of readdirSync(base)) {
      const dir = join(base, napi, process.platform, process.arch);
      if (existsSync(dir)) return dir;
    }
  } catch {
    // fall through
  }
  return null;
}

let cudaProbe: Promise<ProviderChoice> | null = null;

async function probeCuda(): Promise<ProviderChoice> {
  const dir = ortBinDir();
  const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  if (!dir || !existsSync(join(dir, lib))) {
    return { provider: 'cpu', reason: `CUDA provider not installed (${lib} missing from onnxruntime-node's binaries); running on CPU` };
  }
  try {
    const { encodeModel, lowerGraph } = await import('../onnx/lower');
    const { Graph } = await import('../ir/graph');
    const F = await import('../ir/functional');
    const g = new Graph();
    const x = g.input('x', [2]);
    const bytes = encodeModel(lowerGraph(g, { outputs: { y: F.relu(x) } }).model);
    await ort.InferenceSession.create(bytes, { executionProviders: ['cuda'], logSeverityLevel: 4 });
    return { provider: 'cuda', reason: 'CUDA provider loaded' };
  } catch (e) {
    return { provider: 'cpu', reason: `CUDA provider failed to start (${(e as Error).message.split('\n')[0]}); running on CPU` };
  }
}

/** Picks the execution provider; CUDA is probed once per process. */
export async function chooseProvider(pref: DevicePreference = 'auto'): Promise<ProviderChoice> {
  if (pref === 'cpu') return { provider: 'cpu', reason: 'CPU requested' };
  cudaProbe ??= probeCuda();
  return cudaProbe;
}

export function defaultThreads(): number {
  const env = Number(process.env.TOKENUNIFY_THREADS);
  return env > 0 ? env : availableParallelism();
}

/**
 * onnxruntime's CPU arena is off: an arena never shrinks, so with several sessions per step (a
 * partitioned graph) each holds its own peak (tiny training: 6.2 GB with, 2.9 GB without), and
 * measured run times were no better with it (TOKENUNIFY_ORT_ARENA=1 turns it back on).
 */
export function sessionOptions(choice: ProviderChoice, threads: number, profilePrefix?: string): ort.InferenceSession.SessionOptions {
  return {
    enableCpuMemArena: process.env.TOKENUNIFY_ORT_ARENA === '1',
    ...(profilePrefix ? { enableProfiling: true, profileFilePrefix: profilePrefix } : {}),
    executionProviders: choice.provider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    // Idle intra-op threads spin by default; with several sessions (a partitioned graph) and
    // host kernels sharing the cores that burns them, so spinning is opt-in.
    extra: { session: { intra_op: { allow_spinning: process.env.TOKENUNIFY_ORT_SPIN === '1' ? '1' : '0' } } },
  };
}

interface CachedSession {
  session: Promise<ort.InferenceSession>;
  lastUsed: number;
}

const cache = new Map<string, CachedSession>();
const MAX_CACHED = 48;

/** Creates (or reuses) a session for model bytes or a model path. */
export function cachedSession(model: Uint8Array | string, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  const h = createHash('sha256');
  h.update(typeof model === 'string' ? `path:${model}` : model);
  h.update(JSON.stringify(options));
  const key = h.digest('hex');
  const hit = cache.get(key);
  if (hit) {
    hit.lastUsed = Date.now();
    return hit.session;
  }
  const session = typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);
  session.catch(() => cache.delete(key));
  cache.set(key, { session, lastUsed: Date.now() });
  if (cache.size > MAX_CACHED) {
    // Evicted sessions may still be held by their users; they are freed when collected.
    const oldest = [...cache.entries()].sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0];
    cache.delete(oldest[0]);
  }
  return session;
}

/** Releases every cached session (frees native memory). */
export async function releaseAllSessions(): Promise<void> {
  const all = [...cache.values()];
  cache.clear();
  await Promise.all(all.map((c) => c.session.then((s) => s.release()).catch(() => undefined)));
}

export { ort };
