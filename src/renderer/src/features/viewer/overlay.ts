import { AXIS_NAMES, scaleBar, type Vec3, type ViewKind } from './core/geometry';
import type { PaneProjection, ViewerHost, ViewerTool } from './tools/types';

/** Each view's colour (its normal axis): borders, crosshair lines of that plane, labels. */
export const VIEW_COLORS: Record<ViewKind, string> = { xy: '#4dabf7', xz: '#69db7c', yz: '#ff6b6b' };

/** The view whose plane is perpendicular to an axis. */
const VIEW_OF_NORMAL: Record<number, ViewKind> = { 0: 'xy', 1: 'xz', 2: 'yz' };

/**
 * Draws a pane's 2D overlay: the crosshair (each line coloured as the view whose plane it is),
 * the scale bar, the view name and slice, the registered overlay painters, then the active
 * tool's own drawing.
 */
export function drawPaneOverlay(canvas: HTMLCanvasElement, pane: PaneProjection, host: ViewerHost, tool: ViewerTool | null): void {
  const dpr = window.devicePixelRatio || 1;
  const W = Math.max(1, Math.round(pane.width * dpr));
  const H = Math.max(1, Math.round(pane.height * dpr));
  if (canvas.width !== W || canvas.height !== H) {
    canvas.width = W;
    canvas.height = H;
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, W, H);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const position = host.state.get().position;
  drawCrosshair(ctx, pane, position);
  drawScaleBar(ctx, pane, host.state.get().zoom);
  drawLabel(ctx, pane, position);
  for (const paint of host.extensions.overlays.list()) {
    ctx.save();
    paint(ctx, pane, host);
    ctx.restore();
  }
  if (tool?.drawOverlay) {
    ctx.save();
    tool.drawOverlay(ctx, pane, host);
    ctx.restore();
  }
}

function drawCrosshair(ctx: CanvasRenderingContext2D, pane: PaneProjection, position: Vec3): void {
  const c = pane.toScreen(position);
  const gap = 12;
  const [h, v] = pane.axes;
  ctx.lineWidth = 1;
  ctx.globalAlpha = 0.75;
  // Vertical line: the plane perpendicular to the horizontal axis.
  ctx.strokeStyle = VIEW_COLORS[VIEW_OF_NORMAL[h]];
  line(ctx, c.x, 0, c.x, c.y - gap);
  line(ctx, c.x, c.y + gap, c.x, pane.height);
  ctx.strokeStyle = VIEW_COLORS[VIEW_OF_NORMAL[v]];
  line(ctx, 0, c.y, c.x - gap, c.y);
  line(ctx, c.x + gap, c.y, pane.width, c.y);
  ctx.globalAlpha = 1;
}

function line(ctx: CanvasRenderingContext2D, x0: number, y0: number, x1: number, y1: number): void {
  ctx.beginPath();
  ctx.moveTo(Math.round(x0) + 0.5, Math.round(y0) + 0.5);
  ctx.lineTo(Math.round(x1) + 0.5, Math.round(y1) + 0.5);
  ctx.stroke();
}

function drawScaleBar(ctx: CanvasRenderingContext2D, pane: PaneProjection, zoom: number): void {
  const bar = scaleBar(zoom, Math.min(140, pane.width / 4));
  const x = 14;
  const y = pane.height - 16;
  ctx.fillStyle = 'rgba(0, 0, 0, 0.55)';
  ctx.fillRect(x - 6, y - 20, bar.px + 12, 28);
  ctx.fillStyle = '#f1f3f5';
  ctx.fillRect(x, y, bar.px, 3);
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'bottom';
  ctx.fillText(bar.label, x, y - 3);
}

function drawLabel(ctx: CanvasRenderingContext2D, pane: PaneProjection, position: Vec3): void {
  const n = pane.axes[2];
  const text = `${pane.view.toUpperCase()}  ${AXIS_NAMES[n]} = ${Math.floor(position[n])}`;
  ctx.font = '600 12px system-ui, sans-serif';
  ctx.textBaseline = 'top';
  const w = ctx.measureText(text).width;
  ctx.fillStyle = 'rgba(0, 0, 0, 0.55)';
  ctx.fillRect(8, 8, w + 12, 20);
  ctx.fillStyle = VIEW_COLORS[pane.view];
  ctx.fillText(text, 14, 12);
}
