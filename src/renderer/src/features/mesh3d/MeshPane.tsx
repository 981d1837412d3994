import { Text } from '@mantine/core';
import { useEffect, useMemo, useRef, useSyncExternalStore } from 'react';
import { useStore } from '../viewer/state/store';
import type { FourthPaneProps } from '../viewer/tools/registry';
import { useProofreading } from '../proofreading/context';
import { MESHES_PER_CALL } from './mesh-store';
import { boxLines, meshBounds, MeshRenderer, planeLines, type DrawnMesh } from './mesh-renderer';
import { defaultOrbit, fitOrbit, orbitFrame, pan, rotate, viewProjection, zoom, type Orbit } from './orbit-camera';
import type { V3 } from './mat4';

/** Plane colours as in the slice views: XY blue, XZ green, YZ red. */
const PLANE_RGB: Record<'xy' | 'xz' | 'yz', V3> = { xy: [0.3, 0.67, 0.97], xz: [0.41, 0.86, 0.49], yz: [1, 0.42, 0.42] };

/**
 * The 3D view in the fourth pane: meshes of the selected segments of the edited layer,
 * coloured as in the slice views, inside the volume's box with the three slice planes.
 * Drag rotates, Shift+drag (or right drag) pans, the wheel zooms, double-click fits.
 */
export function MeshPane({ host }: FourthPaneProps) {
  const { session, meshes } = useProofreading();
  const canvas = useRef<HTMLCanvasElement>(null);
  const renderer = useRef<MeshRenderer | null>(null);
  const orbit = useRef<Orbit>(defaultOrbit());
  const fitted = useRef<string>('');
  const frame = useRef(0);
  const layerId = useStore(session.state, (s) => s.layerId);
  const selection = useStore(host.state, (s) => (layerId ? s.selections[layerId] : undefined));
  const ids = useMemo(() => (selection ?? []).map(Number).filter((id) => id > 0), [selection]);
  const shown = ids.slice(0, MESHES_PER_CALL);
  const shownKey = `${layerId}:${shown.join(',')}`;
  const revision = useSyncExternalStore(
    (cb) => meshes.subscribe(cb),
    () => meshes.revision,
  );

  useEffect(() => {
    if (layerId && shown.length) meshes.want(layerId, shown);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [meshes, shownKey]);

  const draw = () => {
    cancelAnimationFrame(frame.current);
    frame.current = requestAnimationFrame(() => {
      const c = canvas.current;
      const r = renderer.current;
      const layer = session.layer;
      if (!c || !r || !layerId || !layer) return;
      const dpr = window.devicePixelRatio || 1;
      const w = Math.max(1, Math.round(c.clientWidth * dpr));
      const h = Math.max(1, Math.round(c.clientHeight * dpr));
      if (c.width !== w || c.height !== h) {
        c.width = w;
        c.height = h;
      }
      const drawn: DrawnMesh[] = [];
      for (const id of shown) {
        const m = meshes.get(layerId, id);
        if (m) drawn.push({ mesh: m, color: session.colorOf(id) });
      }
      const res = layer.resolution;
      const volMax: V3 = [layer.shape[2] * res[2], layer.shape[1] * res[1], layer.shape[0] * res[0]];
      const bounds = meshBounds(drawn.map((d) => d.mesh));
      if (fitted.current !== shownKey && bounds) {
        orbit.current = fitOrbit(orbit.current, bounds.min, bounds.max);
        fitted.current = shownKey;
      } else if (!bounds && fitted.current !== 'volume') {
        orbit.current = fitOrbit(orbit.current, [0, 0, 0], volMax);
        fitted.current = 'volume';
      }
      const p = host.state.get().position;
      const lines = boxLines([0, 0, 0], volMax, [0.45, 0.47, 0.5]);
      planeLines([0, 0, 0], volMax, 2, p[0] * res[0], PLANE_RGB.xy, lines);
      planeLines([0, 0, 0], volMax, 1, p[1] * res[1], PLANE_RGB.xz, lines);
      planeLines([0, 0, 0], volMax, 0, p[2] * res[2], PLANE_RGB.yz, lines);
      const vp = viewProjection(orbit.current, w / h);
      r.draw(drawn, vp.viewProjection, orbitFrame(orbit.current).back, lines, w, h);
      c.dataset.triangles = String(r.triangles);
      c.dataset.meshes = String(drawn.length);
    });
  };

  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const gl = c.getContext('webgl2', { antialias: true, preserveDrawingBuffer: true });
    if (!gl) return;
    renderer.current = new MeshRenderer(gl);
    const ro = new ResizeObserver(() => draw());
    ro.observe(c);
    const off = host.state.subscribe((s, prev) => {
      if (s.position !== prev.position) draw();
    });
    return () => {
      ro.disconnect();
      off();
      cancelAnimationFrame(frame.current);
      renderer.current?.dispose();
      renderer.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [host]);

  useEffect(draw);

  const drag = useRef<{ x: number; y: number; pan: boolean } | null>(null);
  const onPointerDown = (e: React.PointerEvent) => {
    (e.target as HTMLElement).setPointerCapture(e.pointerId);
    drag.current = { x: e.clientX, y: e.clientY, pan: e.shiftKey || e.button !== 0 };
  };
  const onPointerMove = (e: React.PointerEvent) => {
    const d = drag.current;
    if (!d) return;
    const dx = e.clientX - d.x;
    const dy = e.clientY - d.y;
    d.x = e.clientX;
    d.y = e.clientY;
    orbit.current = d.pan ? pan(orbit.current, dx, dy, canvas.current?.clientHeight ?? 1) : rotate(orbit.current, dx, dy);
    draw();
  };
  const onPointerUp = () => {
    drag.current = null;
  };
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      orbit.current = zoom(orbit.current, Math.exp(-Math.max(-300, Math.min(300, e.deltaY)) * 0.002));
      draw();
    };
    c.addEventListener('wheel', onWheel, { passive: false });
    return () => c.removeEventListener('wheel', onWheel);
  });

  const loading = layerId ? meshes.loading(layerId, shown) : false;
  const error = layerId ? meshes.error(layerId, shown) : null;
  const triangles = shown.reduce((s, id) => s + (layerId ? (meshes.get(layerId, id)?.indices.length ?? 0) / 3 : 0), 0);
  void revision;

  return (
    <div style={{ position: 'absolute', inset: 0 }} data-testid="mesh-pane">
      <canvas
        ref={canvas}
        data-testid="mesh-view"
        style={{ width: '100%', height: '100%', display: 'block', touchAction: 'none', cursor: 'grab' }}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        onDoubleClick={() => {
          fitted.current = '';
          draw();
        }}
        onContextMenu={(e) => e.preventDefault()}
      />
      <div style={{ position: 'absolute', left: 8, top: 8, pointerEvents: 'none', background: 'rgba(0,0,0,0.55)', padding: '2px 8px', borderRadius: 4 }}>
        <Text size="xs" fw={600} c="gray.3" data-testid="mesh-status">
          3D · {shown.length === 0 ? 'select segments to see their meshes' : `${shown.length} segment${shown.length > 1 ? 's' : ''} · ${Math.round(triangles).toLocaleString('en-US')} triangles`}
          {ids.length > shown.length ? ` (first ${shown.length} of ${ids.length})` : ''}
          {loading ? ' · building…' : ''}
        </Text>
        {error && (
          <Text size="xs" c="red.4">
            {error}
          </Text>
        )}
      </div>
    </div>
  );
}
