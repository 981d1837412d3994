import { ActionIcon, Alert, Button, Checkbox, Collapse, Group, Modal, NumberInput, Select, SimpleGrid, Stack, Table, Text, TextInput, Tooltip } from '@mantine/core';
import { IconChevronDown, IconChevronRight, IconTrash } from '@tabler/icons-react';
import { useEffect, useMemo, useState } from 'react';
import type { BoxRole, TrainingDataSummary } from '@shared/api/studio-ml';
import { useApi } from '../../api/context';
import { useStudioMl } from '../models/studio-context';
import { errorText, formatCount, imageLayers, labelLayers, useDevice, useModels } from '../models/studio-data';
import { useProofreading } from '../proofreading/context';
import { useStore } from '../viewer/state/store';
import { useViewer } from '../viewer/ViewerProvider';
import { formatBox, visibleBox, type VoxelBox } from './view-region';

const PRESETS = ['tiny', 'base', '100M', '200M', '500M', '1B'];

type Triple = [number, number, number];

/**
 * "Fine-tune on my corrections": which proofread layer and image, which model to start from,
 * what the training data is (done segments and painted boxes: counts, the held-out validation
 * part, warnings when there is too little), and - folded away - steps, learning rate, crop,
 * augmentations and the scan backend, with defaults for this device.
 */
export function FinetuneDialog() {
  const api = useApi();
  const { ui, boxes } = useStudioMl();
  const { session } = useProofreading();
  const { layers, controller } = useViewer();
  const state = useStore(ui, (s) => s.finetune);
  const opened = state !== null;
  const device = useDevice();
  const { models } = useModels();
  const sessionLayer = useStore(session.state, (s) => s.layerId);
  const boxList = useStore(boxes.state, (s) => s.boxes);

  const [labels, setLabels] = useState<string | null>(null);
  const [image, setImage] = useState<string | null>(null);
  const [init, setInit] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [validation, setValidation] = useState<{ kind: 'auto' } | { kind: 'region'; box: VoxelBox }>({ kind: 'auto' });
  const [summary, setSummary] = useState<TrainingDataSummary | null>(null);
  const [summaryError, setSummaryError] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);
  const [advanced, setAdvanced] = useState(false);
  const [preset, setPreset] = useState<string | null>(null);
  const [steps, setSteps] = useState<number>(200);
  const [lr, setLr] = useState<number>(2e-4);
  const [crop, setCrop] = useState<Triple>([16, 80, 80]);
  const [augment, setAugment] = useState(true);
  const [scan, setScan] = useState<'auto' | 'native' | 'onnx'>('auto');
  const [validateEvery, setValidateEvery] = useState<number>(50);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  // Defaults when the dialog opens.
  useEffect(() => {
    if (!opened) return;
    setLabels(sessionLayer ?? labelLayers(layers)[0]?.id ?? null);
    setImage(imageLayers(layers)[0]?.id ?? null);
    const starts = [...models].reverse();
    setInit(state?.init ?? starts.find((m) => m.kind === 'fine-tuned')?.id ?? starts.find((m) => m.kind === 'pretrained' || m.kind === 'imported')?.id ?? null);
    setName('');
    setValidation({ kind: 'auto' });
    setError(null);
    setAdvanced(false);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [opened]);

  useEffect(() => {
    if (!device) return;
    setPreset(device.recommended.preset);
    setSteps(device.recommended.steps);
    setCrop([...device.recommended.crop] as Triple);
    setValidateEvery(Math.min(50, device.recommended.steps));
  }, [device]);

  useEffect(() => {
    if (opened && labels) void boxes.load(labels);
  }, [opened, labels, boxes]);

  const boxKey = boxList.map((b) => `${b.id}:${b.role}`).join(',');
  useEffect(() => {
    if (!opened || !labels || !image) return;
    let live = true;
    setChecking(true);
    api
      .call('studio.trainingData', { labels, image, validation, crop })
      .then(
        (s) => live && (setSummary(s), setSummaryError(null)),
        (e) => live && (setSummary(null), setSummaryError(errorText(e))),
      )
      .finally(() => live && setChecking(false));
    return () => {
      live = false;
    };
  }, [api, opened, labels, image, validation, crop, boxKey]);

  const initModel = models.find((m) => m.id === init) ?? null;
  const labelOptions = labelLayers(layers).map((l) => ({ value: l.id, label: l.name }));
  const imageOptions = imageLayers(layers).map((l) => ({ value: l.id, label: l.name }));
  const modelOptions = useMemo(() => [{ value: '', label: 'From scratch (no model)' }, ...models.map((m) => ({ value: m.id, label: `${m.name} (${m.kind}, ${m.preset})` }))], [models]);

  const start = async () => {
    if (!labels || !image) return;
    setBusy(true);
    setError(null);
    try {
      const r = await api.call('studio.finetune', {
        labels,
        image,
        ...(init ? { init } : {}),
        ...(name.trim() ? { name: name.trim() } : {}),
        validation,
        ...(initModel ? {} : preset ? { preset } : {}),
        steps,
        lr,
        crop,
        augment,
        scan,
        validateEvery: Math.min(validateEvery, steps),
      });
      ui.set({ finetune: null, run: r.run, view: 'training' });
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const setRole = (id: number, role: BoxRole) => void boxes.setRole(id, role);

  return (
    <Modal opened={opened} onClose={() => ui.set({ finetune: null })} title="Fine-tune on my corrections" size="lg" data-testid="finetune-dialog">
      <Stack gap="sm">
        <SimpleGrid cols={2}>
          <Select label="Proofread labels" data={labelOptions} value={labels} onChange={setLabels} allowDeselect={false} data-testid="ft-labels" />
          <Select label="Image" data={imageOptions} value={image} onChange={setImage} allowDeselect={false} data-testid="ft-image" />
          <Select label="Start from" data={modelOptions} value={init ?? ''} onChange={(v) => setInit(v || null)} allowDeselect={false} data-testid="ft-init" />
          <TextInput label="Name of the new model" placeholder="automatic (finetune-date-time)" value={name} onChange={(e) => setName(e.currentTarget.value)} data-testid="ft-name" />
        </SimpleGrid>

        <Stack gap={4}>
          <Text size="sm" fw={600}>
            Training data
          </Text>
          <Text size="xs" c="dimmed">
            Segments marked done in the Segments panel (with the voxels touching them, which are known not to belong to them), and boxes you labelled completely.
          </Text>
          {summaryError && <Alert color="red" p={6}>{summaryError}</Alert>}
          {summary && (
            <Table withRowBorders={false} verticalSpacing={2} fz="xs" data-testid="ft-summary" data-voxels={summary.labeledVoxels} data-objects={summary.objects}>
              <Table.Tbody>
                <Table.Tr>
                  <Table.Td>Labelled</Table.Td>
                  <Table.Td data-testid="ft-labelled">
                    {formatCount(summary.labeledVoxels)} voxels, {summary.objects} objects ({summary.doneSegments} segments done, {summary.boxes.length} boxes)
                  </Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Td>Training</Table.Td>
                  <Table.Td>
                    {formatCount(summary.train.voxels)} voxels, {summary.train.objects} objects{summary.train.region ? ` in ${formatBox(summary.train.region as VoxelBox)}` : ''}
                  </Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Td>Validation ({summary.validation.source === 'auto' ? 'held out automatically' : summary.validation.source === 'box' ? 'validation box' : 'chosen region'})</Table.Td>
                  <Table.Td>
                    {formatCount(summary.validation.voxels)} voxels, {summary.validation.objects} objects{summary.validation.region ? ` in ${formatBox(summary.validation.region as VoxelBox)}` : ''}
                  </Table.Td>
                </Table.Tr>
              </Table.Tbody>
            </Table>
          )}
          {summary?.errors.map((e) => (
            <Alert key={e} color="red" p={6} data-testid="ft-error">
              <Text size="xs">{e}</Text>
            </Alert>
          ))}
          {summary?.warnings.map((w) => (
            <Alert key={w} color="yellow" p={6} data-testid="ft-warning">
              <Text size="xs">{w}</Text>
            </Alert>
          ))}
          {summary && (
            <Text size="xs" c="dimmed">
              Warnings below {summary.thresholds.minObjects} objects, {formatCount(summary.thresholds.minVoxels)} voxels, or {summary.thresholds.minValidationObjects} validation objects.
            </Text>
          )}
          <Group gap={6}>
            <Button size="compact-xs" variant="light" onClick={() => void boxes.addFromView('train')} data-testid="ft-add-box">
              Add a box around the view
            </Button>
            <Button size="compact-xs" variant="light" color="orange" onClick={() => void boxes.addFromView('validation')}>
              Add a validation box
            </Button>
            <Tooltip label="Hold out the region in view for validation instead of choosing automatically">
              <Button
                size="compact-xs"
                variant={validation.kind === 'region' ? 'filled' : 'default'}
                onClick={() => {
                  const b = visibleBox(controller, 16);
                  setValidation(validation.kind === 'region' || !b ? { kind: 'auto' } : { kind: 'region', box: b });
                }}
              >
                {validation.kind === 'region' ? 'Validate on the chosen region' : 'Validate on the view'}
              </Button>
            </Tooltip>
          </Group>
          {boxList.map((b) => (
            <Group key={b.id} gap={6} wrap="nowrap">
              <Text size="xs" style={{ flex: 1 }}>
                Box {b.id}: {formatBox(b.box as VoxelBox)}
              </Text>
              <Select size="xs" w={120} value={b.role} onChange={(v) => v && setRole(b.id, v as BoxRole)} data={[{ value: 'train', label: 'training' }, { value: 'validation', label: 'validation' }]} allowDeselect={false} />
              <ActionIcon size="sm" variant="subtle" color="red" onClick={() => void boxes.remove(b.id)} aria-label={`Delete box ${b.id}`}>
                <IconTrash size={14} />
              </ActionIcon>
            </Group>
          ))}
        </Stack>

        <Group gap={4} style={{ cursor: 'pointer' }} onClick={() => setAdvanced((a) => !a)} data-testid="ft-advanced-toggle">
          {advanced ? <IconChevronDown size={14} /> : <IconChevronRight size={14} />}
          <Text size="sm" fw={600}>
            Advanced settings
          </Text>
          <Text size="xs" c="dimmed">
            {initModel ? initModel.preset : preset}, {steps} steps, crop {crop.join('x')}, lr {lr}
          </Text>
        </Group>
        <Collapse expanded={advanced}>
          <SimpleGrid cols={3} spacing="xs">
            <Select label="Preset" data={PRESETS} value={initModel ? initModel.preset : preset} onChange={setPreset} disabled={!!initModel} description={initModel ? 'set by the starting model' : device ? `${device.recommended.preset} recommended here` : undefined} allowDeselect={false} />
            <NumberInput label="Steps" value={steps} min={1} max={1_000_000} onChange={(v) => setSteps(Number(v) || 1)} data-testid="ft-steps" />
            <NumberInput label="Learning rate" value={lr} min={1e-7} max={1} step={1e-5} decimalScale={7} onChange={(v) => setLr(Number(v) || 2e-4)} />
            {(['z', 'y', 'x'] as const).map((axis, a) => (
              <NumberInput key={axis} label={`Crop ${axis}`} value={crop[a]} min={16} step={16} onChange={(v) => setCrop((c) => c.map((x, i) => (i === a ? Number(v) || x : x)) as Triple)} data-testid={`ft-crop-${axis}`} />
            ))}
            <NumberInput label="Validate every" value={validateEvery} min={1} onChange={(v) => setValidateEvery(Number(v) || 1)} data-testid="ft-validate-every" />
            <Select label="Scan backend" value={scan} onChange={(v) => setScan((v as typeof scan) ?? 'auto')} data={[{ value: 'auto', label: 'auto' }, { value: 'native', label: 'native' }, { value: 'onnx', label: 'onnx' }]} allowDeselect={false} />
            <Checkbox mt={24} label="Augmentations" checked={augment} onChange={(e) => setAugment(e.currentTarget.checked)} />
          </SimpleGrid>
          <Text size="xs" c="dimmed" mt={4}>
            Crops must be multiples of 16 in each axis (e.g. 16x80x80, 16x160x160). Augmentations: flips, rotations, contrast, gamma, blur, noise, missing and misaligned sections.
          </Text>
        </Collapse>

        {device && (
          <Tooltip label={`${device.runtime.reason}. Scan: ${device.scan.reason}. ${device.recommended.reason}.`} multiline w={380}>
            <Text size="xs" c="dimmed" data-testid="ft-device">
              Runs on: {device.summary}
            </Text>
          </Tooltip>
        )}
        {error && (
          <Alert color="red" p={6} data-testid="ft-start-error">
            {error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={() => ui.set({ finetune: null })}>
            Close
          </Button>
          <Button onClick={() => void start()} loading={busy} disabled={!summary || summary.errors.length > 0 || checking} data-testid="ft-start">
            Start fine-tuning
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
