import { useEffect, useMemo, useState } from 'react';
import { useApi, useApiEvent } from '../../api/context';

export interface CurvePoint {
  step: number;
  data: Record<string, number>;
}

export interface Curves {
  train: CurvePoint[];
  val: CurvePoint[];
}

function upsert(list: CurvePoint[], p: CurvePoint): CurvePoint[] {
  const out = list.filter((q) => q.step < p.step);
  out.push(p);
  return out;
}

/** A run's stored curve points, then the live 'train.point' events of its job (a resumption replaces later points). */
export function useCurves(run: string | null): Curves {
  const api = useApi();
  const [curves, setCurves] = useState<Curves>({ train: [], val: [] });
  useEffect(() => {
    setCurves({ train: [], val: [] });
    if (!run) return;
    let live = true;
    api.call('pipeline.curve', { run }).then(
      (points) => {
        if (!live) return;
        setCurves((now) => {
          // Live points that arrived meanwhile win over stored ones of the same step.
          const merge = (split: 'train' | 'val', current: CurvePoint[]) => {
            const stored = points.filter((p) => p.split === split).map((p) => ({ step: p.step, data: p.data }));
            const steps = new Set(current.map((p) => p.step));
            return [...stored.filter((p) => !steps.has(p.step)), ...current].sort((a, b) => a.step - b.step);
          };
          return { train: merge('train', now.train), val: merge('val', now.val) };
        });
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api, run]);
  useApiEvent('job.event', (e) => {
    if (e.kind !== 'train.point' || !run) return;
    const d = e.data as { run?: string; split?: 'train' | 'val'; step?: number } & Record<string, unknown>;
    if (d.run !== run || typeof d.step !== 'number') return;
    const data: Record<string, number> = {};
    for (const [k, v] of Object.entries(d)) if (typeof v === 'number' && k !== 'step' && k !== 'totalSteps') data[k] = v;
    const point = { step: d.step, data };
    setCurves((c) => (d.split === 'val' ? { ...c, val: upsert(c.val, point) } : { ...c, train: upsert(c.train, point) }));
  });
  return curves;
}

/** The series of one key along the points' steps. */
export function useSeries(points: CurvePoint[], keys: string[]): { x: number[]; values: (number | null)[][] } {
  return useMemo(
    () => ({
      x: points.map((p) => p.step),
      values: keys.map((k) => points.map((p) => (Number.isFinite(p.data[k]) ? p.data[k] : null))),
    }),
    [points, keys.join(',')], // eslint-disable-line react-hooks/exhaustive-deps
  );
}
