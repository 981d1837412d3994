import type { ViewerHost, ViewerPointerEvent, ViewerTool } from '../viewer/tools/types';
import { createStore, type Store } from '../viewer/state/store';
import type { ProofreadingSession } from '../proofreading/session';
import { backToNavigate, segmentUnder } from './common';
import { mergeClick, mergeReady, NO_MERGE, reconcileMerge, type MergePick } from './merge-flow';

export interface MergeState {
  pick: MergePick;
  busy: boolean;
}

/**
 * Merge: click the segment that remains, then the one to merge into it. Both become the
 * selection, and the merge happens only on confirmation (Enter or the button that names both
 * ids), only while both are still selected.
 */
export class MergeTool implements ViewerTool {
  readonly id = 'merge';
  readonly label = 'Merge';
  readonly hotkey = 'M';
  readonly cursor = 'copy';
  readonly shortcuts;
  readonly state: Store<MergeState> = createStore<MergeState>({ pick: NO_MERGE, busy: false });

  constructor(private readonly session: ProofreadingSession) {
    this.shortcuts = [
      { key: 'Enter', label: 'Enter', description: 'merge the second segment into the first', run: () => void this.commit() },
      backToNavigate((h) => this.cancel(h)),
    ];
  }

  /** Follows selection changes made elsewhere (panel, viewer clicks, Esc). */
  attach(): () => void {
    const viewer = this.session.viewer;
    const sync = () => {
      const layerId = this.session.state.get().layerId;
      const sel = layerId ? (viewer.state.get().selections[layerId] ?? []).map(Number) : [];
      const pick = reconcileMerge(this.state.get().pick, sel);
      if (pick !== this.state.get().pick) this.state.set({ pick });
    };
    sync();
    return viewer.state.subscribe((s, prev) => {
      if (s.selections !== prev.selections) sync();
    });
  }

  pointer(e: ViewerPointerEvent, host: ViewerHost): boolean {
    if (e.type !== 'down') return false;
    const layerId = this.session.state.get().layerId;
    if (!layerId || !e.inside) return true;
    const clicked = segmentUnder(e, this.session);
    if (clicked === null) return true;
    const step = mergeClick(this.state.get().pick, clicked);
    if (step.notice) this.session.notify('info', step.notice);
    this.state.set({ pick: step.pick });
    host.select(layerId, step.selection.map(BigInt), 'replace');
    return true;
  }

  cancel(host: ViewerHost): boolean {
    const { pick } = this.state.get();
    if (pick.target === null) return false;
    const layerId = this.session.state.get().layerId;
    this.state.set({ pick: NO_MERGE });
    if (layerId) host.select(layerId, [], 'replace');
    return true;
  }

  /** Whether the two picked segments may be merged now (both selected). */
  ready(): { target: number; source: number } | null {
    const layerId = this.session.state.get().layerId;
    const sel = layerId ? (this.session.viewer.state.get().selections[layerId] ?? []).map(Number) : [];
    const pick = this.state.get().pick;
    return mergeReady(pick, sel) ? pick : null;
  }

  async commit(): Promise<void> {
    const pair = this.ready();
    const layerId = this.session.editableLayer();
    if (!pair || !layerId || this.state.get().busy) {
      if (!pair) this.session.notify('info', 'Select two segments first: click the one to keep, then the one to merge into it.');
      return;
    }
    this.state.set({ busy: true });
    const r = await this.session.edit('edits.merge', { layerId, target: pair.target, source: pair.source });
    this.state.set({ busy: false });
    if (!r) return;
    this.session.notify('success', `Merged ${pair.source} into ${pair.target}.`);
    this.state.set({ pick: { target: pair.target, source: null } });
    this.session.viewer.select(layerId, [BigInt(pair.target)], 'replace');
  }
}
