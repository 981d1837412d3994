import { describe, expect, it } from 'vitest';
import {
  centreOf,
  fitZoom,
  panBy,
  scaleBar,
  screenToVoxel,
  sliceIndex,
  stepSlice,
  visibleBox,
  voxelToScreen,
  zoomAbout,
  type Camera,
  type Vec3,
} from '../../../src/renderer/src/features/viewer/core/geometry';
import { formatPhysical, parseCoordinate } from '../../../src/renderer/src/features/viewer/core/coordinates';

const res: Vec3 = [40, 8, 8];
const shape: Vec3 = [100, 1000, 2000];
const pane = { width: 800, height: 600 };

describe('slice-view geometry', () => {
  it('maps the pane centre to the camera position and back in every view', () => {
    const cam: Camera = { position: [10.5, 300.25, 700.75], zoom: 4 };
    for (const view of ['xy', 'xz', 'yz'] as const) {
      const v = screenToVoxel(view, pane, cam, res, 400, 300);
      expect(v).toEqual(cam.position);
      const p = voxelToScreen(view, pane, cam, res, [12, 310, 690]);
      const back = screenToVoxel(view, pane, cam, res, p.x, p.y);
      // The normal coordinate stays the camera's; the in-plane ones round-trip.
      const n = view === 'xy' ? 0 : view === 'xz' ? 1 : 2;
      const expected: Vec3 = [12, 310, 690];
      expected[n] = cam.position[n];
      for (let a = 0; a < 3; a++) expect(back[a]).toBeCloseTo(expected[a], 9);
    }
  });

  it('keeps physical proportions: one XZ pixel spans 5x fewer z voxels than x voxels at 40x8x8 nm', () => {
    const cam: Camera = { position: [50, 500, 1000], zoom: 8 };
    const a = screenToVoxel('xz', pane, cam, res, 400, 300);
    const b = screenToVoxel('xz', pane, cam, res, 410, 310);
    expect(b[2] - a[2]).toBeCloseTo(10, 9); // x: 10 px * 8 nm/px / 8 nm
    expect(b[0] - a[0]).toBeCloseTo(2, 9); // z: 10 px * 8 nm/px / 40 nm
    expect(b[1]).toBe(a[1]);
  });

  it('zooms about the pointer: the voxel under it stays under it', () => {
    const cam: Camera = { position: [50.5, 500.5, 1000.5], zoom: 8 };
    const before = screenToVoxel('xy', pane, cam, res, 123, 456);
    const z = zoomAbout(cam, 'xy', pane, res, 123, 456, 2, [0.1, 1000]);
    expect(z.zoom).toBe(4);
    const after = screenToVoxel('xy', pane, z, res, 123, 456);
    for (let a = 0; a < 3; a++) expect(after[a]).toBeCloseTo(before[a], 9);
    expect(zoomAbout(cam, 'xy', pane, res, 0, 0, 1e9, [0.5, 1000]).zoom).toBe(0.5);
  });

  it('pans so the content follows the drag', () => {
    const cam: Camera = { position: [50, 500, 1000], zoom: 8 };
    const p = panBy(cam, 'xy', res, 16, -8);
    expect(p.position).toEqual([50, 508, 984]);
  });

  it('steps slices along the normal, lands on voxel centres and clamps to the volume', () => {
    const cam: Camera = { position: [50.9, 500, 1000], zoom: 8 };
    expect(stepSlice(cam, 'xy', 1, shape).position[0]).toBe(51.5);
    expect(stepSlice(cam, 'xy', -10, shape).position[0]).toBe(40.5);
    expect(stepSlice(cam, 'xy', 1000, shape).position[0]).toBe(99.5);
    expect(stepSlice(cam, 'yz', -5000, shape).position[2]).toBe(0.5);
    expect(sliceIndex({ ...cam, position: [99.99, 0, 0] }, 'xy', shape)).toBe(99);
  });

  it('computes the visible box, one voxel thick, clipped to the volume', () => {
    const cam: Camera = { position: [7.5, 10, 10], zoom: 8 };
    const b = visibleBox('xy', pane, cam, res, shape)!;
    expect(b.min).toEqual([7, 0, 0]);
    expect(b.max).toEqual([8, 310, 410]);
    expect(visibleBox('xy', pane, { position: [500, 10, 10], zoom: 8 }, res, shape)).toBeNull();
    expect(visibleBox('xy', pane, { position: [5, -5000, 10], zoom: 1 }, res, shape)).toBeNull();
  });

  it('fits the volume and picks round scale bars', () => {
    const z = fitZoom('xy', pane, shape, res);
    expect(z).toBeCloseTo(((2000 * 8) / 800) * 1.05, 9);
    expect(centreOf(shape)).toEqual([50.5, 500.5, 1000.5]);
    const bar = scaleBar(8, 120); // 960 nm available
    expect(bar).toMatchObject({ nm: 500, label: '500 nm' });
    expect(bar.px).toBeCloseTo(62.5, 9);
    expect(scaleBar(100, 120).label).toBe('10 µm');
  });

  it('parses go-to coordinates in voxels, nm and µm', () => {
    expect(parseCoordinate('12, 300, 411', res)).toEqual({ ok: true, voxel: [12.5, 300.5, 411.5] });
    expect(parseCoordinate('480 2400 3288 nm', res)).toEqual({ ok: true, voxel: [12.5, 300.5, 411.5] });
    expect(parseCoordinate('0.48; 2.4; 3.288 µm', res)).toEqual({ ok: true, voxel: [12.5, 300.5, 411.5] });
    expect(parseCoordinate('1, 2', res).ok).toBe(false);
    expect(parseCoordinate('a, b, c', res).ok).toBe(false);
    expect(formatPhysical([25, 125, 0], res)).toBe('1 µm, 1 µm, 0 nm');
  });
});
