/**
 * The merge tool's two-click flow as pure state: the first segment clicked (or selected) is
 * the target that remains, the second the source merged into it. Both must stay selected:
 * merges happen only between selected segments, and clearing the selection cancels.
 */
export interface MergePick {
  target: number | null;
  source: number | null;
}

export const NO_MERGE: MergePick = { target: null, source: null };

export interface MergeStep {
  pick: MergePick;
  /** The selection the click leaves (target first). */
  selection: number[];
  notice?: string;
}

export function mergeClick(pick: MergePick, clicked: number): MergeStep {
  if (clicked === 0) return { pick, selection: selectionOf(pick), notice: 'Click inside a segment (this is background).' };
  if (pick.target === null) return { pick: { target: clicked, source: null }, selection: [clicked] };
  if (clicked === pick.target) return { pick: NO_MERGE, selection: [] };
  if (clicked === pick.source) return { pick: { target: pick.target, source: null }, selection: [pick.target] };
  return { pick: { target: pick.target, source: clicked }, selection: [pick.target, clicked] };
}

/** Keeps the pick consistent with a selection changed elsewhere (panel, Esc, viewer clicks). */
export function reconcileMerge(pick: MergePick, selection: readonly number[]): MergePick {
  const sel = selection.filter((id) => id !== 0);
  const target = pick.target !== null && sel.includes(pick.target) ? pick.target : (sel[0] ?? null);
  if (target === null) return NO_MERGE;
  const others = sel.filter((id) => id !== target);
  const source = pick.source !== null && others.includes(pick.source) ? pick.source : others.length === 1 ? others[0] : null;
  return target === pick.target && source === pick.source ? pick : { target, source };
}

export function selectionOf(pick: MergePick): number[] {
  return pick.target === null ? [] : pick.source === null ? [pick.target] : [pick.target, pick.source];
}

/** Ready to merge: two different segments, both selected. */
export function mergeReady(pick: MergePick, selection: readonly number[]): pick is { target: number; source: number } {
  return pick.target !== null && pick.source !== null && pick.target !== pick.source && selection.includes(pick.target) && selection.includes(pick.source);
}
