import { useEffect, type RefObject } from 'react';
import { actionForKey, type ViewerAction } from './core/keymap';
import type { ViewerController } from './viewer-controller';

function typingInto(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  const tag = el.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable;
}

/**
 * Keyboard control of the viewer: the active tool's shortcuts, tool hotkeys, then the viewer's
 * bindings (core/keymap). Ignored while typing in a field or while a dialog is open.
 */
export function useViewerKeys(controller: ViewerController, opts: { gotoRef: RefObject<HTMLInputElement | null>; screenshot: () => void }): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (typingInto(e.target)) return;
      const s = controller.state.get();
      if (s.helpOpen) return;
      if (document.querySelector('.mantine-Modal-root [role="dialog"]')) return;
      const tools = controller.extensions.tools;
      const active = tools.get(s.activeTool);
      const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
      for (const sc of active?.shortcuts ?? []) {
        if ((sc.key.length === 1 ? sc.key.toLowerCase() : sc.key) === key && !!sc.shift === e.shiftKey && !e.ctrlKey && !e.metaKey) {
          e.preventDefault();
          sc.run(controller);
          return;
        }
      }
      if (!e.ctrlKey && !e.metaKey && !e.altKey) {
        // The tool registered last wins a hotkey two tools claim.
        const tool = tools
          .list()
          .reverse()
          .find((t) => t.hotkey && t.hotkey.toLowerCase() === key && !e.shiftKey);
        if (tool) {
          e.preventDefault();
          controller.setActiveTool(tool.id);
          return;
        }
      }
      const action = actionForKey(e);
      if (!action) return;
      e.preventDefault();
      run(controller, action, opts);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [controller, opts]);
}

function run(c: ViewerController, a: ViewerAction, opts: { gotoRef: RefObject<HTMLInputElement | null>; screenshot: () => void }): void {
  const s = c.state.get();
  const view = s.layout === 'single' ? s.singleView : s.activeView;
  switch (a.type) {
    case 'slice':
      c.stepSlice(view, a.steps);
      break;
    case 'zoom':
      c.zoomBy(a.factor, view);
      break;
    case 'pan':
      c.panBy(view, a.dx, a.dy);
      break;
    case 'fit':
      c.resetView();
      break;
    case 'layout':
      c.state.set({ layout: a.layout });
      break;
    case 'view':
      c.state.set({ layout: 'single', singleView: a.view, activeView: a.view });
      break;
    case 'toggleOutline':
    case 'toggleLabels': {
      const all = c.displays.get();
      const patch: typeof all = {};
      for (const [id, d] of Object.entries(all)) {
        if (d.kind !== 'labels') continue;
        patch[id] = a.type === 'toggleOutline' ? { ...d, labels: { ...d.labels, outline: !d.labels.outline } } : { ...d, visible: !d.visible };
      }
      c.displays.set(patch);
      break;
    }
    case 'clearSelection':
      if (s.activeLabelLayer) c.select(s.activeLabelLayer, [], 'replace');
      break;
    case 'help':
      c.state.set({ helpOpen: true });
      break;
    case 'goto':
      opts.gotoRef.current?.focus();
      opts.gotoRef.current?.select();
      break;
    case 'screenshot':
      opts.screenshot();
      break;
  }
}
