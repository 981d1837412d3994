import { Alert, Button, Group, Modal, NumberInput, Progress, SegmentedControl, Select, Stack, Text, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { JobInfo } from '@shared/api/jobs';
import { useApi, useApiEvent } from '../../api/context';
import { formatBox, visibleBox, type VoxelBox } from '../training/view-region';
import { useStore } from '../viewer/state/store';
import { useViewer } from '../viewer/ViewerProvider';
import { useStudioMl } from './studio-context';
import { errorText, formatEta, imageLayers, useModels } from './studio-data';

function uniqueName(base: string, taken: Set<string>): string {
  const clean = base.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'seg';
  let name = clean;
  for (let i = 2; [name, `${name}-fragments`, `${name}-aff-z`].some((n) => taken.has(n)); i++) name = `${clean}-${i}`;
  return name;
}

/**
 * "Segment with a model": the whole volume or the region in view -> affinities -> fragments +
 * mapping, a new layer ready for proofreading. When it is done the new layer becomes the
 * edited one and the compare control holds the previous and the new segmentation.
 */
export function SegmentDialog() {
  const api = useApi();
  const { ui } = useStudioMl();
  const { layers, controller } = useViewer();
  const state = useStore(ui, (s) => s.segment);
  const opened = state !== null;
  const { models } = useModels();
  const usable = models.filter((m) => m.canSegment);
  const [model, setModel] = useState<string | null>(null);
  const [image, setImage] = useState<string | null>(null);
  const [where, setWhere] = useState<'view' | 'volume'>('view');
  const [region, setRegion] = useState<VoxelBox | null>(null);
  const [name, setName] = useState('');
  const [threshold, setThreshold] = useState<number | ''>('');
  const [job, setJob] = useState<JobInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [previous, setPrevious] = useState<string | null>(null);
  const [arrived, setArrived] = useState<{ fragments: string; hide: string[] } | null>(null);

  useEffect(() => {
    if (!opened) return;
    const m = state?.model ?? [...usable].reverse()[0]?.id ?? null;
    setModel(m);
    setImage(imageLayers(layers)[0]?.id ?? null);
    const box = visibleBox(controller, Number.MAX_SAFE_INTEGER);
    setRegion(box);
    setWhere(box ? 'view' : 'volume');
    setJob(null);
    setError(null);
    setThreshold('');
    setPrevious(controller.state.get().activeLabelLayer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [opened]);

  useEffect(() => {
    if (!opened || !model) return;
    const m = models.find((x) => x.id === model);
    setName(uniqueName(`seg-${m?.name ?? 'model'}`, new Set(layers.map((l) => l.name))));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [opened, model]);

  useApiEvent('job.updated', (j) => {
    if (!job || j.id !== job.id) return;
    setJob(j);
    if (j.state === 'failed') setError(j.error ?? 'segmentation failed');
    if (j.state !== 'succeeded') return;
    const r = j.result as { fragments?: { id: string }; segmentation?: { id: string }; affinities?: { id: string }[] } | null;
    const fresh = r?.fragments?.id ?? null;
    ui.set({ segment: null, compare: { a: previous, b: fresh } });
    if (fresh) setArrived({ fragments: fresh, hide: [r?.segmentation?.id, ...(r?.affinities ?? []).map((a) => a.id)].filter((x): x is string => !!x) });
  });

  // Once the new layers are listed: proofread the fragments, hide the flat copy and the affinities.
  useEffect(() => {
    if (!arrived || !layers.some((l) => l.id === arrived.fragments)) return;
    const displays = controller.displays.get();
    const patch: Record<string, (typeof displays)[string]> = {};
    for (const id of arrived.hide) if (displays[id]) patch[id] = { ...displays[id], visible: false };
    controller.displays.set(patch);
    controller.state.set({ activeLabelLayer: arrived.fragments });
    setArrived(null);
  }, [arrived, layers, controller]);

  const chosen = models.find((m) => m.id === model);
  const recommended = typeof chosen?.metrics.recommendedThreshold === 'number' ? (chosen.metrics.recommendedThreshold as number) : 0.5;
  const running = !!job && (job.state === 'running' || job.state === 'queued');

  const start = async () => {
    if (!model || !image) return;
    setError(null);
    try {
      const j = await api.call('studio.segment', {
        model,
        image,
        name,
        ...(where === 'view' && region ? { region } : {}),
        ...(threshold !== '' ? { threshold } : {}),
      });
      setJob(j);
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <Modal opened={opened} onClose={() => ui.set({ segment: null })} title="Segment with a model" size="md" data-testid="segment-dialog">
      <Stack gap="sm">
        {usable.length === 0 && <Alert color="yellow">No model in the library predicts affinities yet: fine-tune one on your corrections, or import a fine-tuned checkpoint.</Alert>}
        <Select label="Model" data={usable.map((m) => ({ value: m.id, label: `${m.name} (${m.kind}, ${m.preset})` }))} value={model} onChange={setModel} allowDeselect={false} data-testid="seg-model" />
        <Select label="Image" data={imageLayers(layers).map((l) => ({ value: l.id, label: l.name }))} value={image} onChange={setImage} allowDeselect={false} />
        <Stack gap={2}>
          <SegmentedControl
            value={where}
            onChange={(v) => setWhere(v as 'view' | 'volume')}
            data={[
              { value: 'view', label: 'Region in view', disabled: !region },
              { value: 'volume', label: 'Whole volume' },
            ]}
            data-testid="seg-where"
          />
          <Text size="xs" c="dimmed">
            {where === 'view' && region ? formatBox(region) : 'every voxel of the volume'}
          </Text>
        </Stack>
        <Group grow>
          <TextInput label="New layer" value={name} onChange={(e) => setName(e.currentTarget.value)} description={`${name}-fragments is proofread`} data-testid="seg-name" />
          <NumberInput label="Merge threshold" placeholder={`${recommended} (model's)`} value={threshold} min={0} max={1} step={0.05} decimalScale={2} onChange={(v) => setThreshold(v === '' ? '' : Number(v))} />
        </Group>
        {job && (
          <Stack gap={2}>
            <Progress value={job.progress * 100} animated={running} />
            <Text size="xs" c="dimmed" data-testid="seg-progress">
              {job.message} {running ? formatEta(job.etaSeconds) : ''}
            </Text>
          </Stack>
        )}
        {error && <Alert color="red" p={6}>{error}</Alert>}
        <Group justify="flex-end">
          <Button variant="default" onClick={() => ui.set({ segment: null })}>
            {running ? 'Hide' : 'Close'}
          </Button>
          <Button onClick={() => void start()} disabled={!model || !image || !name || running} loading={running} data-testid="seg-start">
            Segment
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
