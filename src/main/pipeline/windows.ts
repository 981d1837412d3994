/**
 * Sliding-window prediction with Gaussian blending. Windows lie on a fixed grid over the
 * region of interest (stride = window * (1 - overlap); the last window along an axis is moved
 * back to end at the region's edge); each voxel's value is the average of the windows that
 * cover it, weighted by a Gaussian centred on each window (sigma = window / 8 per axis, as
 * nnU-Net; weights clamped below at 1e-3 so borders still count). Any box of the region can be
 * computed on its own from the windows that touch it and equals the same box of the whole
 * region, which is what makes tile-by-tile inference of huge volumes exact.
 */
import { AppError } from '../errors';
import { boxSize, intersect, voxelCount, type Box, type Vec3 } from '../volumes/box';

export function windowStarts(size: number, window: number, overlap: number): number[] {
  if (!(overlap >= 0 && overlap < 1)) throw new AppError('BAD_REQUEST', `overlap must be in [0, 1), got ${overlap}`);
  if (size <= window) return [0];
  const stride = Math.max(1, Math.round(window * (1 - overlap)));
  const starts: number[] = [];
  for (let s = 0; s + window < size; s += stride) starts.push(s);
  starts.push(size - window);
  return starts;
}

const MIN_IMPORTANCE = 1e-3;

/** Separable Gaussian weights over a window, peak 1 at the centre. */
export function gaussianImportance(window: Vec3, sigmaScale = 1 / 8): Float32Array {
  const axes = window.map((w) => {
    const sigma = Math.max(1e-6, w * sigmaScale);
    const c = (w - 1) / 2;
    return Float32Array.from({ length: w }, (_, i) => Math.exp(-((i - c) ** 2) / (2 * sigma * sigma)));
  });
  const out = new Float32Array(voxelCount(window));
  let o = 0;
  for (let z = 0; z < window[0]; z++)
    for (let y = 0; y < window[1]; y++) for (let x = 0; x < window[2]; x++) out[o++] = Math.max(MIN_IMPORTANCE, axes[0][z] * axes[1][y] * axes[2][x]);
  return out;
}

/**
 * The window grid over `region` (absolute coordinates). Where the region is thinner than a
 * window, the window is moved to stay inside `bounds` (the volume) when it fits there, so it
 * sees real neighbouring data rather than mirrored padding.
 */
export class WindowGrid {
  readonly starts: [number[], number[], number[]];

  constructor(
    readonly region: Box,
    readonly window: Vec3,
    readonly overlap: number,
    bounds?: Box,
  ) {
    const size = boxSize(region);
    this.starts = [0, 1, 2].map((a) =>
      windowStarts(size[a], window[a], overlap).map((s) => {
        const start = s + region.min[a];
        if (!bounds || start + window[a] <= bounds.max[a]) return start;
        return Math.max(bounds.min[a], bounds.max[a] - window[a]);
      }),
    ) as [number[], number[], number[]];
  }

  get count(): number {
    return this.starts[0].length * this.starts[1].length * this.starts[2].length;
  }

  /** Window origins whose window overlaps `box`, in z, y, x raster order. */
  intersecting(box: Box): Vec3[] {
    const pick = (a: number) => this.starts[a].filter((s) => s < box.max[a] && s + this.window[a] > box.min[a]);
    const [zs, ys, xs] = [pick(0), pick(1), pick(2)];
    const out: Vec3[] = [];
    for (const z of zs) for (const y of ys) for (const x of xs) out.push([z, y, x]);
    return out;
  }

  all(): Vec3[] {
    return this.intersecting(this.region);
  }
}

/** Produces a window's prediction, C x window, C order. */
export interface WindowPredictor {
  readonly window: Vec3;
  readonly channels: number;
  predict(origin: Vec3): Promise<Float32Array>;
}

/** Weighted sums of window predictions over one box, then their average. */
export class Blender {
  private readonly sum: Float32Array;
  private readonly weight: Float32Array;
  private readonly size: Vec3;

  constructor(
    readonly box: Box,
    readonly channels: number,
    readonly window: Vec3,
    private readonly importance = gaussianImportance(window),
  ) {
    this.size = boxSize(box);
    this.sum = new Float32Array(channels * voxelCount(this.size));
    this.weight = new Float32Array(voxelCount(this.size));
  }

  add(origin: Vec3, prediction: Float32Array): void {
    const w = this.window;
    const wn = voxelCount(w);
    if (prediction.length !== this.channels * wn) throw new AppError('INTERNAL', `window prediction has ${prediction.length} values, expected ${this.channels * wn}`);
    const part = intersect(this.box, { min: origin, max: [origin[0] + w[0], origin[1] + w[1], origin[2] + w[2]] });
    if (!part) return;
    const [, Y, X] = this.size;
    const n = voxelCount(this.size);
    for (let z = part.min[0]; z < part.max[0]; z++)
      for (let y = part.min[1]; y < part.max[1]; y++) {
        const wRow = ((z - origin[0]) * w[1] + (y - origin[1])) * w[2] - origin[2];
        const bRow = ((z - this.box.min[0]) * Y + (y - this.box.min[1])) * X - this.box.min[2];
        for (let x = part.min[2]; x < part.max[2]; x++) {
          const g = this.importance[wRow + x];
          this.weight[bRow + x] += g;
          for (let c = 0; c < this.channels; c++) this.sum[c * n + bRow + x] += g * prediction[c * wn + wRow + x];
        }
      }
  }

  /** The blended values, C x box; throws if a voxel was covered by no window. */
  result(): Float32Array {
    const n = this.weight.length;
    for (let i = 0; i < n; i++) {
      const w = this.weight[i];
      if (!(w > 0)) throw new AppError('INTERNAL', 'blending: a voxel of the box is covered by no window');
      for (let c = 0; c < this.channels; c++) this.sum[c * n + i] /= w;
    }
    return this.sum;
  }
}

/** Predicts `box` (inside the grid's region) from the grid windows that touch it. */
export async function predictBox(
  predictor: WindowPredictor,
  grid: WindowGrid,
  box: Box,
  opts: { signal?: AbortSignal; onWindow?: (done: number, total: number) => void } = {},
): Promise<Float32Array> {
  const blender = new Blender(box, predictor.channels, grid.window);
  const origins = grid.intersecting(box);
  for (let i = 0; i < origins.length; i++) {
    if (opts.signal?.aborted) throw new AppError('CANCELLED', 'prediction cancelled');
    blender.add(origins[i], await predictor.predict(origins[i]));
    opts.onWindow?.(i + 1, origins.length);
  }
  return blender.result();
}

/**
 * Keeps recent window predictions (up to `maxBytes`) so that windows shared by neighbouring
 * tiles are computed once.
 */
export function cachedPredictor(inner: WindowPredictor, maxBytes: number): WindowPredictor & { computed: number } {
  const cache = new Map<string, Float32Array>();
  let bytes = 0;
  const wrapper = {
    window: inner.window,
    channels: inner.channels,
    computed: 0,
    async predict(origin: Vec3): Promise<Float32Array> {
      const key = origin.join(',');
      const hit = cache.get(key);
      if (hit) {
        cache.delete(key);
        cache.set(key, hit);
        return hit;
      }
      const p = await inner.predict(origin);
      wrapper.computed++;
      cache.set(key, p);
      bytes += p.byteLength;
      while (bytes > maxBytes && cache.size > 1) {
        const [k, v] = cache.entries().next().value as [string, Float32Array];
        cache.delete(k);
        bytes -= v.byteLength;
      }
      return p;
    },
  };
  return wrapper;
}

/** `region` cut into boxes of `tile` (smaller at the far edges), z, y, x raster order. */
export function tileBoxes(region: Box, tile: Vec3): Box[] {
  const out: Box[] = [];
  for (let z = region.min[0]; z < region.max[0]; z += tile[0])
    for (let y = region.min[1]; y < region.max[1]; y += tile[1])
      for (let x = region.min[2]; x < region.max[2]; x += tile[2])
        out.push({ min: [z, y, x], max: [Math.min(region.max[0], z + tile[0]), Math.min(region.max[1], y + tile[1]), Math.min(region.max[2], x + tile[2])] });
  return out;
}
