import type { FillRequest } from '../../../shared/api/proofreading';
import { AppError } from '../../errors';
import { assertBoxInShape, boxOfShape, type Box, type Vec3 } from '../../volumes/box';
import { viewLabelData, type LabelData } from '../label-data';
import { assertVoxel } from '../label-layer';
import { SegmentLookup, type OpContext } from './context';
import { applyRule, newIdsAmong, targetRule, usedMapping, type Prepared } from './paint';
import { VoxelBuckets } from './voxel-buckets';

export const DEFAULT_FILL_BUDGET_3D = 1_000_000;

interface FloodChunk {
  coord: Vec3;
  data: LabelData | null;
  /** 0 unseen, 1 in the region, 2 seen and not in it. */
  state: Uint8Array;
  queue: number[];
}

export interface FloodResult {
  seedLabel: number;
  seedSegment: number;
  voxels: number;
  buckets: VoxelBuckets;
}

const AXIS = { z: 0, y: 1, x: 2 } as const;

/**
 * The connected set of voxels of the seed's segment (face-connected: 6 neighbours in 3D, 4 in
 * a plane), inside `bounds`. Chunks load only as the flood reaches them; a region larger than
 * `maxVoxels` stops the flood with TOO_LARGE (nothing is changed).
 */
export async function flood(ctx: OpContext, seed: Vec3, bounds: Box, planeAxis: number | null, maxVoxels: number): Promise<FloodResult> {
  const layer = ctx.h.layer;
  const cs = layer.chunkShape;
  const lookup = new SegmentLookup(ctx.db, layer.info.id, layer.isFragments);
  const chunks = new Map<string, FloodChunk>();
  const pending = new Set<string>();
  const chunkOf = (coord: Vec3): FloodChunk => {
    const key = `${coord[0]},${coord[1]},${coord[2]}`;
    let c = chunks.get(key);
    if (!c) chunks.set(key, (c = { coord, data: null, state: new Uint8Array(layer.chunkVoxels), queue: [] }));
    return c;
  };
  const enqueue = (z: number, y: number, x: number) => {
    const coord: Vec3 = [Math.floor(z / cs[0]), Math.floor(y / cs[1]), Math.floor(x / cs[2])];
    const c = chunkOf(coord);
    const i = ((z - coord[0] * cs[0]) * cs[1] + (y - coord[1] * cs[1])) * cs[2] + (x - coord[2] * cs[2]);
    if (c.state[i] !== 0) return;
    c.queue.push(i);
    pending.add(`${coord[0]},${coord[1]},${coord[2]}`);
  };
  const seedData = viewLabelData(await ctx.h.source.readData(0, [Math.floor(seed[0] / cs[0]), Math.floor(seed[1] / cs[1]), Math.floor(seed[2] / cs[2])]));
  const seedLabel = seedData[((seed[0] % cs[0]) * cs[1] + (seed[1] % cs[1])) * cs[2] + (seed[2] % cs[2])];
  const seedSegment = lookup.of(seedLabel);
  const member = layer.isFragments ? (label: number) => lookup.of(label) === seedSegment : (label: number) => label === seedLabel;
  const neighbours: Vec3[] = [
    [-1, 0, 0],
    [1, 0, 0],
    [0, -1, 0],
    [0, 1, 0],
    [0, 0, -1],
    [0, 0, 1],
  ].filter((d) => planeAxis === null || d[planeAxis] === 0) as Vec3[];
  enqueue(seed[0], seed[1], seed[2]);
  let voxels = 0;
  const plane = cs[1] * cs[2];
  while (pending.size > 0) {
    const key = pending.values().next().value as string;
    pending.delete(key);
    const c = chunks.get(key)!;
    if (!c.data) c.data = viewLabelData(await ctx.h.source.readData(0, c.coord));
    const data = c.data;
    const base: Vec3 = [c.coord[0] * cs[0], c.coord[1] * cs[1], c.coord[2] * cs[2]];
    while (c.queue.length > 0) {
      const i = c.queue.pop()!;
      if (c.state[i] !== 0) continue;
      if (!member(data[i])) {
        c.state[i] = 2;
        continue;
      }
      c.state[i] = 1;
      if (++voxels > maxVoxels) {
        throw new AppError(
          'TOO_LARGE',
          `the connected region of segment ${seedSegment} at (${seed.join(', ')}) has more than ${maxVoxels} voxels (it probably leaks through a gap); bound the fill with a box or raise maxVoxels`,
          { maxVoxels },
        );
      }
      const lz = Math.floor(i / plane);
      const ly = Math.floor(i / cs[2]) % cs[1];
      const lx = i % cs[2];
      const z = base[0] + lz;
      const y = base[1] + ly;
      const x = base[2] + lx;
      for (const d of neighbours) {
        const nz = z + d[0];
        const ny = y + d[1];
        const nx = x + d[2];
        if (nz < bounds.min[0] || ny < bounds.min[1] || nx < bounds.min[2] || nz >= bounds.max[0] || ny >= bounds.max[1] || nx >= bounds.max[2]) continue;
        const inside = lz + d[0] >= 0 && lz + d[0] < cs[0] && ly + d[1] >= 0 && ly + d[1] < cs[1] && lx + d[2] >= 0 && lx + d[2] < cs[2];
        if (inside) {
          const j = i + (d[0] * cs[1] + d[1]) * cs[2] + d[2];
          if (c.state[j] === 0) c.queue.push(j);
        } else enqueue(nz, ny, nx);
      }
    }
  }
  const buckets = new VoxelBuckets(layer);
  for (const c of chunks.values()) {
    const indices: number[] = [];
    for (let i = 0; i < c.state.length; i++) if (c.state[i] === 1) indices.push(i);
    if (indices.length > 0) buckets.byChunk.set(c.coord.join(','), { coord: c.coord, indices });
  }
  buckets.count = voxels;
  return { seedLabel, seedSegment, voxels, buckets };
}

function fillBounds(ctx: OpContext, req: FillRequest): { bounds: Box; plane: number | null; budget: number } {
  const layer = ctx.h.layer;
  assertVoxel(layer, req.seed, 'fill seed');
  let bounds = boxOfShape(layer.shape);
  if (req.box) {
    assertBoxInShape(req.box as Box, layer.shape, `layer '${layer.info.name}'`);
    if (!req.seed.every((s, a) => s >= req.box!.min[a] && s < req.box!.max[a])) throw new AppError('BAD_REQUEST', 'the fill seed lies outside the fill box');
    bounds = { min: [...req.box.min] as Vec3, max: [...req.box.max] as Vec3 };
  }
  let plane: number | null = null;
  if (req.mode === '2d') {
    if (!req.axis) throw new AppError('BAD_REQUEST', 'a 2D fill needs the axis of its view plane');
    plane = AXIS[req.axis];
    bounds.min[plane] = req.seed[plane];
    bounds.max[plane] = req.seed[plane] + 1;
  }
  const budget = req.maxVoxels ?? (req.mode === '3d' ? DEFAULT_FILL_BUDGET_3D : Number.MAX_SAFE_INTEGER);
  return { bounds, plane, budget };
}

/** Flood fill: the seed's connected region of its segment becomes `segmentId`. */
export async function prepareFill(ctx: OpContext, req: FillRequest): Promise<Prepared> {
  const { bounds, plane, budget } = fillBounds(ctx, req);
  const region = await flood(ctx, req.seed as Vec3, bounds, plane, budget);
  if (region.seedSegment === req.segmentId) {
    throw new AppError('BAD_REQUEST', `the region at (${req.seed.join(', ')}) already belongs to segment ${req.segmentId}`);
  }
  const rule = targetRule(ctx, req.segmentId, true);
  const session = await applyRule(ctx, region.buckets, rule);
  const what = region.seedSegment === 0 ? 'background' : `segment ${region.seedSegment}`;
  const newSegmentIds = req.segmentId === 0 ? [] : newIdsAmong(ctx, [req.segmentId]);
  return {
    session,
    targets: [req.segmentId],
    build: (changes) => ({
      record: {
        layerId: ctx.h.layer.info.id,
        isFragments: ctx.h.layer.isFragments,
        kind: 'fill',
        summary: {
          label: `${req.mode.toUpperCase()} fill of ${changes.changedVoxels} voxels of ${what} with ${req.segmentId || 'background'}`,
          voxels: changes.changedVoxels,
          segments: [],
        },
        changes,
        ...usedMapping(rule, changes.changedVoxels),
      },
      newSegmentIds,
    }),
  };
}
