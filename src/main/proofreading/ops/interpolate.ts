import type { InterpolateRequest } from '../../../shared/api/proofreading';
import { AppError } from '../../errors';
import { distanceTransformSync } from '../../segmentation/morphology';
import type { Box, Vec3 } from '../../volumes/box';
import { viewLabelData } from '../label-data';
import { assertNotLocked, SegmentLookup, type OpContext } from './context';
import { applyRule, targetRule, usedMapping, type Prepared } from './paint';
import { VoxelBuckets } from './voxel-buckets';

const AXIS = { z: 0, y: 1, x: 2 } as const;
const MARGIN = 2;

/** Signed distance to a 2D shape's boundary: negative inside, positive outside (spacing units). */
export function signedDistance(mask: Uint8Array, h: number, w: number, spacing: [number, number]): Float32Array {
  const outside = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) outside[i] = mask[i] ? 0 : 1;
  const sp: [number, number, number] = [1, spacing[0], spacing[1]];
  const din = distanceTransformSync(mask, [1, h, w], { spacing: sp });
  const dout = distanceTransformSync(outside, [1, h, w], { spacing: sp });
  const out = new Float32Array(mask.length);
  // Inside voxels measure to the nearest outside voxel and vice versa: symmetric, so the zero level lies halfway between.
  for (let i = 0; i < mask.length; i++) out[i] = mask[i] ? -din[i] : dout[i];
  return out;
}

/**
 * Shape-based interpolation: the segment's shape on two painted slices, as signed distance
 * maps, blended linearly for every slice in between; voxels where the blend is negative join
 * the segment (background voxels only, unless `overwrite`).
 */
export async function prepareInterpolate(ctx: OpContext, req: InterpolateRequest): Promise<Prepared> {
  const layer = ctx.h.layer;
  const S = req.segmentId;
  const a = AXIS[req.axis];
  const [u, v] = [0, 1, 2].filter((i) => i !== a);
  const lo = Math.min(req.from, req.to);
  const hi = Math.max(req.from, req.to);
  if (hi >= layer.shape[a]) throw new AppError('BAD_REQUEST', `slice ${hi} is outside layer '${layer.info.name}' along ${req.axis} (0-${layer.shape[a] - 1})`);
  if (hi - lo < 2) throw new AppError('BAD_REQUEST', `slices ${lo} and ${hi} have no slice between them to interpolate`);
  assertNotLocked(ctx, [S]);
  const lookup = new SegmentLookup(ctx.db, layer.info.id, layer.isFragments);
  const planeBox = (k: number): Box => {
    const min: Vec3 = [0, 0, 0];
    const max: Vec3 = [...layer.shape] as Vec3;
    min[a] = k;
    max[a] = k + 1;
    return { min, max };
  };
  const H = layer.shape[u];
  const W = layer.shape[v];
  const shapeOn = async (k: number) => {
    const data = viewLabelData(await ctx.h.source.readRegion(0, planeBox(k)));
    const mask = new Uint8Array(H * W);
    let n = 0;
    for (let i = 0; i < mask.length; i++) if (lookup.of(data[i]) === S) (mask[i] = 1), n++;
    if (n === 0) throw new AppError('BAD_REQUEST', `segment ${S} has no voxels on ${req.axis} = ${k}; paint its shape on both slices first`);
    return mask;
  };
  const [maskA, maskB] = await Promise.all([shapeOn(lo), shapeOn(hi)]);
  // Work in the bounding rectangle of both shapes plus a margin.
  let r0 = H;
  let r1 = -1;
  let c0 = W;
  let c1 = -1;
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      if (maskA[r * W + c] || maskB[r * W + c]) {
        if (r < r0) r0 = r;
        if (r > r1) r1 = r;
        if (c < c0) c0 = c;
        if (c > c1) c1 = c;
      }
    }
  }
  r0 = Math.max(0, r0 - MARGIN);
  c0 = Math.max(0, c0 - MARGIN);
  r1 = Math.min(H - 1, r1 + MARGIN);
  c1 = Math.min(W - 1, c1 + MARGIN);
  const h = r1 - r0 + 1;
  const w = c1 - c0 + 1;
  const crop = (m: Uint8Array) => {
    const out = new Uint8Array(h * w);
    for (let r = 0; r < h; r++) out.set(m.subarray((r + r0) * W + c0, (r + r0) * W + c0 + w), r * w);
    return out;
  };
  const spacing: [number, number] = [layer.info.resolution[u], layer.info.resolution[v]];
  const sdfA = signedDistance(crop(maskA), h, w, spacing);
  const sdfB = signedDistance(crop(maskB), h, w, spacing);
  const buckets = new VoxelBuckets(layer);
  const p: Vec3 = [0, 0, 0];
  for (let k = lo + 1; k < hi; k++) {
    const t = (k - lo) / (hi - lo);
    p[a] = k;
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        const i = r * w + c;
        if ((1 - t) * sdfA[i] + t * sdfB[i] < 0) {
          p[u] = r + r0;
          p[v] = c + c0;
          buckets.add(p[0], p[1], p[2]);
        }
      }
    }
  }
  const rule = targetRule(ctx, S, req.overwrite === true);
  const session = await applyRule(ctx, buckets, rule);
  return {
    session,
    targets: [S],
    build(changes) {
      if (changes.changedVoxels === 0) throw new AppError('BAD_REQUEST', `interpolation between ${req.axis} = ${lo} and ${hi} changes no voxel`);
      return {
        record: {
          layerId: layer.info.id,
          isFragments: layer.isFragments,
          kind: 'interpolate',
          summary: { label: `Interpolate ${S} between ${req.axis} = ${lo} and ${hi} (${changes.changedVoxels} voxels)`, voxels: changes.changedVoxels, segments: [] },
          changes,
          ...usedMapping(rule, changes.changedVoxels),
        },
        newSegmentIds: [],
      };
    },
  };
}
