/**
 * Typed wrapper of the fused selective-scan kernels (Mamba-1, mamba_ssm layout) in the
 * native addon: CPU kernels (multithreaded, SIMD dispatched at run time) and, when the
 * CUDA library and a driver load, CUDA kernels. Contract: /work/notes/scan-contract.md,
 * design and tolerances: docs/native-scan.md.
 *
 *   u, delta, y [B, D, L]; A [D, N] (negative); Bm, Cm [B, N, L]; Dskip, deltaBias [D]
 *   dt = softplus(delta + deltaBias); h_t = exp(dt*A) h_{t-1} + dt*Bm_t*u_t; y = Cm.h + Dskip*u
 *
 * The sync functions block the calling thread (use them in workers or for small inputs);
 * the async ones run on a libuv thread that fans out to the addon's thread pool. Inputs
 * must not be detached or transferred while an async call is pending.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../errors';
import { repoRoot } from '../paths';
import { nativeAddon, nativeStatus } from './addon';

export interface ScanShape {
  batch: number;
  dim: number;
  length: number;
  dstate: number;
}

export interface ScanInputs extends ScanShape {
  u: Float32Array;
  delta: Float32Array;
  A: Float32Array;
  Bm: Float32Array;
  Cm: Float32Array;
  Dskip: Float32Array;
  deltaBias: Float32Array;
  deltaSoftplus: boolean;
}

export interface ScanBackwardInputs extends ScanInputs {
  dy: Float32Array;
}

export interface ScanGradients {
  du: Float32Array;
  ddelta: Float32Array;
  dA: Float32Array;
  dBm: Float32Array;
  dCm: Float32Array;
  dDskip: Float32Array;
  ddeltaBias: Float32Array;
}

export type ScanSimd = 'auto' | 'scalar' | 'generic' | 'avx2' | 'avx512';
/** 'auto': CUDA when it is available, else the CPU. */
export type ScanDevice = 'auto' | 'cpu' | 'cuda';

export interface ScanOptions {
  /** CPU worker threads (default: hardware threads). */
  threads?: number;
  /** CPU instruction-set variant (default: the best this CPU runs). */
  simd?: ScanSimd;
  device?: ScanDevice;
}

export interface ScanBackendInfo {
  cpu: { available: boolean; reason: string; threads: number; simd: string | null; simdAvailable: string[]; arch: string | null };
  cuda: { available: boolean; reason: string; device: string | null; library: string | null };
}

type Call = ScanInputs & ScanOptions & { dy?: Float32Array };

interface ScanAddon {
  selectiveScanForward(a: Call): Float32Array;
  selectiveScanForwardAsync(a: Call): Promise<Float32Array>;
  selectiveScanBackward(a: Call): ScanGradients;
  selectiveScanBackwardAsync(a: Call): Promise<ScanGradients>;
  selectiveScanForwardCuda(a: Call): Float32Array;
  selectiveScanForwardCudaAsync(a: Call): Promise<Float32Array>;
  selectiveScanBackwardCuda(a: Call): ScanGradients;
  selectiveScanBackwardCudaAsync(a: Call): Promise<ScanGradients>;
  scanCpuInfo(): { threads: number; simd: string; simdAvailable: string[]; arch: string };
  scanCudaLoad(path: string, opts?: { requireDriver?: boolean }): ScanBackendInfo['cuda'];
  scanParallelCopy(dst: ArrayBufferView, src: ArrayBufferView, threads?: number): void;
  scanExpFloor(a: Call): number;
}

export const CUDA_LIBRARY_NAME = 'libtokenunify_scan_cuda.so';

function scanAddon(): ScanAddon | null {
  const addon = nativeAddon<Partial<ScanAddon>>();
  return addon && typeof addon.selectiveScanForward === 'function' ? (addon as ScanAddon) : null;
}

function requireScanAddon(): ScanAddon {
  const addon = scanAddon();
  if (addon) return addon;
  const status = nativeStatus();
  throw new AppError(
    'UNSUPPORTED',
    status.available ? `the native addon at ${status.path} has no selective-scan kernels (rebuild native/)` : status.reason,
  );
}

/** Where the CUDA library is looked for: TOKENUNIFY_SCAN_CUDA_LIB, the build folder, the packaged app. */
export function cudaLibraryCandidates(): string[] {
  const list = [join(repoRoot(), 'native', 'build-cuda', CUDA_LIBRARY_NAME)];
  if (process.resourcesPath) list.push(join(process.resourcesPath, 'native', CUDA_LIBRARY_NAME));
  const fromEnv = process.env.TOKENUNIFY_SCAN_CUDA_LIB;
  return fromEnv ? [fromEnv] : list;
}

let cudaStatus: ScanBackendInfo['cuda'] | null = null;

function cudaInfo(): ScanBackendInfo['cuda'] {
  if (cudaStatus) return cudaStatus;
  const addon = scanAddon();
  if (!addon) return (cudaStatus = { available: false, reason: 'native addon unavailable', device: null, library: null });
  if (process.platform !== 'linux') {
    return (cudaStatus = { available: false, reason: 'the CUDA scan backend is built for Linux only', device: null, library: null });
  }
  const candidates = cudaLibraryCandidates();
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    return (cudaStatus = {
      available: false,
      reason: `CUDA scan library not built (looked for ${candidates.join(', ')}; build with "node native/tools/build-cuda.mjs" where nvcc exists)`,
      device: null,
      library: null,
    });
  }
  return (cudaStatus = addon.scanCudaLoad(path));
}

/** What can run the scan here, and why not where it cannot. Probes CUDA once. */
export function scanBackendInfo(): ScanBackendInfo {
  const addon = scanAddon();
  const status = nativeStatus();
  const cpu = addon
    ? { available: true, reason: `native addon ${status.path}`, ...addon.scanCpuInfo() }
    : {
        available: false,
        reason: status.available ? 'the native addon has no selective-scan kernels' : status.reason,
        threads: 0,
        simd: null,
        simdAvailable: [],
        arch: null,
      };
  return { cpu, cuda: cudaInfo() };
}

/** The device a call with these options runs on. */
export function resolveScanDevice(device: ScanDevice = 'auto'): 'cpu' | 'cuda' {
  if (device === 'cpu') return 'cpu';
  const cuda = cudaInfo();
  if (device === 'cuda') {
    if (!cuda.available) throw new AppError('UNSUPPORTED', `CUDA selective scan unavailable: ${cuda.reason}`);
    return 'cuda';
  }
  return cuda.available ? 'cuda' : 'cpu';
}

function checkPositiveInteger(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 2 ** 31 - 1) {
    throw new AppError('BAD_REQUEST', `${fn}: '${name}' must be a positive integer, got ${String(v)}`);
  }
  return v;
}

/** Throws an AppError naming the first argument that does not fit the shape. */
export function validateScanInputs(fn: string, a: ScanInputs & ScanOptions & { dy?: Float32Array }, withDy: boolean): void {
  if (typeof a !== 'object' || a === null) throw new AppError('BAD_REQUEST', `${fn}: expected an argument object`);
  const B = checkPositiveInteger(fn, 'batch', a.batch);
  const D = checkPositiveInteger(fn, 'dim', a.dim);
  const L = checkPositiveInteger(fn, 'length', a.length);
  const N = checkPositiveInteger(fn, 'dstate', a.dstate);
  const want: [keyof Call, number, string][] = [
    ['u', B * D * L, 'batch*dim*length'],
    ['delta', B * D * L, 'batch*dim*length'],
    ['A', D * N, 'dim*dstate'],
    ['Bm', B * N * L, 'batch*dstate*length'],
    ['Cm', B * N * L, 'batch*dstate*length'],
    ['Dskip', D, 'dim'],
    ['deltaBias', D, 'dim'],
  ];
  if (withDy) want.push(['dy', B * D * L, 'batch*dim*length']);
  for (const [name, n, formula] of want) {
    const arr = a[name];
    if (!(arr instanceof Float32Array)) throw new AppError('BAD_REQUEST', `${fn}: '${name}' must be a Float32Array`);
    if (arr.length !== n) {
      throw new AppError('BAD_REQUEST', `${fn}: '${name}' has ${arr.length} elements, expected ${formula} = ${n} (B=${B} D=${D} L=${L} N=${N})`);
    }
  }
  if (typeof a.deltaSoftplus !== 'boolean') throw new AppError('BAD_REQUEST', `${fn}: 'deltaSoftplus' must be a boolean`);
  if (a.threads !== undefined && (!Number.isInteger(a.threads) || a.threads < 1 || a.threads > 1024)) {
    throw new AppError('BAD_REQUEST', `${fn}: 'threads' must be an integer in [1, 1024], got ${String(a.threads)}`);
  }
}

function prepare(fn: string, a: Call, withDy: boolean): { addon: ScanAddon; device: 'cpu' | 'cuda' } {
  validateScanInputs(fn, a, withDy);
  const addon = requireScanAddon();
  return { addon, device: resolveScanDevice(a.device) };
}

function failed(fn: string, device: string, e: unknown): never {
  if (e instanceof AppError) throw e;
  throw new AppError('INTERNAL', `${fn} (${device}) failed: ${(e as Error).message}`);
}

/** y [B, D, L]; blocks the calling thread. */
export function selectiveScanForward(a: ScanInputs & ScanOptions): Float32Array {
  const { addon, device } = prepare('selectiveScanForward', a, false);
  try {
    return device === 'cuda' ? addon.selectiveScanForwardCuda(a) : addon.selectiveScanForward(a);
  } catch (e) {
    failed('selectiveScanForward', device, e);
  }
}

/** y [B, D, L], computed off the JS thread. */
export async function selectiveScanForwardAsync(a: ScanInputs & ScanOptions): Promise<Float32Array> {
  const { addon, device } = prepare('selectiveScanForwardAsync', a, false);
  try {
    return await (device === 'cuda' ? addon.selectiveScanForwardCudaAsync(a) : addon.selectiveScanForwardAsync(a));
  } catch (e) {
    failed('selectiveScanForwardAsync', device, e);
  }
}

/** Gradients of sum(dy * y) w.r.t. every input (ddelta w.r.t. the raw delta); blocks. */
export function selectiveScanBackward(a: ScanBackwardInputs & ScanOptions): ScanGradients {
  const { addon, device } = prepare('selectiveScanBackward', a, true);
  try {
    return device === 'cuda' ? addon.selectiveScanBackwardCuda(a) : addon.selectiveScanBackward(a);
  } catch (e) {
    failed('selectiveScanBackward', device, e);
  }
}

/** The gradients, computed off the JS thread. */
export async function selectiveScanBackwardAsync(a: ScanBackwardInputs & ScanOptions): Promise<ScanGradients> {
  const { addon, device } = prepare('selectiveScanBackwardAsync', a, true);
  try {
    return await (device === 'cuda' ? addon.selectiveScanBackwardCudaAsync(a) : addon.selectiveScanBackwardAsync(a));
  } catch (e) {
    failed('selectiveScanBackwardAsync', device, e);
  }
}

/**
 * Benchmark only: exp(delta * A) of every state element of the call with the CPU forward's
 * vectorised exp and threads, nothing else (returns their sum). Its time is a floor no exact
 * forward scan can beat on this CPU, whatever the memory bandwidth.
 */
export function scanExpFloor(a: ScanInputs & ScanOptions): number {
  validateScanInputs('scanExpFloor', a, false);
  return requireScanAddon().scanExpFloor(a);
}

/** memcpy of src into dst split over `threads` pool threads (for bandwidth baselines). */
export function parallelCopy(dst: ArrayBufferView, src: ArrayBufferView, threads?: number): void {
  requireScanAddon().scanParallelCopy(dst, src, threads);
}
