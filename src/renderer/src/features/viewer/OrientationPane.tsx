import { useEffect, useRef } from 'react';
import { physicalExtent, type Vec3 } from './core/geometry';
import { VIEW_COLORS } from './overlay';
import type { FourthPaneProps } from './tools/registry';
import type { ViewerController } from './viewer-controller';

type P3 = [number, number, number]; // x, y, z in nm, centred

/**
 * The fourth pane of the 2x2 layout until a 3D view is registered: the volume's bounding box at
 * its physical proportions with the three slice planes where the crosshair is. Drag to rotate.
 */
export function OrientationPane({ host, width, height }: FourthPaneProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const angles = useRef({ yaw: -0.6, pitch: 0.5 });
  const controller = host as ViewerController;

  useEffect(() => {
    const draw = () => {
      const c = canvas.current;
      const world = controller.world;
      if (!c || !world) return;
      paint(c, width, height, world.shape, world.resolution, host.state.get().position, angles.current);
    };
    draw();
    const off = host.state.subscribe((s, p) => {
      if (s.position !== p.position) draw();
    });
    return off;
  }, [controller, host, width, height]);

  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    let last: { x: number; y: number } | null = null;
    const down = (e: PointerEvent) => {
      last = { x: e.clientX, y: e.clientY };
      c.setPointerCapture(e.pointerId);
    };
    const move = (e: PointerEvent) => {
      if (!last) return;
      angles.current.yaw += (e.clientX - last.x) * 0.01;
      angles.current.pitch = Math.max(-1.5, Math.min(1.5, angles.current.pitch + (e.clientY - last.y) * 0.01));
      last = { x: e.clientX, y: e.clientY };
      const world = controller.world;
      if (world) paint(c, width, height, world.shape, world.resolution, host.state.get().position, angles.current);
    };
    const up = () => (last = null);
    c.addEventListener('pointerdown', down);
    c.addEventListener('pointermove', move);
    c.addEventListener('pointerup', up);
    return () => {
      c.removeEventListener('pointerdown', down);
      c.removeEventListener('pointermove', move);
      c.removeEventListener('pointerup', up);
    };
  }, [controller, host, width, height]);

  return <canvas ref={canvas} data-testid="orientation-pane" style={{ width: '100%', height: '100%', display: 'block', cursor: 'grab' }} />;
}

function paint(c: HTMLCanvasElement, width: number, height: number, shape: Vec3, resolution: Vec3, position: Vec3, a: { yaw: number; pitch: number }): void {
  const dpr = window.devicePixelRatio || 1;
  c.width = Math.max(1, Math.round(width * dpr));
  c.height = Math.max(1, Math.round(height * dpr));
  const ctx = c.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = '#0b0c0e';
  ctx.fillRect(0, 0, width, height);
  const ext = physicalExtent(shape, resolution); // z, y, x
  const size: P3 = [ext[2], ext[1], ext[0]];
  const half: P3 = [size[0] / 2, size[1] / 2, size[2] / 2];
  const scale = (0.62 * Math.min(width, height)) / Math.max(...size);
  const project = (p: P3) => {
    const [x, y, z] = [p[0] - half[0], p[1] - half[1], p[2] - half[2]];
    const cy = Math.cos(a.yaw);
    const sy = Math.sin(a.yaw);
    const x1 = x * cy + z * sy;
    const z1 = -x * sy + z * cy;
    const cp = Math.cos(a.pitch);
    const sp = Math.sin(a.pitch);
    const y1 = y * cp - z1 * sp;
    return { x: width / 2 + x1 * scale, y: height / 2 + y1 * scale };
  };
  const pos: P3 = [position[2] * resolution[2], position[1] * resolution[1], position[0] * resolution[0]];
  const quad = (pts: P3[], fill: string, stroke: string) => {
    ctx.beginPath();
    pts.forEach((p, i) => {
      const s = project(p);
      if (i === 0) ctx.moveTo(s.x, s.y);
      else ctx.lineTo(s.x, s.y);
    });
    ctx.closePath();
    ctx.fillStyle = fill;
    ctx.fill();
    ctx.strokeStyle = stroke;
    ctx.stroke();
  };
  const [X, Y, Z] = size;
  ctx.lineWidth = 1;
  quad([[0, 0, pos[2]], [X, 0, pos[2]], [X, Y, pos[2]], [0, Y, pos[2]]], hexAlpha(VIEW_COLORS.xy, 0.18), VIEW_COLORS.xy);
  quad([[0, pos[1], 0], [X, pos[1], 0], [X, pos[1], Z], [0, pos[1], Z]], hexAlpha(VIEW_COLORS.xz, 0.18), VIEW_COLORS.xz);
  quad([[pos[0], 0, 0], [pos[0], Y, 0], [pos[0], Y, Z], [pos[0], 0, Z]], hexAlpha(VIEW_COLORS.yz, 0.18), VIEW_COLORS.yz);
  ctx.strokeStyle = 'rgba(230, 230, 230, 0.55)';
  const corners: P3[] = [];
  for (const x of [0, X]) for (const y of [0, Y]) for (const z of [0, Z]) corners.push([x, y, z]);
  for (let i = 0; i < 8; i++)
    for (let j = i + 1; j < 8; j++) {
      const d = [0, 1, 2].filter((k) => corners[i][k] !== corners[j][k]).length;
      if (d !== 1) continue;
      const p = project(corners[i]);
      const q = project(corners[j]);
      ctx.beginPath();
      ctx.moveTo(p.x, p.y);
      ctx.lineTo(q.x, q.y);
      ctx.stroke();
    }
  ctx.fillStyle = 'rgba(230, 230, 230, 0.8)';
  ctx.font = '11px system-ui, sans-serif';
  const label = (p: P3, t: string) => {
    const s = project(p);
    ctx.fillText(t, s.x + 3, s.y - 3);
  };
  label([X, 0, 0], 'x');
  label([0, Y, 0], 'y');
  label([0, 0, Z], 'z');
  ctx.fillStyle = 'rgba(200, 200, 200, 0.6)';
  ctx.fillText('Orientation · drag to rotate', 10, height - 10);
}

function hexAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}
