import { useEffect, useRef } from 'react';
import type { ViewKind } from './core/geometry';
import { VIEW_COLORS } from './overlay';
import type { ViewerController } from './viewer-controller';

/**
 * One slice view: a transparent element receiving input over the shared GL canvas, and a 2D
 * canvas for the crosshair, scale bar and tool overlays.
 */
export function SlicePane({ controller, view, active, cursor }: { controller: ViewerController; view: ViewKind; active: boolean; cursor: string }) {
  const el = useRef<HTMLDivElement>(null);
  const overlay = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!el.current || !overlay.current) return;
    return controller.attachPane(view, el.current, overlay.current);
  }, [controller, view]);
  return (
    <div
      ref={el}
      data-testid={`pane-${view}`}
      data-view={view}
      style={{
        position: 'relative',
        minWidth: 0,
        minHeight: 0,
        outline: `1px solid ${active ? VIEW_COLORS[view] : 'rgba(255,255,255,0.08)'}`,
        outlineOffset: -1,
        cursor,
        touchAction: 'none',
        userSelect: 'none',
      }}
    >
      <canvas ref={overlay} style={{ position: 'absolute', inset: 0, width: '100%', height: '100%', pointerEvents: 'none' }} />
    </div>
  );
}
