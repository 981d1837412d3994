import type { LayerInfo, LayerStats } from '@shared/api/volumes';
import type { Vec3, ViewKind } from '../core/geometry';
import { defaultImageDisplay, type ImageDisplay } from '../core/image-window';
import type { SegmentId } from '../core/segment-ids';
import type { LabelDisplay } from '../gl/slice-renderer';
import { createStore, type Store } from './store';

export type Layout = 'grid' | 'single';

export interface HoverValue {
  layerId: string;
  name: string;
  kind: LayerInfo['kind'];
  /** Image intensity, or the raw (fragment) id of a label layer; null while its chunk is not loaded. */
  value: number | bigint | null;
  /** Label layers: the segment the fragment maps to. */
  segment: SegmentId | null;
}

export interface HoverInfo {
  view: ViewKind;
  /** Integer level-0 voxel under the pointer. */
  voxel: Vec3;
  inside: boolean;
  values: HoverValue[];
}

/** The viewer's shared state: what other features (segments, tools, training previews) read and set. */
export interface ViewerState {
  /** Level-0 voxel coordinates [z, y, x] of the crosshair (continuous; voxel centres are i + 0.5). */
  position: Vec3;
  /** Nanometres per CSS pixel, shared by all slice views. */
  zoom: number;
  layout: Layout;
  /** The view the single-view layout shows. */
  singleView: ViewKind;
  /** The view the pointer was last in (keyboard slice steps apply to it). */
  activeView: ViewKind;
  /** Selected segment ids per label layer id. */
  selections: Readonly<Record<string, readonly SegmentId[]>>;
  /** The label layer clicks select in (and tools edit). */
  activeLabelLayer: string | null;
  activeTool: string;
  hover: HoverInfo | null;
  helpOpen: boolean;
}

export type LayerDisplay =
  | { kind: 'image'; visible: boolean; image: ImageDisplay; range: [number, number]; stats: LayerStats | null }
  | { kind: 'labels'; visible: boolean; labels: LabelDisplay };

export const DEFAULT_LABEL_DISPLAY: LabelDisplay = { opacity: 0.45, selectedOpacity: 0.85, outline: false, showOnlySelected: false };

export function initialViewerState(): ViewerState {
  return {
    position: [0.5, 0.5, 0.5],
    zoom: 8,
    layout: 'grid',
    singleView: 'xy',
    activeView: 'xy',
    selections: {},
    activeLabelLayer: null,
    activeTool: 'navigate',
    hover: null,
    helpOpen: false,
  };
}

export function isLabelLayer(layer: Pick<LayerInfo, 'kind'>): boolean {
  return layer.kind === 'labels' || layer.kind === 'fragments';
}

/** Label and fragment layers show ids; everything else (images, affinities) shows intensities. */
export function defaultDisplay(layer: LayerInfo): LayerDisplay {
  if (isLabelLayer(layer)) return { kind: 'labels', visible: true, labels: { ...DEFAULT_LABEL_DISPLAY } };
  const range = dtypeDisplayRange(layer.dtype);
  return { kind: 'image', visible: true, image: defaultImageDisplay(range), range, stats: null };
}

/** A first display range before statistics arrive: the dtype's range for 8/16-bit, 0..1 otherwise. */
export function dtypeDisplayRange(dtype: string): [number, number] {
  if (dtype === 'uint8') return [0, 255];
  if (dtype === 'int8') return [-128, 127];
  if (dtype === 'uint16') return [0, 65535];
  if (dtype === 'int16') return [-32768, 32767];
  return [0, 1];
}

export type SelectMode = 'replace' | 'add' | 'toggle' | 'remove';

export function applySelection(current: readonly SegmentId[], ids: readonly SegmentId[], mode: SelectMode): SegmentId[] {
  if (mode === 'replace') return [...new Set(ids)];
  const set = new Set(current);
  for (const id of ids) {
    if (mode === 'add') set.add(id);
    else if (mode === 'remove') set.delete(id);
    else if (set.has(id)) set.delete(id);
    else set.add(id);
  }
  return [...set];
}

export type ViewerStore = Store<ViewerState>;
export type DisplayStore = Store<Record<string, LayerDisplay>>;

export function createViewerStores(): { state: ViewerStore; displays: DisplayStore } {
  return { state: createStore(initialViewerState()), displays: createStore<Record<string, LayerDisplay>>({}) };
}
