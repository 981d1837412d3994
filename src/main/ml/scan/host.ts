/**
 * Host (non-onnxruntime) selective-scan kernels for the partitioned executor: the native
 * addon's fused kernels (src/main/native/scan.ts; CUDA when its library and a driver load,
 * else multithreaded SIMD CPU) when they pass a self-test, else a float32 JS port of the
 * float64 reference.
 */
import * as native from '../../native/scan';
import { type ScanArgs, type ScanDims, type ScanGrads, selectiveScanBackwardRef, selectiveScanForwardRef } from './reference';

export interface ScanCall extends ScanDims {
  u: Float32Array;
  delta: Float32Array;
  A: Float32Array;
  Bm: Float32Array;
  Cm: Float32Array;
  Dskip: Float32Array;
  deltaBias: Float32Array;
  deltaSoftplus: boolean;
  threads?: number;
}

export interface ScanKernels {
  name: 'native' | 'js';
  detail: string;
  forward(a: ScanCall): Promise<Float32Array>;
  backward(a: ScanCall & { dy: Float32Array }): Promise<ScanGrads<Float32Array>>;
}

const f32 = (a: Float64Array) => Float32Array.from(a);

export const jsScanKernels: ScanKernels = {
  name: 'js',
  detail: 'float32 JS port of the float64 reference (no native addon)',
  forward: async (a) => f32(selectiveScanForwardRef(a as ScanArgs)),
  backward: async (a) => {
    const g = selectiveScanBackwardRef(a as ScanArgs & { dy: Float32Array });
    return { du: f32(g.du), ddelta: f32(g.ddelta), dA: f32(g.dA), dBm: f32(g.dBm), dCm: f32(g.dCm), dDskip: f32(g.dDskip), ddeltaBias: f32(g.ddeltaBias) };
  },
};

const SYNC_BELOW = 1 << 20;

let nativeProbe: Promise<{ kernels: ScanKernels | null; reason: string }> | null = null;

async function probeNative(): Promise<{ kernels: ScanKernels | null; reason: string }> {
  let info: ReturnType<typeof native.scanBackendInfo>;
  try {
    info = native.scanBackendInfo();
  } catch (e) {
    return { kernels: null, reason: `native scan probe failed: ${(e as Error).message}` };
  }
  if (!info.cpu.available && !info.cuda.available) return { kernels: null, reason: info.cpu.reason };
  const device = info.cuda.available ? `CUDA ${info.cuda.device ?? ''}`.trim() : `CPU ${info.cpu.simd ?? ''}`.trim();
  const detail = `native ${device} (${info.cpu.reason}${info.cuda.available ? '' : `; CUDA: ${info.cuda.reason}`})`;
  // Small problems run synchronously: a thread-pool round trip costs more than the scan.
  const small = (a: ScanCall) => a.batch * a.dim * a.length * a.dstate < SYNC_BELOW;
  const kernels: ScanKernels = {
    name: 'native',
    detail,
    forward: async (a) => (small(a) ? native.selectiveScanForward({ ...a, threads: 1 }) : native.selectiveScanForwardAsync(a)),
    backward: async (a) => (small(a) ? native.selectiveScanBackward({ ...a, threads: 1 }) : native.selectiveScanBackwardAsync(a)),
  };
  // Self-test on a tiny problem so a broken build falls back instead of training garbage.
  try {
    const t: ScanCall = {
      batch: 1, dim: 2, length: 3, dstate: 2, deltaSoftplus: true,
      u: Float32Array.of(0.1, -0.2, 0.3, 0.4, 0.5, -0.6), delta: Float32Array.of(0.2, 0.1, -0.3, 0.0, 0.5, 0.2),
      A: Float32Array.of(-1, -2, -0.5, -1.5), Bm: Float32Array.of(0.3, -0.1, 0.2, 0.5, 0.4, -0.3),
      Cm: Float32Array.of(-0.2, 0.1, 0.6, 0.3, -0.4, 0.2), Dskip: Float32Array.of(1, 0.5), deltaBias: Float32Array.of(0.1, -0.1),
    };
    const y = await kernels.forward(t);
    const ref = selectiveScanForwardRef(t);
    const err = Math.max(...Array.from(ref, (r, i) => Math.abs(r - y[i])));
    if (!(err < 1e-4)) return { kernels: null, reason: `native scan self-test failed (max error ${err})` };
  } catch (e) {
    return { kernels: null, reason: `native scan self-test threw: ${(e as Error).message}` };
  }
  return { kernels, reason: detail };
}

/** The native kernels when they load, with the reason either way (probed once). */
export function nativeScanKernels(): Promise<{ kernels: ScanKernels | null; reason: string }> {
  nativeProbe ??= probeNative();
  return nativeProbe;
}
