import { describe, expect, it } from 'vitest';
import { transformPoint } from '../../../src/renderer/src/features/mesh3d/mat4';
import { boxLines, meshBounds, planeLines } from '../../../src/renderer/src/features/mesh3d/mesh-renderer';
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

describe('3D scene helpers', () => {
  const mesh = (pts: number[]) => ({ segmentId: 1, level: 0, positions: new Float32Array(pts), normals: new Float32Array(pts.length), indices: new Uint32Array(0), chunks: 1, rebuiltChunks: 1 });

  it('bounds meshes together, and nothing for no vertices', () => {
    expect(meshBounds([mesh([0, 5, 2, 10, -1, 3]), mesh([-4, 0, 9])])).toEqual({ min: [-4, -1, 2], max: [10, 5, 9] });
    expect(meshBounds([mesh([])])).toBeNull();
  });

  it('draws a box as 12 edges and a plane as 4', () => {
    const box = boxLines([0, 0, 0], [1, 2, 3], [1, 1, 1]);
    expect(box.positions.length).toBe(12 * 2 * 3);
    const lengths = new Set<number>();
    for (let i = 0; i < box.positions.length; i += 6) lengths.add(Math.hypot(box.positions[i + 3] - box.positions[i], box.positions[i + 4] - box.positions[i + 1], box.positions[i + 5] - box.positions[i + 2]));
    expect([...lengths].sort()).toEqual([1, 2, 3]);
    const plane = planeLines([0, 0, 0], [1, 2, 3], 2, 1.5, [1, 0, 0], { positions: [], colors: [] });
    expect(plane.positions.length).toBe(4 * 2 * 3);
    for (let i = 2; i < plane.positions.length; i += 3) expect(plane.positions[i]).toBe(1.5);
  });
});
