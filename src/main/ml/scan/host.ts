/**
 * Host (non-onnxruntime) selective-scan kernels for the partitioned executor: the native
 * addon's fused kernels when they load (wrapper src/main/native/scan.ts, or the addon's raw
 * functions), else a float32 JS port of the float64 reference.
 */
import { nativeAddon, nativeStatus } from '../../native/addon';
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

type ForwardFn = (a: ScanCall) => Float32Array | Promise<Float32Array>;
type BackwardFn = (a: ScanCall & { dy: Float32Array }) => ScanGrads<Float32Array> | Promise<ScanGrads<Float32Array>>;

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

let nativeProbe: Promise<{ kernels: ScanKernels | null; reason: string }> | null = null;

async function loadWrapper(): Promise<Record<string, unknown> | null> {
  // The wrapper is written by the native-kernel work; it may not exist in this checkout.
  const spec = ['..', '..', 'native', 'scan'].join('/');
  try {
    return (await import(/* @vite-ignore */ spec)) as Record<string, unknown>;
  } catch {
    return null;
  }
}

async function probeNative(): Promise<{ kernels: ScanKernels | null; reason: string }> {
  const wrapper = await loadWrapper();
  let fwd: ForwardFn | null = null;
  let bwd: BackwardFn | null = null;
  let source = '';
  if (wrapper && typeof wrapper.selectiveScanForward === 'function' && typeof wrapper.selectiveScanBackward === 'function') {
    fwd = wrapper.selectiveScanForward as ForwardFn;
    bwd = wrapper.selectiveScanBackward as BackwardFn;
    source = 'src/main/native/scan.ts';
    const info = typeof wrapper.scanBackendInfo === 'function' ? (wrapper.scanBackendInfo as () => unknown)() : null;
    if (info) source += ` (${JSON.stringify(info)})`;
  } else {
    const addon = nativeAddon<Record<string, unknown>>();
    if (!addon) return { kernels: null, reason: nativeStatus().reason };
    const pick = (sync: string, async: string) => (typeof addon[async] === 'function' ? addon[async] : typeof addon[sync] === 'function' ? addon[sync] : null);
    fwd = pick('selectiveScanForward', 'selectiveScanForwardAsync') as ForwardFn | null;
    bwd = pick('selectiveScanBackward', 'selectiveScanBackwardAsync') as BackwardFn | null;
    if (!fwd || !bwd) return { kernels: null, reason: 'the native addon has no selective-scan kernels' };
    source = `addon ${nativeStatus().path}`;
  }
  const kernels: ScanKernels = {
    name: 'native',
    detail: source,
    forward: async (a) => fwd!(a),
    backward: async (a) => bwd!(a),
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
  return { kernels, reason: `native scan loaded from ${source}` };
}

/** The native kernels when they load, with the reason either way (probed once). */
export function nativeScanKernels(): Promise<{ kernels: ScanKernels | null; reason: string }> {
  nativeProbe ??= probeNative();
  return nativeProbe;
}
