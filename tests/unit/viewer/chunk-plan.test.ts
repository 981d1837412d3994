import { describe, expect, it } from 'vitest';
import { boxAtLevel, chooseLevel, prefetchAlongNormal, slicesToChunkEdge, visibleChunks, type PlanLevel } from '../../../src/renderer/src/features/viewer/core/chunk-plan';

/** A 40x8x8 nm pyramid as the store plans it: in-plane halving first, then isotropic. */
const levels: PlanLevel[] = [
  { shape: [64, 1024, 1024], chunkShape: [16, 128, 128], resolution: [40, 8, 8], factors: [1, 1, 1] },
  { shape: [64, 512, 512], chunkShape: [16, 128, 128], resolution: [40, 16, 16], factors: [1, 2, 2] },
  { shape: [64, 256, 256], chunkShape: [16, 128, 128], resolution: [40, 32, 32], factors: [1, 4, 4] },
  { shape: [32, 128, 128], chunkShape: [16, 128, 128], resolution: [80, 64, 64], factors: [2, 8, 8] },
];

describe('resolution level choice', () => {
  it('picks the coarsest level that is not coarser than a screen pixel', () => {
    expect(chooseLevel(levels, 'xy', 4)).toBe(0);
    expect(chooseLevel(levels, 'xy', 8)).toBe(0);
    expect(chooseLevel(levels, 'xy', 15.9)).toBe(0);
    expect(chooseLevel(levels, 'xy', 16)).toBe(1);
    expect(chooseLevel(levels, 'xy', 40)).toBe(2);
    expect(chooseLevel(levels, 'xy', 1000)).toBe(3);
  });

  it('follows the finer in-plane axis in side views of anisotropic data', () => {
    // XZ at 20 nm/px: x voxels of level 1 (16 nm) fit, although z voxels are 40 nm.
    expect(chooseLevel(levels, 'xz', 20)).toBe(1);
    expect(chooseLevel(levels, 'yz', 33)).toBe(2);
  });
});

describe('chunk planning', () => {
  it('maps a level-0 box to a level, covering every voxel it touches', () => {
    expect(boxAtLevel({ min: [5, 3, 3], max: [6, 9, 9] }, levels[3])).toEqual({ min: [2, 0, 0], max: [3, 2, 2] });
  });

  it('lists the chunks a slice crosses, nearest the centre first', () => {
    const visible = { min: [20, 0, 0] as [number, number, number], max: [21, 384, 384] as [number, number, number] };
    const cs = visibleChunks('xy', visible, levels[0], 0);
    expect(cs).toHaveLength(9);
    expect(cs.every((c) => c.coord[0] === 1)).toBe(true);
    expect(cs[0].coord).toEqual([1, 1, 1]);
    expect(cs.slice(1, 5).every((c) => Math.abs(c.coord[1] - 1) + Math.abs(c.coord[2] - 1) === 1)).toBe(true);
    for (let i = 1; i < cs.length; i++) expect(cs[i].priority).toBeGreaterThanOrEqual(cs[i - 1].priority);
    const xz = visibleChunks('xz', { min: [0, 200, 0], max: [64, 201, 256] }, levels[0], 0);
    expect(new Set(xz.map((c) => c.coord[1]))).toEqual(new Set([1]));
    expect(xz).toHaveLength(4 * 2);
  });

  it('prefetches the next chunk layers in the direction of motion, after the visible ones', () => {
    const visible = { min: [20, 0, 0] as [number, number, number], max: [21, 256, 256] as [number, number, number] };
    const ahead = prefetchAlongNormal('xy', visible, levels[0], 0, +1, 2, 100);
    expect(ahead.map((c) => c.coord[0])).toEqual([2, 2, 2, 2, 3, 3, 3, 3]);
    expect(Math.min(...ahead.map((c) => c.priority))).toBeGreaterThan(100);
    const behind = prefetchAlongNormal('xy', visible, levels[0], 0, -1, 2, 100);
    expect(behind.map((c) => c.coord[0])).toEqual([0, 0, 0, 0]);
    expect(prefetchAlongNormal('xy', visible, levels[0], 0, 0, 2, 100)).toEqual([]);
    // At a coarse level the slice index is divided by the z factor (2 here)...
    const coarse = prefetchAlongNormal('xy', { min: [5, 0, 0], max: [6, 256, 256] }, levels[3], 3, +1, 1, 0);
    expect(coarse.map((c) => c.coord)).toEqual([[1, 0, 0]]);
    // ...and nothing lies ahead of the last chunk layer.
    expect(prefetchAlongNormal('xy', { min: [33, 0, 0], max: [34, 256, 256] }, levels[3], 3, +1, 1, 0)).toEqual([]);
  });

  it('measures how far the slice is from its chunk edge in the direction of motion', () => {
    expect(slicesToChunkEdge(16, 16, +1)).toBe(15);
    expect(slicesToChunkEdge(31, 16, +1)).toBe(0);
    expect(slicesToChunkEdge(16, 16, -1)).toBe(0);
    expect(slicesToChunkEdge(20, 16, -1)).toBe(4);
  });
});
