import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { ProjectInfo } from '@shared/api/projects';
import type { LayerInfo } from '@shared/api/volumes';
import { useApi, useApiEvent } from '../../api/context';
import { defaultImageDisplay } from './core/image-window';
import { createViewerStores, isLabelLayer, type LayerDisplay } from './state/viewer-state';
import { ViewerExtensions } from './tools/registry';
import { ViewerController } from './viewer-controller';

interface ViewerContextValue {
  controller: ViewerController;
  layers: LayerInfo[];
  layersError: string | null;
  reloadLayers: () => void;
}

const ViewerContext = createContext<ViewerContextValue | null>(null);

/** The viewer of the open project: its controller (a ViewerHost), stores and layer list. */
export function useViewer(): ViewerContextValue {
  const v = useContext(ViewerContext);
  if (!v) throw new Error('useViewer outside ViewerProvider');
  return v;
}

const DISPLAY_KEY = (projectId: string) => `tokenunify.display.${projectId}`;

type StoredDisplay = Record<string, LayerDisplay>;

function loadDisplays(projectId: string): StoredDisplay {
  try {
    return JSON.parse(localStorage.getItem(DISPLAY_KEY(projectId)) ?? '{}') as StoredDisplay;
  } catch {
    return {};
  }
}

/**
 * Owns one ViewerController per open project, keeps its layer list in sync with the project
 * (layers.list, layers.changed), fetches image statistics for a first display window, and
 * remembers display settings per project in local storage.
 */
export function ViewerProvider({ project, children }: { project: ProjectInfo; children: ReactNode }) {
  const api = useApi();
  const controller = useMemo(() => {
    const stores = createViewerStores();
    const c = new ViewerController(api, stores.state, stores.displays, new ViewerExtensions());
    (window as unknown as { __tuViewer?: ViewerController }).__tuViewer = c;
    return c;
  }, [api, project.id]);
  const [layers, setLayers] = useState<LayerInfo[]>([]);
  const [layersError, setLayersError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => controller.retain(), [controller]);

  useEffect(() => {
    const saved = loadDisplays(project.id);
    if (Object.keys(saved).length) controller.displays.replace({ ...controller.displays.get(), ...saved });
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = controller.displays.subscribe((d) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => localStorage.setItem(DISPLAY_KEY(project.id), JSON.stringify(d, (_k, v) => (typeof v === 'bigint' ? String(v) : v))), 300);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [controller, project.id]);

  useEffect(() => {
    let live = true;
    api.call('layers.list', {}).then(
      (l) => {
        if (!live) return;
        setLayers(l);
        setLayersError(null);
        controller.setLayers(l);
      },
      (e: Error) => live && setLayersError(e.message),
    );
    return () => {
      live = false;
    };
  }, [api, controller, tick]);

  useApiEvent('layers.changed', (e) => {
    if (e.reason === 'edited' && e.layerId) controller.invalidate(e.layerId, e.box as never);
    else setTick((t) => t + 1);
  });

  // A first display window for image layers from their statistics (unless one was saved).
  useEffect(() => {
    for (const l of layers) {
      if (isLabelLayer(l)) continue;
      const d = controller.displays.get()[l.id];
      if (d?.kind === 'image' && d.stats) continue;
      api.call('layers.stats', { layerId: l.id }).then(
        (stats) => {
          controller.displays.set((all) => {
            const cur = all[l.id];
            if (cur?.kind !== 'image') return {};
            const fresh = cur.image.min === cur.range[0] && cur.image.max === cur.range[1];
            const image = fresh ? { ...cur.image, ...windowOf(stats.p005, stats.p995) } : cur.image;
            return { [l.id]: { ...cur, stats, range: [stats.min, stats.max > stats.min ? stats.max : stats.min + 1], image } };
          });
        },
        () => undefined,
      );
    }
  }, [api, controller, layers]);

  const value = useMemo(() => ({ controller, layers, layersError, reloadLayers: () => setTick((t) => t + 1) }), [controller, layers, layersError]);
  return <ViewerContext.Provider value={value}>{children}</ViewerContext.Provider>;
}

function windowOf(lo: number, hi: number): { min: number; max: number } {
  const d = defaultImageDisplay([lo, hi]);
  return { min: d.min, max: d.max };
}
