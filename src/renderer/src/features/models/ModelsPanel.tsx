import { ActionIcon, Badge, Button, Card, Collapse, Group, SegmentedControl, Select, Stack, Table, Text, Tooltip } from '@mantine/core';
import { IconChevronDown, IconChevronRight, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import type { LibraryModel, StudioRun } from '@shared/api/studio-ml';
import { QualityPanel } from '../quality/QualityPanel';
import { TrainingMonitor } from '../training/TrainingMonitor';
import { useStore } from '../viewer/state/store';
import { useViewer } from '../viewer/ViewerProvider';
import { DeleteModelModal } from './ModelDialogs';
import { useStudioMl } from './studio-context';
import { formatBytes, formatCount, useDevice, useModels, useRuns } from './studio-data';

const KIND_COLOR: Record<LibraryModel['kind'], string> = { imported: 'grape', pretrained: 'blue', 'fine-tuned': 'teal', other: 'gray' };

function value(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number') return Number.isInteger(v) ? formatCount(v) : v.toPrecision(4);
  if (Array.isArray(v)) return v.length > 6 ? `${v.length} items` : v.map(value).join(', ');
  if (typeof v === 'object') {
    const b = v as { min?: number[]; max?: number[] };
    if (b.min && b.max) return `z ${b.min[0]}-${b.max[0]}, y ${b.min[1]}-${b.max[1]}, x ${b.min[2]}-${b.max[2]}`;
    return Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => typeof x !== 'object' || x === null)
      .map(([k, x]) => `${k} ${value(x)}`)
      .join(', ');
  }
  return String(v);
}

/** The provenance and metrics worth reading, as rows. */
function detailRows(m: LibraryModel, layerName: (id: string) => string): [string, string][] {
  const p = m.provenance;
  const rows: [string, string][] = [];
  rows.push(['Preset', `${m.preset}${m.params ? ` (${(m.params / 1e6).toFixed(2)}M parameters)` : ''}`]);
  if (m.parent) rows.push(['Started from', m.parent.name ?? m.parent.id ?? '-']);
  const pr = p.proofreading as { labels?: string; doneSegments?: number; objects?: number; labeledVoxels?: number; boxes?: number } | undefined;
  if (pr) rows.push(['Training data', `${pr.labels ? layerName(pr.labels) : '?'}: ${pr.doneSegments ?? 0} done segments, ${pr.boxes ?? 0} boxes, ${pr.objects ?? 0} objects, ${formatCount(pr.labeledVoxels ?? 0)} voxels`]);
  else if (p.sources) rows.push(['Trained on', value((p.sources as { source?: unknown }[]).map((s) => value(s.source)))]);
  else if (p.image) rows.push(['Trained on', `${value(p.image)} / ${value(p.labels)}`]);
  if (p.source) rows.push(['Imported from', String(p.source)]);
  if (p.format) rows.push(['Format', String(p.format)]);
  if (Array.isArray(p.missing) || Array.isArray(p.unexpected)) rows.push(['Load report', `${p.loaded ?? '?'} tensors loaded, ${(p.missing as unknown[])?.length ?? 0} missing, ${(p.unexpected as unknown[])?.length ?? 0} unexpected`]);
  if (p.method) rows.push(['Method', String(p.method)]);
  if (m.run) rows.push(['Run', `${m.run.id}: ${m.run.state}, step ${m.run.step}/${m.run.totalSteps}`]);
  else if (p.steps) rows.push(['Steps', value(p.steps)]);
  if (p.trainRegion) rows.push(['Training region', value(p.trainRegion)]);
  if (p.valRegion) rows.push(['Validation region', value(p.valRegion)]);
  const v = m.metrics.validation as Record<string, number> | undefined;
  if (v) rows.push(['Validation', `VOI ${v.voi?.toFixed(3)} (split ${v.voiSplit?.toFixed(3)}, merge ${v.voiMerge?.toFixed(3)}), ARAND ${v.arand?.toFixed(3)} at step ${v.step}, threshold ${v.threshold}`]);
  if (typeof m.metrics.lastLoss === 'number') rows.push(['Last loss', (m.metrics.lastLoss as number).toFixed(4)]);
  if (p.device) rows.push(['Device', String(p.device).split(';')[0]]);
  rows.push(['Created', new Date(m.createdAt).toLocaleString()]);
  if (m.fileBytes !== null) rows.push(['File', formatBytes(m.fileBytes)]);
  return rows;
}

function ModelCard({ m, onDelete }: { m: LibraryModel; onDelete: () => void }) {
  const { ui } = useStudioMl();
  const { layers } = useViewer();
  const [open, setOpen] = useState(false);
  const layerName = (id: string) => layers.find((l) => l.id === id)?.name ?? id;
  return (
    <Card withBorder p={6} data-testid="model-card" data-model={m.name} data-kind={m.kind}>
      <Group justify="space-between" wrap="nowrap" gap={4}>
        <Group gap={4} wrap="nowrap" style={{ cursor: 'pointer', minWidth: 0 }} onClick={() => setOpen((o) => !o)}>
          {open ? <IconChevronDown size={14} /> : <IconChevronRight size={14} />}
          <Text size="sm" fw={600} truncate>
            {m.name}
          </Text>
        </Group>
        <Badge size="xs" variant="light" color={KIND_COLOR[m.kind]}>
          {m.kind}
        </Badge>
      </Group>
      <Text size="xs" c="dimmed" truncate>
        {m.preset}
        {m.params ? ` · ${(m.params / 1e6).toFixed(1)}M` : ''}
        {typeof (m.metrics.validation as { voi?: number } | undefined)?.voi === 'number' ? ` · val VOI ${(m.metrics.validation as { voi: number }).voi.toFixed(3)}` : ''}
        {m.parent?.name ? ` · from ${m.parent.name}` : ''}
      </Text>
      <Collapse expanded={open}>
        <Table withRowBorders={false} verticalSpacing={1} fz="xs" mt={4}>
          <Table.Tbody>
            {detailRows(m, layerName).map(([k, v]) => (
              <Table.Tr key={k}>
                <Table.Td c="dimmed" style={{ whiteSpace: 'nowrap', verticalAlign: 'top' }}>
                  {k}
                </Table.Td>
                <Table.Td style={{ wordBreak: 'break-word' }}>{v}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Collapse>
      <Group gap={4} mt={4}>
        {m.canSegment && (
          <Button size="compact-xs" variant="light" onClick={() => ui.set({ segment: { model: m.id } })} data-testid="model-segment">
            Segment…
          </Button>
        )}
        <Button size="compact-xs" variant="light" onClick={() => ui.set({ finetune: { init: m.id } })}>
          Fine-tune from it…
        </Button>
        <Tooltip label="Delete this model">
          <ActionIcon size="sm" variant="subtle" color="red" ml="auto" onClick={onDelete} aria-label={`Delete ${m.name}`}>
            <IconTrash size={14} />
          </ActionIcon>
        </Tooltip>
      </Group>
    </Card>
  );
}

function pickRun(runs: StudioRun[], chosen: string | null): StudioRun | null {
  if (chosen) {
    const r = runs.find((x) => x.id === chosen);
    if (r) return r;
  }
  const newest = [...runs].reverse();
  return newest.find((r) => r.job) ?? newest[0] ?? null;
}

/**
 * The Models tab: the device, "Fine-tune on my corrections", segment / import / pretrain, and
 * three views: the training monitor of a run, the model library with each model's provenance,
 * and segmentation quality against a reference (with the compare control).
 */
export function ModelsPanel() {
  const { ui } = useStudioMl();
  const device = useDevice();
  const { models, reload } = useModels();
  const { runs, reload: reloadRuns } = useRuns();
  const view = useStore(ui, (s) => s.view);
  const chosen = useStore(ui, (s) => s.run);
  const [deleting, setDeleting] = useState<LibraryModel | null>(null);
  const run = pickRun(runs, chosen);

  return (
    <Stack gap={8} data-testid="models-panel">
      {device && (
        <Tooltip label={`Runtime: ${device.runtime.reason}. Scan: ${device.scan.reason}. CUDA scan: ${device.scan.cuda.available ? device.scan.cuda.device : device.scan.cuda.reason}.`} multiline w={320}>
          <Group gap={4} wrap="nowrap">
            <Badge size="sm" variant="light" color={device.runtime.provider === 'cuda' ? 'green' : 'gray'} data-testid="device-badge">
              {device.runtime.provider === 'cuda' ? 'GPU' : 'CPU'}
            </Badge>
            <Text size="xs" c="dimmed" truncate data-testid="device-summary">
              {device.summary}
            </Text>
          </Group>
        </Tooltip>
      )}
      <Button onClick={() => ui.set({ finetune: { init: null } })} data-testid="open-finetune">
        Fine-tune on my corrections…
      </Button>
      <Group gap={4} grow>
        <Button size="compact-xs" variant="light" onClick={() => ui.set({ segment: { model: null } })} data-testid="open-segment">
          Segment…
        </Button>
        <Button size="compact-xs" variant="light" onClick={() => ui.set({ importOpen: true })} data-testid="open-import-model">
          Import…
        </Button>
        <Button size="compact-xs" variant="light" onClick={() => ui.set({ pretrainOpen: true })} data-testid="open-pretrain">
          Pretrain…
        </Button>
      </Group>
      <SegmentedControl
        size="xs"
        value={view}
        onChange={(v) => ui.set({ view: v as 'training' | 'library' | 'quality' })}
        data={[
          { value: 'training', label: `Training (${runs.length})` },
          { value: 'library', label: `Library (${models.length})` },
          { value: 'quality', label: 'Quality' },
        ]}
        data-testid="models-view"
      />
      <div style={{ maxHeight: 'calc(100vh - 250px)', overflowY: 'auto', overflowX: 'hidden', paddingRight: 4 }}>
        {view === 'quality' ? (
          <QualityPanel />
        ) : view === 'training' ? (
          <Stack gap={6}>
            {runs.length === 0 && (
              <Text size="xs" c="dimmed">
                No training runs yet. Mark segments as done (Segments tab), then fine-tune on them.
              </Text>
            )}
            {runs.length > 1 && (
              <Select
                size="xs"
                value={run?.id ?? null}
                onChange={(v) => ui.set({ run: v })}
                data={[...runs].reverse().map((r) => ({ value: r.id, label: `${r.id} (${r.kind}, ${r.state})` }))}
                allowDeselect={false}
                data-testid="run-select"
              />
            )}
            {run && (
              <TrainingMonitor
                key={run.id}
                run={run}
                onChanged={() => {
                  reloadRuns();
                  reload();
                }}
              />
            )}
          </Stack>
        ) : (
          <Stack gap={6}>
            {models.length === 0 && (
              <Text size="xs" c="dimmed">
                No models yet: import an official TokenUnify checkpoint, pretrain on this volume, or fine-tune on your corrections.
              </Text>
            )}
            {[...models].reverse().map((m) => (
              <ModelCard key={m.id} m={m} onDelete={() => setDeleting(m)} />
            ))}
          </Stack>
        )}
      </div>
      <DeleteModelModal model={deleting} onClose={() => setDeleting(null)} onDeleted={reload} />
    </Stack>
  );
}
