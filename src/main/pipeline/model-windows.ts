/**
 * Windows predicted by a model: read (mirrored past the volume's edge), normalised, run through
 * the engine's Predictor, optionally averaged over flips (test-time augmentation).
 *
 * Flip TTA for affinities: with axis a flipped, the un-flipped channel a at voxel v describes
 * the pair (v, v + e_a), i.e. the affinity stored at v + e_a; it is shifted back by one voxel,
 * and the first plane along a (which no flipped pass describes) averages the passes that do.
 */
import type { Normalization } from '../ml/checkpoint/index';
import { Predictor } from '../ml/infer/predictor';
import type { SegMambaModel } from '../ml/model';
import type { ExecutorInfo, ScanBackendPref } from '../ml/runtime/executor';
import { voxelCount, type Vec3 } from '../volumes/box';
import { flipAxis } from './augment';
import { normalize } from './normalization';
import { readPadded, type VolumeSource } from './volume-source';
import type { WindowPredictor } from './windows';

export type TtaMode = 'none' | 'flips';

/** The flip combinations of a TTA mode as [z, y, x] flags; the identity first. */
export function ttaFlips(mode: TtaMode): [boolean, boolean, boolean][] {
  if (mode === 'none') return [[false, false, false]];
  const out: [boolean, boolean, boolean][] = [];
  for (let m = 0; m < 8; m++) out.push([!!(m & 4), !!(m & 2), !!(m & 1)]);
  return out;
}

function flipChannels(data: Float32Array, channels: number, shape: Vec3, flips: readonly boolean[]): Float32Array {
  const n = voxelCount(shape);
  const out = new Float32Array(data.length);
  for (let c = 0; c < channels; c++) {
    let v = data.subarray(c * n, (c + 1) * n);
    flips.forEach((f, a) => {
      if (f) v = flipAxis(v, shape, a as 0 | 1 | 2);
    });
    out.set(v, c * n);
  }
  return out;
}

/**
 * Averages affinity predictions of flipped inputs (each already un-flipped), shifting the
 * channel of every flipped axis back by one voxel along it.
 */
export function mergeFlippedAffinities(passes: { flips: readonly boolean[]; prediction: Float32Array }[], shape: Vec3): Float32Array {
  const n = voxelCount(shape);
  const [Z, Y, X] = shape;
  const sum = new Float32Array(3 * n);
  const count = new Float32Array(3 * n);
  const stride = [Y * X, X, 1];
  for (const { flips, prediction } of passes) {
    for (let c = 0; c < 3; c++) {
      const shift = flips[c];
      const base = c * n;
      for (let z = 0; z < Z; z++)
        for (let y = 0; y < Y; y++)
          for (let x = 0; x < X; x++) {
            const v = (z * Y + y) * X + x;
            if (shift) {
              if ([z, y, x][c] === 0) continue;
              sum[base + v] += prediction[base + v - stride[c]];
            } else sum[base + v] += prediction[base + v];
            count[base + v] += 1;
          }
    }
  }
  for (let i = 0; i < sum.length; i++) sum[i] /= count[i];
  return sum;
}

export interface ModelWindowOptions {
  model: SegMambaModel;
  weights: Map<string, Float32Array>;
  normalization: Normalization;
  source: VolumeSource;
  window: Vec3;
  tta?: TtaMode;
  threads?: number;
  scan?: ScanBackendPref;
}

export async function modelWindowPredictor(o: ModelWindowOptions): Promise<WindowPredictor & { info: ExecutorInfo }> {
  const predictor = await Predictor.create(o.model, o.weights, { crop: o.window, threads: o.threads, scan: o.scan });
  const channels = o.model.config.outChannels;
  const flips = ttaFlips(o.tta ?? 'none');
  const w = o.window;
  return {
    window: w,
    channels,
    info: predictor.info,
    async predict(origin) {
      const raw = await readPadded(o.source, { min: origin, max: [origin[0] + w[0], origin[1] + w[1], origin[2] + w[2]] }, 'reflect');
      const input = normalize(raw, o.normalization);
      if (flips.length === 1) return predictor.predict(input);
      const passes: { flips: readonly boolean[]; prediction: Float32Array }[] = [];
      for (const f of flips) {
        const x = flipChannels(input, 1, w, f);
        passes.push({ flips: f, prediction: flipChannels(await predictor.predict(x), channels, w, f) });
      }
      return channels === 3 ? mergeFlippedAffinities(passes, w) : averagePasses(passes);
    },
  };
}

function averagePasses(passes: { prediction: Float32Array }[]): Float32Array {
  const out = new Float32Array(passes[0].prediction.length);
  for (const p of passes) for (let i = 0; i < out.length; i++) out[i] += p.prediction[i] / passes.length;
  return out;
}
