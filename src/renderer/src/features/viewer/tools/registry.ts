import type { ComponentType } from 'react';
import type { OverlayPainter, ViewerHost, ViewerTool } from './types';

/** The default tool: drag pans, click selects, double-click moves the crosshair (built into the viewer). */
export const NAVIGATE_TOOL: ViewerTool = { id: 'navigate', label: 'Navigate', hotkey: 'N', cursor: 'default' };

/** Tools registered by features; the toolbar and help overlay list them. */
export class ToolRegistry {
  private readonly tools = new Map<string, ViewerTool>([[NAVIGATE_TOOL.id, NAVIGATE_TOOL]]);
  private readonly listeners = new Set<() => void>();
  private version = 0;

  register(tool: ViewerTool): () => void {
    if (this.tools.has(tool.id) && this.tools.get(tool.id) !== tool) throw new Error(`a viewer tool '${tool.id}' is already registered`);
    this.tools.set(tool.id, tool);
    this.changed();
    return () => {
      if (this.tools.get(tool.id) === tool) {
        this.tools.delete(tool.id);
        this.changed();
      }
    };
  }

  get(id: string): ViewerTool | undefined {
    return this.tools.get(id);
  }

  list(): ViewerTool[] {
    return [...this.tools.values()];
  }

  get revision(): number {
    return this.version;
  }

  subscribe(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private changed(): void {
    this.version++;
    for (const l of this.listeners) l();
  }
}

/** Props of a component filling the fourth pane of the 2x2 layout (issue 4's 3D view). */
export interface FourthPaneProps {
  host: ViewerHost;
  width: number;
  height: number;
}

/** An ordered list that notifies on change (overlay painters, help sections). */
export class ListRegistry<T> {
  private readonly items: T[] = [];
  private readonly listeners = new Set<() => void>();
  private version = 0;

  add(item: T): () => void {
    this.items.push(item);
    this.changed();
    return () => {
      const i = this.items.indexOf(item);
      if (i >= 0) {
        this.items.splice(i, 1);
        this.changed();
      }
    };
  }

  list(): readonly T[] {
    return this.items;
  }

  get revision(): number {
    return this.version;
  }

  subscribe(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private changed(): void {
    this.version++;
    for (const l of this.listeners) l();
  }
}

/** Rows a feature adds to the help overlay (keys it handles outside tool shortcuts, e.g. Ctrl+Z). */
export interface HelpSection {
  title: string;
  rows: { keys: string[]; description: string }[];
}

/** Features that add panes or panels to the viewer register them here. */
export class ViewerExtensions {
  readonly tools = new ToolRegistry();
  /** Painters drawn on every pane's overlay whatever the active tool (annotations, pending edits), below the tool's own drawing. */
  readonly overlays = new ListRegistry<OverlayPainter>();
  /** Extra sections of the help overlay. */
  readonly help = new ListRegistry<HelpSection>();
  private fourth: { title: string; component: ComponentType<FourthPaneProps> } | null = null;
  private readonly listeners = new Set<() => void>();

  /** Replaces the 2x2 layout's fourth pane (by default an orientation view of the slice planes). */
  setFourthPane(title: string, component: ComponentType<FourthPaneProps> | null): void {
    this.fourth = component ? { title, component } : null;
    for (const l of this.listeners) l();
  }

  get fourthPane(): { title: string; component: ComponentType<FourthPaneProps> } | null {
    return this.fourth;
  }

  subscribe(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}
