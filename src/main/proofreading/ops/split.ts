import type { SplitRequest } from '../../../shared/api/proofreading';
import { AppError } from '../../errors';
import { distanceTransform } from '../../segmentation/morphology';
import { seededSplit, type SplitSource } from '../../segmentation/watershed';
import { assertBoxInShape, boxSize, chunkBox, intersect, voxelCount, type Box, type Vec3 } from '../../volumes/box';
import type { DType, VoxelArray } from '../../volumes/dtypes';
import type { MappingChange } from '../counts';
import type { EditRecord } from '../edit-log';
import { EditSession } from '../edit-session';
import { viewLabelData, type LabelData } from '../label-data';
import { chunkCoord } from '../label-layer';
import {
  allocateFragmentIds,
  allocateSegmentIds,
  assertNotLocked,
  boxOfChunks,
  chunksOfSegment,
  fragmentsOf,
  requireSegment,
  SegmentLookup,
  type OpContext,
} from './context';
import type { Plan } from './paint';

/** Largest region (voxels of the segment's box) one split works on; larger ones need a box. */
export const MAX_SPLIT_VOXELS = 1 << 26;

/** Reads a box of level 0 of another layer (the image or boundary map the split follows). */
export type RegionReader = (layerId: string, box: Box) => Promise<{ data: VoxelArray; dtype: DType; shape: Vec3; name: string }>;

export interface SplitComputation {
  segmentId: number;
  mode: 'fragments' | 'voxels';
  box: Box;
  /** Final group (1..G) of each voxel of `box` that belongs to the segment; 0 elsewhere. */
  labels: Uint16Array;
  groupSizes: number[];
  unreached: number;
  /** Stored labels of `box`. */
  region: LabelData;
  /** Fragment layers: group of each fragment that moves as a whole; fragments split voxel-wise are in `conflicted`. */
  fragmentGroups: Map<number, number>;
  conflicted: Set<number>;
  /** Voxels whose stored label the commit rewrites. */
  voxelWrites: number;
}

/** Boundary strength in [0, 1] from any scalar layer: dark boundaries (EM) unless told otherwise. */
function boundaryFrom(data: VoxelArray, bright: boolean): Float32Array {
  const n = data.length;
  const v = new Float32Array(n);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = Number(data[i]);
    v[i] = x;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  const span = hi > lo ? hi - lo : 1;
  for (let i = 0; i < n; i++) {
    const t = (v[i] - lo) / span;
    v[i] = bright ? t : 1 - t;
  }
  return v;
}

async function splitSource(req: SplitRequest, box: Box, mask: Uint8Array, shape: Vec3, spacing: Vec3, readRegion: RegionReader, labelShape: Vec3): Promise<SplitSource> {
  if (!req.source) {
    // No image: split by shape. Distance to the segment's surface; necks are low, so the flood meets there.
    const dist = await distanceTransform(mask, shape, { spacing, inPlane: req.inPlane });
    let max = 0;
    for (let i = 0; i < dist.length; i++) if (mask[i] && Number.isFinite(dist[i]) && dist[i] > max) max = dist[i];
    const boundary = new Float32Array(dist.length);
    for (let i = 0; i < dist.length; i++) boundary[i] = mask[i] ? max - Math.min(dist[i], max) : max;
    return { kind: 'boundary', data: boundary };
  }
  const src = await readRegion(req.source.layerId, box);
  if (!src.shape.every((s, a) => s === labelShape[a])) {
    throw new AppError('BAD_REQUEST', `split source layer '${src.name}' is ${src.shape.join('x')} but the labels are ${labelShape.join('x')}`);
  }
  const bright = req.source.brightBoundaries === true;
  if (src.dtype === 'uint8') return { kind: 'image', data: src.data as Uint8Array, darkBoundaries: !bright };
  return { kind: 'boundary', data: boundaryFrom(src.data, bright) };
}

/**
 * Seeded watershed restricted to one segment, over an image / boundary map (or its shape).
 * Fragment layers: when no fragment holds seeds of two groups, whole fragments move (each to
 * the group holding most of its voxels, seeded fragments to their seed's group) so the commit
 * only changes the mapping; otherwise the fragments holding several groups' seeds are split
 * voxel by voxel and the rest still move whole.
 */
export async function computeSplit(ctx: OpContext, req: SplitRequest, readRegion: RegionReader): Promise<SplitComputation> {
  const layer = ctx.h.layer;
  const S = req.segmentId;
  requireSegment(ctx, S, 'split segment');
  assertNotLocked(ctx, [S]);
  let box = boxOfChunks(layer, chunksOfSegment(ctx, S))!;
  if (req.box) {
    assertBoxInShape(req.box as Box, layer.shape, `layer '${layer.info.name}'`);
    const cut = intersect(box, req.box as Box);
    if (!cut) throw new AppError('BAD_REQUEST', `segment ${S} has no voxels inside the split box`);
    box = cut;
  }
  const n = voxelCount(box);
  if (n > MAX_SPLIT_VOXELS) {
    throw new AppError('TOO_LARGE', `segment ${S} spans ${n} voxels (${boxSize(box).join('x')}); give a box of at most ${MAX_SPLIT_VOXELS} voxels around the seeds`);
  }
  const shape = boxSize(box);
  const region = viewLabelData(await ctx.h.source.readRegion(0, box));
  const lookup = new SegmentLookup(ctx.db, layer.info.id, layer.isFragments);
  const fragmentSet = layer.isFragments ? new Set(fragmentsOf(ctx.db, layer.info.id, S)) : null;
  const mask = new Uint8Array(n);
  if (fragmentSet) for (let i = 0; i < n; i++) mask[i] = fragmentSet.has(region[i]) ? 1 : 0;
  else for (let i = 0; i < n; i++) mask[i] = region[i] === S ? 1 : 0;

  const localSeeds = req.seeds.map((group, g) =>
    group.map((p) => {
      const local = [p[0] - box.min[0], p[1] - box.min[1], p[2] - box.min[2]] as [number, number, number];
      const inside = local.every((c, a) => c >= 0 && c < shape[a]);
      const i = inside ? (local[0] * shape[1] + local[1]) * shape[2] + local[2] : -1;
      if (i < 0 || !mask[i]) {
        const here = inside ? lookup.of(region[i]) : null;
        throw new AppError('BAD_REQUEST', `seed (${p.join(', ')}) of group ${g + 1} is not inside segment ${S}${here !== null ? ` (it is in ${here === 0 ? 'the background' : `segment ${here}`})` : ''}`);
      }
      return local;
    }),
  );
  const spacing = [...layer.info.resolution] as Vec3;
  const source = await splitSource(req, box, mask, shape, spacing, readRegion, layer.shape);
  const result = await seededSplit({ shape, source, segment: { mask }, seeds: localSeeds, inPlane: req.inPlane });
  const labels = result.labels;
  for (let i = 0; i < n; i++) if (mask[i] && labels[i] === 0) labels[i] = 1;

  const G = req.seeds.length;
  const fragmentGroups = new Map<number, number>();
  const conflicted = new Set<number>();
  let voxelWrites = 0;
  if (fragmentSet) {
    const seedGroups = new Map<number, Set<number>>();
    localSeeds.forEach((group, g) => {
      for (const [z, y, x] of group) {
        const f = region[(z * shape[1] + y) * shape[2] + x];
        let set = seedGroups.get(f);
        if (!set) seedGroups.set(f, (set = new Set()));
        set.add(g + 1);
      }
    });
    const votes = new Map<number, Float64Array>();
    for (let i = 0; i < n; i++) {
      if (!mask[i]) continue;
      const f = region[i];
      let v = votes.get(f);
      if (!v) votes.set(f, (v = new Float64Array(G + 1)));
      v[labels[i]]++;
    }
    for (const [f, v] of votes) {
      const seeded = seedGroups.get(f);
      if (seeded && seeded.size > 1) conflicted.add(f);
      let best = 1;
      for (let g = 2; g <= G; g++) if (v[g] > v[best]) best = g;
      fragmentGroups.set(f, seeded && seeded.size === 1 ? [...seeded][0] : best);
    }
    for (let i = 0; i < n; i++) {
      if (!mask[i]) continue;
      const f = region[i];
      if (conflicted.has(f)) {
        if (labels[i] !== fragmentGroups.get(f)) voxelWrites++;
      } else labels[i] = fragmentGroups.get(f)!;
    }
  } else {
    for (let i = 0; i < n; i++) if (labels[i] >= 2) voxelWrites++;
  }
  const groupSizes = new Array<number>(G).fill(0);
  for (let i = 0; i < n; i++) if (labels[i] > 0) groupSizes[labels[i] - 1]++;
  for (let g = 0; g < G; g++) {
    if (groupSizes[g] === 0) throw new AppError('BAD_REQUEST', `seed group ${g + 1} gets no voxels (its seeds share fragments with another group's); place seeds further apart`);
  }
  return {
    segmentId: S,
    mode: conflicted.size > 0 || !fragmentSet ? 'voxels' : 'fragments',
    box,
    labels,
    groupSizes,
    unreached: result.unreached,
    region,
    fragmentGroups,
    conflicted,
    voxelWrites,
  };
}

/** Turns a computed split into an edit: group 1 keeps the id, groups 2.. get new ids. */
export async function splitPlan(ctx: OpContext, c: SplitComputation): Promise<Plan> {
  const layer = ctx.h.layer;
  const S = c.segmentId;
  const G = c.groupSizes.length;
  const newIds = allocateSegmentIds(ctx, G - 1);
  const segmentOfGroup = (g: number) => (g === 1 ? S : newIds[g - 2]);
  const mapping: MappingChange[] = [];
  const shape = boxSize(c.box);
  // Stored value each group's voxels get: plain layers the group's segment; fragment layers a
  // new fragment per (conflicted fragment, group other than the one the fragment keeps).
  const newFragment = new Map<string, number>();
  let nextFragment = 0;
  if (layer.isFragments) {
    for (const [f, g] of c.fragmentGroups) if (g !== 1) mapping.push({ fragment: f, before: S, after: segmentOfGroup(g) });
    if (c.conflicted.size > 0) {
      const pairs: [number, number][] = [];
      for (let i = 0; i < c.labels.length; i++) {
        const f = c.region[i];
        if (c.labels[i] === 0 || !c.conflicted.has(f) || c.labels[i] === c.fragmentGroups.get(f)) continue;
        const key = `${f}/${c.labels[i]}`;
        if (!newFragment.has(key)) {
          newFragment.set(key, -1);
          pairs.push([f, c.labels[i]]);
        }
      }
      const ids = allocateFragmentIds(ctx, pairs.length);
      pairs.forEach(([f, g], k) => {
        newFragment.set(`${f}/${g}`, ids[k]);
        mapping.push({ fragment: ids[k], before: null, after: segmentOfGroup(g) });
      });
      nextFragment = ids.length ? ids[ids.length - 1] + 1 : 0;
    }
  }
  const session = new EditSession(ctx.h.source);
  if (c.voxelWrites > 0) {
    const coords = chunksOfSegment(ctx, S)
      .map((i) => chunkCoord(layer, i))
      .filter((coord) => intersect(chunkBox(coord, layer.chunkShape, layer.shape), c.box));
    await session.load(coords);
    const cs = layer.chunkShape;
    for (const coord of coords) {
      const w = session.loaded(coord);
      const part = intersect(w.box, c.box)!;
      for (let z = part.min[0]; z < part.max[0]; z++) {
        for (let y = part.min[1]; y < part.max[1]; y++) {
          let o = ((z - c.box.min[0]) * shape[1] + (y - c.box.min[1])) * shape[2] + (part.min[2] - c.box.min[2]);
          let i = ((z - w.box.min[0]) * cs[1] + (y - w.box.min[1])) * cs[2] + (part.min[2] - w.box.min[2]);
          for (let x = part.min[2]; x < part.max[2]; x++, o++, i++) {
            const g = c.labels[o];
            if (g === 0) continue;
            if (!layer.isFragments) {
              if (g >= 2) w.data[i] = segmentOfGroup(g);
            } else {
              const f = c.region[o];
              if (c.conflicted.has(f) && g !== c.fragmentGroups.get(f)) w.data[i] = newFragment.get(`${f}/${g}`)!;
            }
          }
        }
      }
    }
  }
  const changes = await session.finish();
  const record: EditRecord = {
    layerId: layer.info.id,
    isFragments: layer.isFragments,
    kind: 'split',
    summary: {
      label: `Split ${S} into ${[S, ...newIds].join(', ')}`,
      voxels: changes.changedVoxels,
      segments: [],
      groupSizes: c.groupSizes,
      mode: c.mode,
    },
    changes,
    mapping,
    nextSegmentId: newIds[newIds.length - 1] + 1,
    nextFragmentId: nextFragment || undefined,
  };
  return { record, newSegmentIds: newIds };
}
