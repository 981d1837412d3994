import { describe, expect, it } from 'vitest';
import { chunkBox, chunksInBox, copyRegion, intersect, parseRoi } from '../../../src/main/volumes/box';

describe('boxes, chunk ranges and region copies', () => {
  it('parses ROIs with open bounds and refuses ones outside the volume', () => {
    expect(parseRoi('0:2, 5:, :7', [4, 10, 12])).toEqual({ min: [0, 5, 0], max: [2, 10, 7] });
    expect(() => parseRoi('0:5,:,:', [4, 10, 12])).toThrow(/outside/);
    expect(() => parseRoi('3:3,:,:', [4, 10, 12])).toThrow(/empty/);
    expect(() => parseRoi('0:1,2', [4, 10, 12])).toThrow(/z0:z1,y0:y1,x0:x1/);
  });

  it('lists the chunks a box touches and clips chunk boxes to the volume', () => {
    expect(chunksInBox({ min: [0, 15, 31], max: [1, 17, 33] }, [4, 16, 32])).toEqual([
      [0, 0, 0],
      [0, 0, 1],
      [0, 1, 0],
      [0, 1, 1],
    ]);
    expect(chunkBox([1, 1, 1], [4, 16, 32], [6, 20, 40])).toEqual({ min: [4, 16, 32], max: [6, 20, 40] });
    expect(intersect({ min: [0, 0, 0], max: [2, 2, 2] }, { min: [2, 0, 0], max: [3, 2, 2] })).toBeNull();
  });

  it('copies a region between differently placed blocks, same type or converting', () => {
    const src = new Uint16Array(2 * 3 * 4).map((_, i) => i + 1000);
    for (const dst of [new Uint16Array(3 * 4 * 5), new Float64Array(3 * 4 * 5)]) {
      // src covers [0,2)x[0,3)x[0,4) at origin (0,0,0); dst covers [0,3)x[-1,3)x[-1,4) at origin (0,-1,-1)
      copyRegion(src, [2, 3, 4], [0, 0, 0], dst, [3, 4, 5], [0, -1, -1], { min: [1, 1, 2], max: [2, 3, 4] });
      const at = (z: number, y: number, x: number) => dst[(z * 4 + (y + 1)) * 5 + (x + 1)];
      expect([at(1, 1, 2), at(1, 1, 3), at(1, 2, 2), at(1, 2, 3)]).toEqual([1018, 1019, 1022, 1023]);
      expect(Array.from(dst).filter((v) => v !== 0)).toHaveLength(4);
    }
  });
});
