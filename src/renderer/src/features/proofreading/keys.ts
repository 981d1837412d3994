import { useEffect } from 'react';
import type { HelpSection } from '../viewer/tools/registry';
import type { ProofreadingSession } from './session';

/** Keys and gestures handled outside tool shortcuts, listed in the viewer's help overlay. */
export const PROOFREADING_HELP: HelpSection = {
  title: 'Proofreading',
  rows: [
    { keys: ['Ctrl+Z'], description: 'Undo the last edit (any tool, survives restarts)' },
    { keys: ['Ctrl+Shift+Z', 'Ctrl+Y'], description: 'Redo' },
    { keys: ['Alt+Click'], description: 'Brush, eraser, fill: pick the segment under the pointer' },
    { keys: ['Shift+Wheel'], description: 'Brush, eraser: brush size' },
    { keys: ['Shift+Click'], description: 'Split: seed in the next group' },
    { keys: ['Enter'], description: 'Fill, merge, split, interpolate: apply the preview' },
  ],
};

function typingInto(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  const tag = el.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable;
}

/** Ctrl+Z undo, Ctrl+Shift+Z / Ctrl+Y redo (Cmd on macOS), except while typing or in a dialog. */
export function useProofreadingKeys(session: ProofreadingSession): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || typingInto(e.target)) return;
      if (document.querySelector('.mantine-Modal-root [role="dialog"]')) return;
      const key = e.key.toLowerCase();
      if (key === 'z' && !e.shiftKey) {
        e.preventDefault();
        void session.undo();
      } else if ((key === 'z' && e.shiftKey) || (key === 'y' && !e.shiftKey)) {
        e.preventDefault();
        void session.redo();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [session]);
}
