import { Alert, Button, Divider, Group, Select, SimpleGrid, Stack, Text, Tooltip } from '@mantine/core';
import { useEffect, useMemo, useState } from 'react';
import type { QualityState } from '@shared/api/studio-ml';
import { useApi, useApiEvent } from '../../api/context';
import { CompareControl } from '../compare/CompareControl';
import { errorText, formatCount, labelLayers } from '../models/studio-data';
import { useProofreading } from '../proofreading/context';
import { LineChart } from '../training/LineChart';
import { useStore } from '../viewer/state/store';
import { useViewer } from '../viewer/ViewerProvider';

function Metric({ label, value, hint, testId }: { label: string; value: number | undefined; hint: string; testId: string }) {
  return (
    <Tooltip label={hint} multiline w={260}>
      <Stack gap={0}>
        <Text size="xs" c="dimmed">
          {label}
        </Text>
        <Text size="sm" fw={600} data-testid={testId}>
          {value === undefined ? '-' : value.toFixed(4)}
        </Text>
      </Stack>
    </Tooltip>
  );
}

/**
 * Quality against a reference: VOI split / merge and ARAND of the edited layer against a
 * reference label layer (ground truth or a fully proofread copy), kept current as edits happen
 * (the main process re-counts only the chunks an edit touched) and plotted over the edit
 * history; and the compare control.
 */
export function QualityPanel() {
  const api = useApi();
  const { session } = useProofreading();
  const { layers } = useViewer();
  const edited = useStore(session.state, (s) => s.layerId);
  const options = labelLayers(layers).map((l) => ({ value: l.id, label: l.name }));
  const [layerId, setLayerId] = useState<string | null>(null);
  const [referenceId, setReferenceId] = useState<string | null>(null);
  const [state, setState] = useState<QualityState | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!layerId && edited) setLayerId(edited);
  }, [edited, layerId]);
  useEffect(() => {
    if (referenceId) return;
    const others = labelLayers(layers).filter((l) => l.id !== layerId);
    setReferenceId((others.find((l) => /ground.?truth|^gt$|reference/i.test(l.name)) ?? others[0])?.id ?? null);
  }, [layers, layerId, referenceId]);
  useEffect(() => {
    setState(null);
    if (!layerId || !referenceId || layerId === referenceId) return;
    let live = true;
    api.call('studio.quality.get', { layerId, referenceId }).then((s) => live && setState(s), () => undefined);
    return () => {
      live = false;
    };
  }, [api, layerId, referenceId]);
  useApiEvent('studio.quality.updated', (s) => {
    if (s.layerId === layerId && s.referenceId === referenceId) setState(s);
  });

  const start = async () => {
    if (!layerId || !referenceId) return;
    setBusy(true);
    setError(null);
    try {
      setState(await api.call('studio.quality.start', { layerId, referenceId }));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const stop = async () => {
    if (!layerId || !referenceId) return;
    await api.call('studio.quality.stop', { layerId, referenceId });
    setState(null);
  };

  const chart = useMemo(() => {
    const pts = state?.points ?? [];
    const x = pts.map((_, i) => i);
    const get = (k: 'voi' | 'voiSplit' | 'voiMerge' | 'arand') => pts.map((p) => p.metrics?.[k] ?? null);
    return {
      x,
      series: [
        { label: 'VOI', color: '#ff6b6b', values: get('voi') },
        { label: 'split', color: '#ffa94d', values: get('voiSplit') },
        { label: 'merge', color: '#da77f2', values: get('voiMerge') },
        { label: 'ARAND', color: '#63e6be', values: get('arand'), right: true },
      ],
    };
  }, [state]);
  const m = state?.current ?? undefined;
  const last = state?.points.at(-1);
  const update = state?.lastUpdate;

  return (
    <Stack gap={8} data-testid="quality-panel">
      <Text size="xs" c="dimmed">
        How close a segmentation is to a reference, recomputed with every edit (reference label 0 is ignored).
      </Text>
      <SimpleGrid cols={2} spacing={6}>
        <Select size="xs" label="Segmentation" data={options} value={layerId} onChange={setLayerId} data-testid="quality-layer" />
        <Select size="xs" label="Reference" data={options.filter((o) => o.value !== layerId)} value={referenceId} onChange={setReferenceId} data-testid="quality-reference" />
      </SimpleGrid>
      <Group gap={6}>
        <Button size="compact-sm" onClick={() => void start()} loading={busy} disabled={!layerId || !referenceId || layerId === referenceId} data-testid="quality-start">
          {state ? 'Recompute' : 'Track quality'}
        </Button>
        {state && (
          <Button size="compact-sm" variant="subtle" color="gray" onClick={() => void stop()}>
            Stop
          </Button>
        )}
      </Group>
      {error && (
        <Alert color="red" p={6}>
          <Text size="xs">{error}</Text>
        </Alert>
      )}
      {state && (
        <Stack gap={6} data-testid="quality-state" data-points={state.points.length}>
          <SimpleGrid cols={4} spacing={4}>
            <Metric label="VOI split" value={m?.voiSplit} hint="H(segmentation | reference) in bits: over-segmentation (objects cut in pieces)" testId="quality-voi-split" />
            <Metric label="VOI merge" value={m?.voiMerge} hint="H(reference | segmentation) in bits: under-segmentation (objects merged)" testId="quality-voi-merge" />
            <Metric label="VOI" value={m?.voi} hint="split + merge" testId="quality-voi" />
            <Metric label="ARAND" value={m?.arand} hint="adapted Rand error (skimage): 1 - F-score of Rand precision and recall" testId="quality-arand" />
          </SimpleGrid>
          <Text size="xs" c="dimmed">
            {m ? `${formatCount(m.counted)} voxels scored` : 'no reference voxels'}
            {update ? ` · ${update.kind === 'full' ? 'computed' : update.kind === 'chunks' ? `updated from ${update.chunks} chunk${update.chunks === 1 ? '' : 's'}` : 'updated from the mapping'} in ${update.milliseconds} ms` : ''}
          </Text>
          <Text size="xs" fw={600}>
            Over the edit history {last ? <Text span size="xs" c="dimmed">(now: after "{last.label}")</Text> : null}
          </Text>
          <LineChart x={chart.x} series={chart.series} xLabel="edits" height={140} testId="quality-chart" />
        </Stack>
      )}
      <Divider my={4} />
      <CompareControl />
    </Stack>
  );
}
