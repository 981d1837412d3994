import { Button, Group, NumberInput, RangeSlider, Slider, Stack, Switch, Text } from '@mantine/core';
import type { LayerStats } from '@shared/api/volumes';
import { brightnessContrastOfWindow, windowFromBrightnessContrast, type ImageDisplay } from '../viewer/core/image-window';

/** Window (min/max), brightness, contrast, gamma, invert and opacity of an image layer. */
export function ImageControls({
  display,
  range,
  stats,
  onChange,
}: {
  display: ImageDisplay;
  range: [number, number];
  stats: LayerStats | null;
  onChange: (d: ImageDisplay) => void;
}) {
  const span = range[1] - range[0];
  const step = span > 20 ? 1 : span / 200;
  const bc = brightnessContrastOfWindow(range, display.min, display.max);
  const set = (patch: Partial<ImageDisplay>) => onChange({ ...display, ...patch });
  return (
    <Stack gap={8} data-testid="image-controls">
      <div>
        <Group justify="space-between" mb={2}>
          <Text size="xs" c="dimmed">
            Window
          </Text>
          <Button
            size="compact-xs"
            variant="subtle"
            onClick={() => stats && set({ min: stats.p005, max: stats.p995 > stats.p005 ? stats.p995 : stats.p005 + 1 })}
            disabled={!stats}
            data-testid="auto-contrast"
          >
            Auto
          </Button>
        </Group>
        {stats && <Histogram counts={stats.histogram} lo={stats.min} hi={stats.max} range={range} window={[display.min, display.max]} />}
        <RangeSlider
          size="xs"
          min={range[0]}
          max={range[1]}
          step={step}
          minRange={step}
          value={[clamp(display.min, range), clamp(display.max, range)]}
          onChange={([min, max]) => set({ min, max })}
          label={(v) => formatValue(v)}
          data-testid="window-slider"
        />
        <Group grow gap={6} mt={6}>
          <NumberInput size="xs" value={display.min} onChange={(v) => typeof v === 'number' && set({ min: v })} decimalScale={span > 20 ? 0 : 4} aria-label="Window minimum" data-testid="window-min" />
          <NumberInput size="xs" value={display.max} onChange={(v) => typeof v === 'number' && set({ max: v })} decimalScale={span > 20 ? 0 : 4} aria-label="Window maximum" data-testid="window-max" />
        </Group>
      </div>
      <Labeled label="Brightness">
        <Slider size="xs" min={-1} max={1} step={0.01} value={bc.brightness} onChange={(b) => set(windowFromBrightnessContrast(range, b, bc.contrast))} label={(v) => v.toFixed(2)} />
      </Labeled>
      <Labeled label="Contrast">
        <Slider size="xs" min={-1} max={1} step={0.01} value={bc.contrast} onChange={(c) => set(windowFromBrightnessContrast(range, bc.brightness, c))} label={(v) => v.toFixed(2)} />
      </Labeled>
      <Labeled label="Gamma">
        <Slider
          size="xs"
          min={-2}
          max={2}
          step={0.01}
          value={Math.log2(display.gamma)}
          onChange={(g) => set({ gamma: 2 ** g })}
          label={(v) => (2 ** v).toFixed(2)}
          data-testid="gamma-slider"
        />
      </Labeled>
      <Labeled label="Opacity">
        <Slider size="xs" min={0} max={1} step={0.01} value={display.opacity} onChange={(opacity) => set({ opacity })} label={(v) => `${Math.round(v * 100)}%`} />
      </Labeled>
      <Group justify="space-between">
        <Switch size="xs" label="Invert" checked={display.invert} onChange={(e) => set({ invert: e.currentTarget.checked })} data-testid="invert-switch" />
        <Button size="compact-xs" variant="subtle" color="gray" onClick={() => set({ min: range[0], max: range[1], gamma: 1, invert: false, opacity: 1 })}>
          Reset
        </Button>
      </Group>
    </Stack>
  );
}

export function Labeled({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Group gap="xs" wrap="nowrap" align="center">
      <Text size="xs" c="dimmed" w={70}>
        {label}
      </Text>
      <div style={{ flex: 1 }}>{children}</div>
    </Group>
  );
}

/** Log-scaled intensity histogram with the current window shaded. */
function Histogram({ counts, lo, hi, range, window }: { counts: number[]; lo: number; hi: number; range: [number, number]; window: [number, number] }) {
  const W = 240;
  const H = 36;
  const max = Math.log1p(Math.max(1, ...counts));
  const x = (v: number) => ((v - range[0]) / Math.max(1e-12, range[1] - range[0])) * W;
  const binW = (hi - lo) / counts.length;
  const path = counts
    .map((c, i) => {
      const x0 = x(lo + i * binW);
      const y = H - (Math.log1p(c) / max) * H;
      return `${i === 0 ? 'M' : 'L'}${x0.toFixed(1)},${y.toFixed(1)} L${x(lo + (i + 1) * binW).toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
  return (
    <svg viewBox={`0 0 ${W} ${H}`} width="100%" height={H} preserveAspectRatio="none" style={{ display: 'block', marginBottom: 4 }} data-testid="histogram">
      <rect x={x(window[0])} y={0} width={Math.max(0, x(window[1]) - x(window[0]))} height={H} fill="rgba(56, 217, 169, 0.12)" />
      <path d={`${path} L${x(hi).toFixed(1)},${H} L${x(lo).toFixed(1)},${H} Z`} fill="rgba(173, 181, 189, 0.45)" stroke="rgba(173, 181, 189, 0.8)" strokeWidth={0.6} />
    </svg>
  );
}

function clamp(v: number, r: [number, number]): number {
  return Math.min(r[1], Math.max(r[0], v));
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}
