import { useCallback, useEffect, useRef, useState } from 'react';
import type { JobInfo } from '@shared/api/jobs';
import type { LayerInfo } from '@shared/api/volumes';
import type { DeviceReport, LibraryModel, StudioRun } from '@shared/api/studio-ml';
import type { ApiClient } from '../../api/client';
import { useApi, useApiEvent } from '../../api/context';

/** Jobs whose end changes the model library or the run list. */
const LIBRARY_JOBS = new Set(['studio.importModel', 'studio.finetune', 'pipeline.finetune', 'pipeline.pretrain']);
const RUN_JOBS = new Set(['studio.finetune', 'pipeline.finetune', 'pipeline.pretrain']);

let devicePromise: Promise<DeviceReport> | null = null;

/** What training and inference run on (probed once per page). */
export function useDevice(): DeviceReport | null {
  const api = useApi();
  const [device, setDevice] = useState<DeviceReport | null>(null);
  useEffect(() => {
    devicePromise ??= api.call('studio.device', {});
    let live = true;
    devicePromise.then((d) => live && setDevice(d)).catch(() => (devicePromise = null));
    return () => {
      live = false;
    };
  }, [api]);
  return device;
}

/** Reloads a list on mount, on demand, and when jobs of the given kinds change state. */
function useJobDrivenList<T>(load: (api: ApiClient) => Promise<T[]>, kinds: Set<string>, everyUpdate: boolean): { items: T[]; reload: () => void } {
  const api = useApi();
  const [items, setItems] = useState<T[]>([]);
  const loadRef = useRef(load);
  loadRef.current = load;
  const states = useRef(new Map<string, JobInfo['state']>());
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const reload = useCallback(() => {
    void loadRef.current(api).then(setItems, () => undefined);
  }, [api]);
  useEffect(reload, [reload]);
  useApiEvent('job.updated', (job) => {
    if (!kinds.has(job.kind)) return;
    const before = states.current.get(job.id);
    states.current.set(job.id, job.state);
    if (!everyUpdate && before === job.state) return;
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(reload, everyUpdate ? 400 : 50);
  });
  return { items, reload };
}

export function useModels(): { models: LibraryModel[]; reload: () => void } {
  const { items, reload } = useJobDrivenList((api) => api.call('studio.models', {}), LIBRARY_JOBS, false);
  return { models: items, reload };
}

/** Training runs (stored) with their live jobs; refreshed as the jobs progress. */
export function useRuns(): { runs: StudioRun[]; reload: () => void } {
  const { items, reload } = useJobDrivenList((api) => api.call('studio.runs', {}), RUN_JOBS, true);
  return { runs: items, reload };
}

export const labelLayers = (layers: readonly LayerInfo[]) => layers.filter((l) => l.kind === 'labels' || l.kind === 'fragments');
export const imageLayers = (layers: readonly LayerInfo[]) => layers.filter((l) => l.kind === 'image');

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)} k`;
  return String(Math.round(n));
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${Math.ceil(n / 1024)} KiB`;
}

export function formatEta(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '';
  if (s < 60) return `${Math.ceil(s)} s left`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.ceil(s % 60)} s left`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min left`;
}

export function errorText(e: unknown): string {
  return (e as Error)?.message ?? String(e);
}
