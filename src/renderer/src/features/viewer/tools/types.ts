import type { LayerInfo } from '@shared/api/volumes';
import type { Vec3, ViewKind } from '../core/geometry';
import type { SegmentId } from '../core/segment-ids';
import type { HoverValue, SelectMode, ViewerState } from '../state/viewer-state';
import type { Store } from '../state/store';
import type { ViewerExtensions } from './registry';

/**
 * The tool-plugin interface. Proofreading tools (brush, eraser, fill, merge, split seeds...)
 * implement ViewerTool and register with `viewer.tools.register(tool)`; the viewer routes
 * pointer, wheel and key events of its slice views to the active tool first, and calls its
 * overlay painter every time a pane's overlay is redrawn.
 */

/** Projection of one slice pane, valid for the frame it was handed out with. */
export interface PaneProjection {
  view: ViewKind;
  /** CSS pixels. */
  width: number;
  height: number;
  /** The integer level-0 slice the pane shows along its normal axis. */
  slice: number;
  /** Level-0 voxel coordinates (continuous) -> CSS pixels in the pane; the normal coordinate is ignored. */
  toScreen(voxel: Vec3): { x: number; y: number };
  toVoxel(x: number, y: number): Vec3;
  /** CSS pixels per level-0 voxel along the pane's horizontal and vertical axes. */
  pixelsPerVoxel: { h: number; v: number };
  /** The volume axes [horizontal, vertical, normal] of this pane (0 = z, 1 = y, 2 = x). */
  axes: [number, number, number];
}

export interface ViewerPointerEvent {
  type: 'down' | 'move' | 'up' | 'click' | 'dblclick' | 'leave';
  pane: PaneProjection;
  /** Continuous level-0 voxel coordinates under the pointer. */
  voxel: Vec3;
  /** The voxel the pointer is in (floor of `voxel`). */
  voxelIndex: Vec3;
  /** Whether `voxelIndex` lies inside the volume. */
  inside: boolean;
  /** CSS pixels from the pane's top-left corner. */
  x: number;
  y: number;
  button: number;
  buttons: number;
  shiftKey: boolean;
  ctrlKey: boolean;
  altKey: boolean;
  metaKey: boolean;
  /** Values of every visible layer at `voxelIndex`, from the viewer's chunk cache. */
  pick(): HoverValue[];
  native: PointerEvent | MouseEvent;
}

export interface ViewerWheelEvent {
  pane: PaneProjection;
  voxel: Vec3;
  deltaY: number;
  shiftKey: boolean;
  ctrlKey: boolean;
  altKey: boolean;
  native: WheelEvent;
}

export interface ToolShortcut {
  /** KeyboardEvent.key, case-insensitive for letters, e.g. 'b', '[', 'Delete'. */
  key: string;
  shift?: boolean;
  /** Shown in the help overlay. */
  label: string;
  description: string;
  run(host: ViewerHost): void;
}

export interface ViewerTool {
  id: string;
  label: string;
  /** Shown in the toolbar and help overlay, e.g. 'B'. */
  hotkey?: string;
  /** CSS cursor over the slice panes while active. */
  cursor?: string;
  /** Keys active while this tool is; they take precedence over the viewer's own bindings. */
  shortcuts?: ToolShortcut[];
  activate?(host: ViewerHost): void;
  deactivate?(host: ViewerHost): void;
  /** Return true to consume the event (the viewer then neither pans nor selects). */
  pointer?(e: ViewerPointerEvent, host: ViewerHost): boolean | void;
  /** Return true to consume the wheel (e.g. brush size on Shift+wheel). */
  wheel?(e: ViewerWheelEvent, host: ViewerHost): boolean | void;
  /** Draws on the pane's 2D overlay (CSS-pixel coordinates, already scaled for the device). */
  drawOverlay?(ctx: CanvasRenderingContext2D, pane: PaneProjection, host: ViewerHost): void;
}

/** Draws on a pane's overlay independently of the active tool (register with `extensions.overlays.add`). */
export type OverlayPainter = (ctx: CanvasRenderingContext2D, pane: PaneProjection, host: ViewerHost) => void;

/** Control of a label layer's GPU-side id handling. */
export interface LabelLayerControl {
  readonly layerId: string;
  /** Replaces the fragment -> segment mapping (ids absent from it map to themselves). */
  setMapping(pairs: Iterable<[SegmentId, SegmentId]>): void;
  /** Changes a few entries (a merge or split); `null` removes the entry. Partial GPU upload. */
  updateMapping(changes: Iterable<[SegmentId, SegmentId | null]>): void;
  /** The segment a fragment maps to. */
  mapId(fragment: SegmentId): SegmentId;
  /** A fixed colour for a segment (null: back to its hashed colour). */
  setSegmentColor(id: SegmentId, rgb: [number, number, number] | null): void;
  /** Hides a segment everywhere (or shows it again). */
  setSegmentHidden(id: SegmentId, hidden: boolean): void;
}

/** What the viewer offers tools and other features. */
export interface ViewerHost {
  readonly state: Store<ViewerState>;
  /** Tools, overlay painters, help sections and the fourth pane registered by features. */
  readonly extensions: ViewerExtensions;
  readonly layers: readonly LayerInfo[];
  /** Redraws the slices (e.g. after a mapping change). */
  requestRender(): void;
  /** Redraws only the 2D overlays (cursor previews). */
  requestOverlay(): void;
  /** Values of every visible layer at a level-0 voxel, from cached chunks. */
  pickAt(voxel: Vec3): HoverValue[];
  labels(layerId: string): LabelLayerControl;
  select(layerId: string, ids: SegmentId[], mode: SelectMode): void;
  /** Drops cached chunks of a layer (all, or those intersecting a level-0 box) and refetches them. */
  invalidate(layerId: string, box?: { min: Vec3; max: Vec3 }): void;
  /**
   * Shows locally changed voxels at once (a brush stroke before the server confirms): replaces
   * the cached level-0 voxels of `box` with `data` (C order, the layer's dtype; 64-bit ids as
   * BigUint64Array). Chunks not loaded yet are skipped; the next fetch brings the stored truth.
   */
  patchVoxels(layerId: string, box: { min: Vec3; max: Vec3 }, data: ArrayLike<number> | BigUint64Array): void;
  moveTo(position: Vec3): void;
  setActiveTool(id: string): void;
}
