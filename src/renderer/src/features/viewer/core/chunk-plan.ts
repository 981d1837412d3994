import { VIEW_AXES, type Box3, type Vec3, type ViewKind } from './geometry';

/** What the planner needs to know of a resolution level (a subset of the API's LayerLevel). */
export interface PlanLevel {
  shape: Vec3;
  chunkShape: Vec3;
  resolution: Vec3;
  factors: Vec3;
}

/**
 * The resolution level for a view: the coarsest level whose in-plane voxels are no larger
 * than one screen pixel (`nmPerPixel`, device pixels), so nothing is undersampled; level 0
 * when even that is coarser than a pixel. In-plane size is the finer of the view's two axes,
 * so an XZ view of 40x8x8 nm data follows x, not the thick sections.
 */
export function chooseLevel(levels: readonly PlanLevel[], view: ViewKind, nmPerPixel: number): number {
  const { h, v } = VIEW_AXES[view];
  let best = 0;
  for (let i = 0; i < levels.length; i++) {
    const r = levels[i].resolution;
    if (Math.min(r[h], r[v]) <= nmPerPixel * 1.0001) best = i;
  }
  return best;
}

/** A level-0 box in the voxels of `level` (covering every level voxel it touches). */
export function boxAtLevel(box: Box3, level: PlanLevel): Box3 {
  const min: Vec3 = [0, 0, 0];
  const max: Vec3 = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    min[a] = Math.min(level.shape[a] - 1, Math.floor(box.min[a] / level.factors[a]));
    max[a] = Math.min(level.shape[a], Math.max(min[a] + 1, Math.ceil(box.max[a] / level.factors[a])));
  }
  return { min, max };
}

export function chunkKey(layerId: string, level: number, c: Vec3): string {
  return `${layerId}|${level}|${c[0]},${c[1]},${c[2]}`;
}

export interface PlannedChunk {
  level: number;
  coord: Vec3;
  /** Lower is sooner. */
  priority: number;
}

/**
 * The chunks of `level` a view needs for the slice in `visible` (a level-0 box one voxel thick
 * along the view's normal), nearest the view's centre first.
 */
export function visibleChunks(view: ViewKind, visible: Box3, level: PlanLevel, levelIndex: number, basePriority = 0): PlannedChunk[] {
  const { h, v } = VIEW_AXES[view];
  const b = boxAtLevel(visible, level);
  const first = [0, 1, 2].map((a) => Math.floor(b.min[a] / level.chunkShape[a])) as Vec3;
  const last = [0, 1, 2].map((a) => Math.floor((b.max[a] - 1) / level.chunkShape[a])) as Vec3;
  const centre = [0, 1, 2].map((a) => (b.min[a] + b.max[a]) / 2) as Vec3;
  const out: PlannedChunk[] = [];
  for (let z = first[0]; z <= last[0]; z++)
    for (let y = first[1]; y <= last[1]; y++)
      for (let x = first[2]; x <= last[2]; x++) {
        const coord: Vec3 = [z, y, x];
        const dh = ((coord[h] + 0.5) * level.chunkShape[h] - centre[h]) / level.chunkShape[h];
        const dv = ((coord[v] + 0.5) * level.chunkShape[v] - centre[v]) / level.chunkShape[v];
        out.push({ level: levelIndex, coord, priority: basePriority + Math.hypot(dh, dv) });
      }
  return out.sort((a, b2) => a.priority - b2.priority);
}

/**
 * Chunks to fetch ahead of a moving slice: the next `depth` chunk layers along the view's
 * normal in the direction of motion (`direction` = +1 or -1), over the same footprint as the
 * visible chunks. Layers nearer the slice come first; all rank after every visible chunk.
 */
export function prefetchAlongNormal(
  view: ViewKind,
  visible: Box3,
  level: PlanLevel,
  levelIndex: number,
  direction: number,
  depth: number,
  basePriority: number,
): PlannedChunk[] {
  if (direction === 0 || depth <= 0) return [];
  const n = VIEW_AXES[view].n;
  const b = boxAtLevel(visible, level);
  const current = Math.floor(b.min[n] / level.chunkShape[n]);
  const grid = Math.ceil(level.shape[n] / level.chunkShape[n]);
  const out: PlannedChunk[] = [];
  for (let d = 1; d <= depth; d++) {
    const layer = current + Math.sign(direction) * d;
    if (layer < 0 || layer >= grid) break;
    const shifted: Box3 = { min: [...visible.min] as Vec3, max: [...visible.max] as Vec3 };
    // A level-0 slice inside that chunk layer.
    shifted.min[n] = layer * level.chunkShape[n] * level.factors[n];
    shifted.max[n] = shifted.min[n] + 1;
    for (const c of visibleChunks(view, shifted, level, levelIndex, basePriority + d * 1000)) out.push(c);
  }
  return out;
}

/**
 * How far (in slices of `level`) the slice is from the end of its chunk in the direction of
 * motion: prefetching starts once this falls below a threshold, so steady stepping never waits.
 */
export function slicesToChunkEdge(sliceAtLevel: number, chunkDepth: number, direction: number): number {
  const within = ((sliceAtLevel % chunkDepth) + chunkDepth) % chunkDepth;
  return direction >= 0 ? chunkDepth - 1 - within : within;
}

/** Index of the level voxel holding a level-0 coordinate. */
export function levelVoxel(p0: number, factor: number): number {
  return Math.floor(p0 / factor);
}
