import { describe, expect, it } from 'vitest';
import { transformPoint } from '../../../src/renderer/src/features/mesh3d/mat4';
import { defaultOrbit, eyeOf, fitOrbit, pan, rotate, viewProjection, zoom } from '../../../src/renderer/src/features/mesh3d/orbit-camera';

const close = (a: number[], b: number[], tol = 1e-4) => a.every((v, i) => Math.abs(v - b[i]) <= tol);

describe('orbit camera', () => {
  it('looks down z like the XY view at pitch 0: x right, y down', () => {
    const o = { ...defaultOrbit(), pitch: 0, yaw: 0, target: [0, 0, 0] as [number, number, number], distance: 100 };
    expect(close(eyeOf(o), [0, 0, -100])).toBe(true);
    const { viewProjection: vp } = viewProjection(o, 1);
    const right = transformPoint(vp, [10, 0, 0]);
    const down = transformPoint(vp, [0, 10, 0]);
    expect(right[0]).toBeGreaterThan(0);
    expect(Math.abs(right[1])).toBeLessThan(1e-6);
    expect(down[1]).toBeLessThan(0); // clip-space y up = screen up; +y appears below the centre
    expect(close(transformPoint(vp, [0, 0, 0]).slice(0, 2), [0, 0])).toBe(true);
  });

  it('fits a box inside the view from any angle', () => {
    const min: [number, number, number] = [0, 0, 0];
    const max: [number, number, number] = [1000, 500, 200];
    for (const [yaw, pitch] of [[0, -0.6], [1, 0.3], [2.5, -1.2]]) {
      const o = fitOrbit({ ...defaultOrbit(), yaw, pitch }, min, max);
      const { viewProjection: vp } = viewProjection(o, 1);
      for (const corner of [[0, 0, 0], [1000, 0, 0], [0, 500, 0], [0, 0, 200], [1000, 500, 200]] as [number, number, number][]) {
        const p = transformPoint(vp, corner);
        expect(Math.abs(p[0])).toBeLessThanOrEqual(1);
        expect(Math.abs(p[1])).toBeLessThanOrEqual(1);
        expect(Math.abs(p[2])).toBeLessThanOrEqual(1);
      }
    }
  });

  it('rotates, zooms and pans as the gestures suggest', () => {
    const o = fitOrbit(defaultOrbit(), [0, 0, 0], [100, 100, 100]);
    expect(zoom(o, 2).distance).toBeCloseTo(o.distance / 2);
    expect(rotate(o, 0, 10_000).pitch).toBeLessThan(Math.PI / 2);
    const moved = pan({ ...o, pitch: 0, yaw: 0 }, 50, 0, 500);
    // Dragging right moves the scene right: the target moves towards -x.
    expect(moved.target[0]).toBeLessThan(o.target[0]);
    const { viewProjection: vp } = viewProjection(moved, 1);
    expect(transformPoint(vp, o.target)[0]).toBeGreaterThan(0);
  });
});
