import { add, cross, lookAt, multiply, normalize, perspective, scale, type Mat4, type V3 } from './mat4';

/**
 * An orbit camera around a target point, in the meshes' coordinates (x, y, z in nm). Drag
 * rotates (yaw about the volume's z axis, pitch towards it), the wheel zooms, Shift+drag pans.
 * The default view looks down the z axis with y pointing down, like the XY slice view.
 */
export interface Orbit {
  target: V3;
  distance: number;
  /** Radians about the z axis. */
  yaw: number;
  /** Radians; 0 looks along +z (from z < target). */
  pitch: number;
}

export const FOV_Y = (40 * Math.PI) / 180;
const PITCH_LIMIT = Math.PI / 2 - 0.01;

export function defaultOrbit(): Orbit {
  return { target: [0, 0, 0], distance: 1000, yaw: 0, pitch: -0.6 };
}

/** Looks at a box (nm) from far enough that all of it fits. */
export function fitOrbit(o: Orbit, min: V3, max: V3): Orbit {
  const centre = scale(add(min, max), 0.5);
  const radius = Math.max(1e-3, Math.hypot(max[0] - min[0], max[1] - min[1], max[2] - min[2]) / 2);
  return { ...o, target: centre, distance: radius / Math.sin(FOV_Y / 2) };
}

/** Unit vectors of the camera: where it looks from (relative to the target), its up and right. */
export function orbitFrame(o: Orbit): { back: V3; up: V3; right: V3 } {
  // Pitch 0, yaw 0: the camera sits at -z looking towards +z, image up = -y (y runs down the screen).
  const cp = Math.cos(o.pitch);
  const back: V3 = normalize([Math.sin(o.yaw) * Math.sin(o.pitch), -Math.cos(o.yaw) * Math.sin(o.pitch), -cp]);
  const upGuess: V3 = normalize([Math.sin(o.yaw) * cp, -Math.cos(o.yaw) * cp, Math.sin(o.pitch)]);
  const right = normalize(cross(upGuess, back));
  const up = cross(back, right);
  return { back, up, right };
}

export function eyeOf(o: Orbit): V3 {
  return add(o.target, scale(orbitFrame(o).back, o.distance));
}

export function viewProjection(o: Orbit, aspect: number): { view: Mat4; projection: Mat4; viewProjection: Mat4 } {
  const { up } = orbitFrame(o);
  const view = lookAt(eyeOf(o), o.target, up);
  const near = Math.max(o.distance * 0.01, 1e-3);
  const projection = perspective(FOV_Y, Math.max(1e-3, aspect), near, o.distance * 10 + near);
  return { view, projection, viewProjection: multiply(projection, view) };
}

/** A drag of (dx, dy) CSS pixels rotates by 0.01 rad per pixel. */
export function rotate(o: Orbit, dx: number, dy: number): Orbit {
  const pitch = Math.max(-PITCH_LIMIT, Math.min(PITCH_LIMIT, o.pitch - dy * 0.01));
  return { ...o, yaw: o.yaw + dx * 0.01, pitch };
}

export function zoom(o: Orbit, factor: number): Orbit {
  return { ...o, distance: Math.max(1e-3, o.distance / factor) };
}

/** Moves the target so the scene follows a drag of (dx, dy) CSS pixels in a view `height` pixels tall. */
export function pan(o: Orbit, dx: number, dy: number, height: number): Orbit {
  const { up, right } = orbitFrame(o);
  const perPixel = (2 * o.distance * Math.tan(FOV_Y / 2)) / Math.max(1, height);
  const shift = add(scale(right, -dx * perPixel), scale(up, dy * perPixel));
  return { ...o, target: add(o.target, shift) };
}
