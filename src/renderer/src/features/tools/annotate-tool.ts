import type { ViewerHost, ViewerPointerEvent, ViewerTool } from '../viewer/tools/types';
import type { ProofreadingSession } from '../proofreading/session';
import type { AnnotationStore } from '../annotations/annotation-store';
import { backToNavigate, paneVoxel } from './common';

/** Click: a to-do point here; Shift+click: a bookmark. Their text is edited in the Notes panel. */
export class AnnotateTool implements ViewerTool {
  readonly id = 'annotate';
  readonly label = 'Annotate';
  readonly hotkey = 'T';
  readonly cursor = 'crosshair';
  readonly shortcuts = [backToNavigate()];

  constructor(
    private readonly session: ProofreadingSession,
    private readonly annotations: AnnotationStore,
  ) {}

  pointer(e: ViewerPointerEvent, host: ViewerHost): boolean {
    if (e.type !== 'down') return false;
    if (!e.inside) return true;
    const kind = e.shiftKey ? 'bookmark' : 'todo';
    void this.annotations.create(kind, paneVoxel(e), this.session.state.get().layerId).then(() => host.requestOverlay());
    return true;
  }
}
