import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './line-chart.css';

/** Tick spacings of integer x values (steps, edits). */
const INTEGER_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000];

/** Tick labels of at most 3 significant digits. */
function short(v: number): string {
  if (v === 0) return '0';
  return Math.abs(v) >= 1000 ? v.toExponential(1) : String(Number(v.toPrecision(3)));
}

export interface ChartSeries {
  label: string;
  color: string;
  /** One value per x (null: no value at that x). */
  values: (number | null)[];
  /** Right-hand scale (e.g. ARAND beside VOI). */
  right?: boolean;
}

/**
 * A small line chart (uPlot): x values shared by every series, points drawn where a series has
 * a value. `data-points` on the container holds the number of x values (tests read it).
 */
export function LineChart({ x, series, height = 150, xLabel, testId, logY = false }: { x: number[]; series: ChartSeries[]; height?: number; xLabel: string; testId?: string; logY?: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = series.map((s) => `${s.label}:${s.right ? 1 : 0}`).join('|') + `|${logY}`;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = Math.max(160, Math.floor(el.getBoundingClientRect().width) || 280);
    const hasRight = series.some((s) => s.right);
    const opts: uPlot.Options = {
      width,
      height,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false }, y: logY ? { distr: 3 } : {}, r: {} },
      axes: [
        { label: xLabel, size: 30, labelSize: 14, font: '10px sans-serif', labelFont: '10px sans-serif', stroke: '#9aa0a6', incrs: INTEGER_STEPS },
        { scale: 'y', size: 42, font: '10px sans-serif', stroke: '#9aa0a6', values: (_u, ticks) => ticks.map(short) },
        ...(hasRight ? [{ scale: 'r', side: 1 as const, size: 40, font: '10px sans-serif', stroke: '#9aa0a6', grid: { show: false }, values: (_u: uPlot, ticks: number[]) => ticks.map(short) }] : []),
      ],
      series: [{ label: xLabel }, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, scale: s.right ? 'r' : 'y', spanGaps: true, points: { show: x.length < 60, size: 4 } }))],
    };
    const p = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    plot.current = p;
    const ro = new ResizeObserver(() => {
      const w = Math.max(160, Math.floor(el.getBoundingClientRect().width));
      if (w !== p.width) p.setSize({ width: w, height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      p.destroy();
      plot.current = null;
    };
    // Rebuilt only when the series change shape; data updates go through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape, height, xLabel]);

  useEffect(() => {
    plot.current?.setData([x, ...series.map((s) => s.values)] as uPlot.AlignedData);
  }, [x, series]);

  return <div ref={box} className="tu-line-chart" data-testid={testId} data-points={x.length} style={{ width: '100%', minWidth: 0, overflow: 'hidden' }} />;
}
