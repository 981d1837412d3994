import { Alert, Badge, Button, Checkbox, Group, Modal, Progress, SegmentedControl, Stack, Switch, Text, Tooltip } from '@mantine/core';
import { useEffect, useMemo, useState } from 'react';
import type { StudioRun } from '@shared/api/studio-ml';
import { useApi, useApiEvent } from '../../api/context';
import { errorText, formatEta } from '../models/studio-data';
import { useStudioMl } from '../models/studio-context';
import { useStore } from '../viewer/state/store';
import { useCurves, useSeries } from './curves';
import { LineChart } from './LineChart';
import type { PreviewMode } from './preview-overlay';

const STATE_COLOR: Record<StudioRun['state'], string> = { running: 'blue', stopped: 'yellow', finished: 'teal', failed: 'red' };
const AUTO_PREVIEW_MS = 30_000;

const LOSS_KEYS = ['loss'];
const VAL_KEYS = ['voi', 'voiSplit', 'voiMerge', 'arand'];

function fmt(v: number | undefined, digits = 3): string {
  return v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);
}

/** The image layer a run trains on (for the preview). */
export function runImage(run: StudioRun): string | null {
  if (run.studio) return run.studio.image;
  const image = run.params.image as { layer?: string } | undefined;
  return image?.layer ?? null;
}

/**
 * One training run: progress with ETA, the device, live loss and validation VOI / ARAND
 * charts (stored points, then the job's events), pause / resume / discard, and the live
 * preview of its newest checkpoint on the view.
 */
export function TrainingMonitor({ run, onChanged }: { run: StudioRun; onChanged: () => void }) {
  const api = useApi();
  const { preview, ui } = useStudioMl();
  const curves = useCurves(run.id);
  const loss = useSeries(curves.train, LOSS_KEYS);
  const val = useSeries(curves.val, VAL_KEYS);
  const [device, setDevice] = useState<string | null>(run.studio?.device ?? null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [confirmDiscard, setConfirmDiscard] = useState(false);
  const [auto, setAuto] = useState(false);
  const pv = useStore(preview.state, (s) => s);
  const job = run.job;
  const active = !!job && (job.state === 'running' || job.state === 'queued');
  const image = runImage(run);

  useApiEvent('job.event', (e) => {
    if (e.kind !== 'studio.device') return;
    const d = e.data as { run?: string; device?: string };
    if (d.run === run.id && d.device) setDevice(d.device);
  });

  useEffect(() => {
    if (!auto || !active || !image) return;
    const tick = () => void preview.run({ run: run.id }, image);
    const t = setInterval(tick, AUTO_PREVIEW_MS);
    return () => clearInterval(t);
  }, [auto, active, image, preview, run.id]);

  const act = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      onChanged();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const lastTrain = curves.train.at(-1)?.data;
  const lastVal = curves.val.at(-1)?.data;
  const step = Math.max(run.step, curves.train.at(-1)?.step ?? 0);
  const lossSeries = useMemo(() => [{ label: 'loss', color: '#4dabf7', values: loss.values[0] }], [loss]);
  const valSeries = useMemo(
    () => [
      { label: 'VOI', color: '#ff6b6b', values: val.values[0] },
      { label: 'split', color: '#ffa94d', values: val.values[1] },
      { label: 'merge', color: '#da77f2', values: val.values[2] },
      { label: 'ARAND', color: '#63e6be', values: val.values[3], right: true },
    ],
    [val],
  );

  return (
    <Stack gap={6} data-testid="training-monitor" data-run={run.id} data-state={run.state}>
      <Group justify="space-between" wrap="nowrap">
        <Text fw={600} size="sm" truncate>
          {run.id}
        </Text>
        <Badge size="xs" color={STATE_COLOR[run.state]} variant="light" style={{ flexShrink: 0 }} data-testid="run-state">
          {active && job?.state === 'queued' ? 'queued' : run.state}
        </Badge>
      </Group>
      <Progress value={(active ? job!.progress : step / Math.max(1, run.totalSteps)) * 100} animated={active} data-testid="run-progress" />
      <Group justify="space-between" wrap="nowrap" gap={4}>
        <Text size="xs" c="dimmed" truncate data-testid="run-step">
          step {step}/{run.totalSteps}
          {active && job ? ` · ${job.message}` : run.state === 'failed' && run.message ? ` · ${run.message}` : ''}
        </Text>
        {active && job && <Text size="xs" c="dimmed">{formatEta(job.etaSeconds)}</Text>}
      </Group>
      {device && (
        <Tooltip label={device} multiline w={300}>
          <Text size="xs" c="dimmed" truncate data-testid="run-device">
            Device: {device.split(';')[0].replace(/ \(.*$/, '')} · scan {device.match(/scan: (\w+)/)?.[1] ?? '?'}
          </Text>
        </Tooltip>
      )}
      <Group gap={6}>
        {active && (
          <Tooltip label="Stop now and keep a checkpoint; Resume continues from it">
            <Button size="compact-xs" variant="light" color="yellow" loading={busy} onClick={() => void act(() => api.call('studio.runs.pause', { run: run.id }))} data-testid="run-pause">
              Pause
            </Button>
          </Tooltip>
        )}
        {!active && (run.state === 'stopped' || run.state === 'failed') && (run.studio || run.kind === 'pretrain') && (
          <Button size="compact-xs" variant="light" loading={busy} onClick={() => void act(() => api.call('studio.runs.resume', { run: run.id }))} data-testid="run-resume">
            Resume
          </Button>
        )}
        {!active && run.state === 'finished' && run.modelId && (
          <Button size="compact-xs" variant="light" onClick={() => ui.set({ segment: { model: run.modelId } })} data-testid="run-segment">
            Segment with this model…
          </Button>
        )}
        <Button size="compact-xs" variant="subtle" color="red" onClick={() => setConfirmDiscard(true)} data-testid="run-discard">
          {active ? 'Cancel' : 'Discard'}
        </Button>
      </Group>
      {error && (
        <Alert color="red" p={6} withCloseButton onClose={() => setError(null)}>
          <Text size="xs">{error}</Text>
        </Alert>
      )}

      <Text size="xs" fw={600} mt={4}>
        Training loss {lastTrain ? <Text span size="xs" c="dimmed">(last {fmt(lastTrain.loss, 4)})</Text> : null}
      </Text>
      <LineChart x={loss.x} series={lossSeries} xLabel="step" height={120} testId="chart-loss" />
      <Text size="xs" fw={600}>
        Validation {lastVal ? <Text span size="xs" c="dimmed">VOI {fmt(lastVal.voi)} (split {fmt(lastVal.voiSplit)}, merge {fmt(lastVal.voiMerge)}) · ARAND {fmt(lastVal.arand)}</Text> : <Text span size="xs" c="dimmed">(every few steps)</Text>}
      </Text>
      <LineChart x={val.x} series={valSeries} xLabel="step" height={130} testId="chart-val" />
      {run.best && (
        <Text size="xs" c="dimmed" data-testid="run-best">
          Best: VOI {fmt(run.best.voi)} at step {run.best.step} (threshold {fmt(run.best.threshold, 2)})
        </Text>
      )}

      <Text size="xs" fw={600} mt={4}>
        Live preview on the view
      </Text>
      <Group gap={6} wrap="nowrap">
        <Button size="compact-xs" variant="light" loading={pv.busy} disabled={!image || step === 0} onClick={() => image && void preview.run({ run: run.id }, image)} data-testid="preview-run">
          Preview now
        </Button>
        <SegmentedControl size="xs" value={pv.mode} onChange={(m) => preview.setMode(m as PreviewMode)} data={[{ value: 'boundaries', label: 'Boundaries' }, { value: 'segments', label: 'Segments' }]} />
      </Group>
      <Group gap={12}>
        <Switch size="xs" label="Show" checked={pv.visible} onChange={(e) => preview.setVisible(e.currentTarget.checked)} data-testid="preview-visible" />
        <Checkbox size="xs" label="Refresh every 30 s while training" checked={auto} onChange={(e) => setAuto(e.currentTarget.checked)} disabled={!active} />
      </Group>
      {pv.error && (
        <Text size="xs" c="red">
          {pv.error}
        </Text>
      )}
      {pv.shown && (
        <Text size="xs" c="dimmed" style={{ wordBreak: 'break-word' }} data-testid="preview-status">
          {pv.shown.source} · {pv.shown.device} · {pv.shown.seconds.toFixed(1)} s · z {pv.shown.box.min[0]}-{pv.shown.box.max[0]}, y {pv.shown.box.min[1]}-{pv.shown.box.max[1]}, x {pv.shown.box.min[2]}-{pv.shown.box.max[2]}
        </Text>
      )}

      <Modal opened={confirmDiscard} onClose={() => setConfirmDiscard(false)} title={active ? 'Cancel this training run?' : 'Discard this training run?'} size="sm">
        <Stack>
          <Text size="sm">
            {active ? 'Training stops and ' : ''}the run's checkpoints, curves and frozen training data are deleted. A model it already registered stays in the library.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirmDiscard(false)}>
              Keep it
            </Button>
            <Button
              color="red"
              loading={busy}
              onClick={() =>
                void act(async () => {
                  await api.call('studio.runs.discard', { run: run.id });
                  setConfirmDiscard(false);
                  if (ui.get().run === run.id) ui.set({ run: null });
                })
              }
              data-testid="run-discard-confirm"
            >
              {active ? 'Cancel and delete' : 'Delete'}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
