import { AppError } from '../errors';
import { voxelCount, type LabelArray, type Shape3 } from './types';

/**
 * Training targets for fine-tuning (pure TypeScript: crops are small and the pipeline must
 * not depend on the addon for them).
 */

function checkLength(what: string, length: number, shape: Shape3, channels = 1): void {
  if (length !== channels * voxelCount(shape)) {
    throw new AppError('BAD_REQUEST', `${what}: expected ${channels} x ${shape.join('x')} values, got ${length}`);
  }
}

/**
 * Border widening (Kisuk Lee's thesis A.1.4, as TokenUnify's `seg_widen_border` with
 * tsz_h = 1): a voxel whose 3x3 in-plane window, clipped at the volume edge, holds more
 * than one distinct non-zero id becomes background 0. Returns a new array of the same type.
 */
export function widenBorders<T extends LabelArray>(labels: T, shape: Shape3): T {
  checkLength('widenBorders', labels.length, shape);
  const [Z, Y, X] = shape;
  const out = labels.slice() as T;
  const src = labels as ArrayLike<number | bigint>;
  const dst = out as unknown as { [i: number]: number | bigint };
  const zero = labels instanceof BigUint64Array ? 0n : 0;
  for (let z = 0; z < Z; z++) {
    for (let y = 0; y < Y; y++) {
      const y0 = Math.max(0, y - 1);
      const y1 = Math.min(Y - 1, y + 1);
      for (let x = 0; x < X; x++) {
        const i = (z * Y + y) * X + x;
        if (!src[i]) continue;
        const x0 = Math.max(0, x - 1);
        const x1 = Math.min(X - 1, x + 1);
        let first: number | bigint = zero;
        let mixed = false;
        for (let yy = y0; yy <= y1 && !mixed; yy++) {
          const row = (z * Y + yy) * X;
          for (let xx = x0; xx <= x1; xx++) {
            const v = src[row + xx];
            if (!v) continue;
            if (!first) first = v;
            else if (v !== first) {
              mixed = true;
              break;
            }
          }
        }
        if (mixed) dst[i] = zero;
      }
    }
  }
  return out;
}

/**
 * Nearest-neighbour affinity targets, offsets -1 along z, y, x: Float32Array (3, Z, Y, X),
 * channel order z, y, x. aff[c][v] = 1 when v and its neighbour v - e_c carry the same
 * non-zero label, else 0. The first slice / row / column along an axis has no neighbour
 * there and gets 0 (TokenUnify's seg_to_aff pads 'replicate' by default, copying the
 * next slice's value; here those entries are plain negatives).
 */
export function labelsToAffinities(labels: LabelArray, shape: Shape3): Float32Array {
  checkLength('labelsToAffinities', labels.length, shape);
  const [Z, Y, X] = shape;
  const n = Z * Y * X;
  const plane = Y * X;
  const src = labels as ArrayLike<number | bigint>;
  const affs = new Float32Array(3 * n);
  for (let z = 0; z < Z; z++) {
    for (let y = 0; y < Y; y++) {
      for (let x = 0; x < X; x++) {
        const i = (z * Y + y) * X + x;
        const v = src[i];
        if (!v) continue;
        if (z > 0 && src[i - plane] === v) affs[i] = 1;
        if (y > 0 && src[i - X] === v) affs[n + i] = 1;
        if (x > 0 && src[i - 1] === v) affs[2 * n + i] = 1;
      }
    }
  }
  return affs;
}

export interface ClassBalance {
  /** Loss weight per affinity value, same layout as the targets. */
  weights: Float32Array;
  /** Per channel group (one entry, or three with perChannel): clipped positive fraction. */
  positiveFraction: number[];
  positiveWeight: number[];
  negativeWeight: number[];
}

/**
 * Class-balance weights as TokenUnify computes them (`weight_binary_ratio`, alpha = 1):
 * f = fraction of non-zero targets (inside `mask` when given), clipped to [0.05, 0.99];
 * if f > 0.5 positives weigh 1 and negatives f / (1 - f), else positives (1 - f) / f and
 * negatives 1 -- the rarer class is up-weighted, the common one weighs 1. A target block
 * that holds a single value gets weight 1 everywhere. Masked-out voxels weigh 0. With
 * `perChannel` (TokenUnify's `separate_weight`) each of the 3 channels is balanced on its own.
 */
export function classBalanceWeights(
  targets: Float32Array | Uint8Array,
  options: { perChannel?: boolean; mask?: Uint8Array | Float32Array } = {},
): ClassBalance {
  const groups = options.perChannel ? 3 : 1;
  if (targets.length % groups !== 0) throw new AppError('BAD_REQUEST', 'classBalanceWeights: targets must hold 3 equal channels');
  if (options.mask && options.mask.length !== targets.length) {
    throw new AppError('BAD_REQUEST', `classBalanceWeights: mask has ${options.mask.length} values, targets ${targets.length}`);
  }
  const size = targets.length / groups;
  const weights = new Float32Array(targets.length);
  const result: ClassBalance = { weights, positiveFraction: [], positiveWeight: [], negativeWeight: [] };
  for (let g = 0; g < groups; g++) {
    const begin = g * size;
    const end = begin + size;
    let min = Infinity;
    let max = -Infinity;
    let positives = 0;
    let counted = 0;
    for (let i = begin; i < end; i++) {
      const t = targets[i];
      if (t < min) min = t;
      if (t > max) max = t;
      const m = options.mask ? options.mask[i] : 1;
      if (t !== 0) positives += m;
      counted += m;
    }
    let wPos = 1;
    let wNeg = 1;
    let fraction = counted > 0 ? positives / counted : 0;
    if (min === max) {
      fraction = 1; // TokenUnify: uniform weights for a single-valued block
    } else {
      fraction = Math.min(0.99, Math.max(0.05, fraction));
      if (fraction > 0.5) wNeg = fraction / (1 - fraction);
      else wPos = (1 - fraction) / fraction;
    }
    for (let i = begin; i < end; i++) {
      const w = targets[i] !== 0 ? wPos : wNeg;
      weights[i] = options.mask ? w * options.mask[i] : w;
    }
    result.positiveFraction.push(fraction);
    result.positiveWeight.push(wPos);
    result.negativeWeight.push(wNeg);
  }
  return result;
}
