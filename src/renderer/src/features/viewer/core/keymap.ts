/**
 * The viewer's keyboard and mouse bindings, following the field's habits (CATMAID's , and .
 * for sections, neuroglancer's wheel/Ctrl+wheel, arrow keys to pan). The help overlay is
 * generated from this table, so what it lists is what the viewer does.
 */

export type ViewerAction =
  | { type: 'slice'; steps: number }
  | { type: 'zoom'; factor: number }
  | { type: 'pan'; dx: number; dy: number }
  | { type: 'fit' }
  | { type: 'layout'; layout: 'grid' | 'single' }
  | { type: 'view'; view: 'xy' | 'xz' | 'yz' }
  | { type: 'toggleOutline' }
  | { type: 'toggleLabels' }
  | { type: 'clearSelection' }
  | { type: 'help' }
  | { type: 'goto' }
  | { type: 'screenshot' };

export interface KeyLike {
  key: string;
  shiftKey: boolean;
  ctrlKey: boolean;
  altKey: boolean;
  metaKey: boolean;
}

export interface KeyBinding {
  /** What the help overlay shows, e.g. ['.', 'Page Down']. */
  keys: string[];
  description: string;
  group: 'Navigate' | 'View' | 'Segments' | 'Other';
  action: (e: KeyLike) => ViewerAction | null;
}

const SLICE_FAST = 10;
const ZOOM_STEP = 1.25;

export const KEY_BINDINGS: KeyBinding[] = [
  {
    keys: ['.', 'Page Down'],
    description: 'Next slice (Shift: 10 slices)',
    group: 'Navigate',
    action: (e) => (e.key === '.' || e.key === '>' || e.key === 'PageDown' ? { type: 'slice', steps: e.shiftKey ? SLICE_FAST : 1 } : null),
  },
  {
    keys: [',', 'Page Up'],
    description: 'Previous slice (Shift: 10 slices)',
    group: 'Navigate',
    action: (e) => (e.key === ',' || e.key === '<' || e.key === 'PageUp' ? { type: 'slice', steps: -(e.shiftKey ? SLICE_FAST : 1) } : null),
  },
  {
    keys: ['←', '→', '↑', '↓'],
    description: 'Pan (Shift: faster)',
    group: 'Navigate',
    action: (e) => {
      const d = e.shiftKey ? 200 : 50;
      if (e.key === 'ArrowLeft') return { type: 'pan', dx: d, dy: 0 };
      if (e.key === 'ArrowRight') return { type: 'pan', dx: -d, dy: 0 };
      if (e.key === 'ArrowUp') return { type: 'pan', dx: 0, dy: d };
      if (e.key === 'ArrowDown') return { type: 'pan', dx: 0, dy: -d };
      return null;
    },
  },
  {
    keys: ['+', '='],
    description: 'Zoom in',
    group: 'Navigate',
    action: (e) => (e.key === '+' || e.key === '=' ? { type: 'zoom', factor: ZOOM_STEP } : null),
  },
  { keys: ['-'], description: 'Zoom out', group: 'Navigate', action: (e) => (e.key === '-' || e.key === '_' ? { type: 'zoom', factor: 1 / ZOOM_STEP } : null) },
  { keys: ['Home'], description: 'Fit the volume in the views', group: 'Navigate', action: (e) => (e.key === 'Home' ? { type: 'fit' } : null) },
  { keys: ['G'], description: 'Go to a coordinate', group: 'Navigate', action: (e) => (lower(e) === 'g' ? { type: 'goto' } : null) },
  { keys: ['1', '2', '3'], description: 'Single view: XY, XZ, YZ', group: 'View', action: (e) => viewKey(e.key) },
  { keys: ['4'], description: 'Four-pane layout', group: 'View', action: (e) => (e.key === '4' ? { type: 'layout', layout: 'grid' } : null) },
  { keys: ['P'], description: 'Save the view as PNG', group: 'View', action: (e) => (lower(e) === 'p' ? { type: 'screenshot' } : null) },
  { keys: ['O'], description: 'Label outlines on/off', group: 'Segments', action: (e) => (lower(e) === 'o' ? { type: 'toggleOutline' } : null) },
  { keys: ['X'], description: 'Show/hide label layers', group: 'Segments', action: (e) => (lower(e) === 'x' ? { type: 'toggleLabels' } : null) },
  { keys: ['Esc'], description: 'Clear the segment selection', group: 'Segments', action: (e) => (e.key === 'Escape' ? { type: 'clearSelection' } : null) },
  { keys: ['?', 'H'], description: 'This help', group: 'Other', action: (e) => (e.key === '?' || lower(e) === 'h' ? { type: 'help' } : null) },
];

/** Mouse gestures, listed in the help overlay next to the keys. */
export const MOUSE_BINDINGS: { gesture: string; description: string }[] = [
  { gesture: 'Wheel', description: 'Next / previous slice (Shift: 10 slices)' },
  { gesture: 'Ctrl + Wheel', description: 'Zoom about the pointer' },
  { gesture: 'Drag', description: 'Pan' },
  { gesture: 'Click', description: 'Select the segment under the pointer' },
  { gesture: 'Ctrl/Shift + Click', description: 'Add / remove a segment from the selection' },
  { gesture: 'Double-click', description: 'Move the crosshair here (all views follow)' },
];

function lower(e: KeyLike): string {
  return e.key.length === 1 ? e.key.toLowerCase() : e.key;
}

function viewKey(key: string): ViewerAction | null {
  if (key === '1') return { type: 'view', view: 'xy' };
  if (key === '2') return { type: 'view', view: 'xz' };
  if (key === '3') return { type: 'view', view: 'yz' };
  return null;
}

/** The action bound to a key press, or null. Ctrl/Alt/Meta combinations are left to the browser. */
export function actionForKey(e: KeyLike): ViewerAction | null {
  if (e.ctrlKey || e.altKey || e.metaKey) return null;
  for (const b of KEY_BINDINGS) {
    const a = b.action(e);
    if (a) return a;
  }
  return null;
}

/** Slices per wheel notch: 1, or 10 with Shift. Trackpads send many small deltas: one step each. */
export function wheelSliceSteps(deltaY: number, shiftKey: boolean, deltaX = 0): number {
  // Browsers turn Shift+wheel into horizontal scrolling on some platforms.
  const d = deltaY !== 0 ? deltaY : deltaX;
  if (d === 0) return 0;
  return Math.sign(d) * (shiftKey ? SLICE_FAST : 1);
}

/** Zoom factor for a Ctrl+wheel event (>1 zooms in). */
export function wheelZoomFactor(deltaY: number, deltaMode: number): number {
  const pixels = deltaMode === 1 ? deltaY * 33 : deltaMode === 2 ? deltaY * 400 : deltaY;
  return Math.exp(-Math.max(-300, Math.min(300, pixels)) * 0.002);
}
