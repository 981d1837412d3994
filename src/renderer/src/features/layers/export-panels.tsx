import { Alert, Button, Group, SegmentedControl, Select, Stack, Switch, Text, TextInput } from '@mantine/core';
import { IconFileExport } from '@tabler/icons-react';
import { useEffect, useState, type ReactNode } from 'react';
import type { LayerInfo } from '@shared/api/volumes';
import { useApi, useApiQuery } from '../../api/context';

/**
 * The non-volume exports of the export dialog: a label layer's segment table, meshes of chosen
 * segments, and a project model as ONNX. Each starts a job (see Jobs) and closes the dialog.
 */

/** "1, 2 3" -> [1, 2, 3]; null when the text is not a list of positive integers. */
export function parseSegmentIds(text: string): number[] | null {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p) || Number(p) === 0)) return null;
  return [...new Set(parts.map(Number))];
}

function useSubmit(onDone: () => void) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (start: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await start();
      onDone();
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };
  return { error, busy, run };
}

export function PanelFooter({ error, busy, disabled, onSubmit, testId, onCancel, children }: { error: string | null; busy: boolean; disabled: boolean; onSubmit: () => void; testId: string; onCancel: () => void; children?: ReactNode }) {
  return (
    <>
      {children}
      {error && (
        <Alert color="red" title="Cannot export" data-testid="export-error">
          {error}
        </Alert>
      )}
      <Group justify="flex-end">
        <Button variant="default" onClick={onCancel}>
          Cancel
        </Button>
        <Button leftSection={<IconFileExport size={16} />} onClick={onSubmit} loading={busy} disabled={disabled} data-testid={testId}>
          Export
        </Button>
      </Group>
    </>
  );
}

export function SegmentTablePanel({ layer, projectPath, onDone }: { layer: LayerInfo; projectPath: string; onDone: () => void }) {
  const api = useApi();
  const [format, setFormat] = useState<'csv' | 'json'>('csv');
  const [path, setPath] = useState('');
  const [includeEmpty, setIncludeEmpty] = useState(false);
  const { error, busy, run } = useSubmit(onDone);
  useEffect(() => setPath(`${projectPath}/exports/${layer.name}-segments.csv`), [layer, projectPath]);
  const changeFormat = (f: 'csv' | 'json') => {
    setFormat(f);
    setPath((p) => p.replace(/\.(csv|json)$/i, '') + `.${f}`);
  };
  return (
    <Stack gap="sm">
      <SegmentedControl fullWidth value={format} onChange={(v) => changeFormat(v as 'csv' | 'json')} data={[{ value: 'csv', label: 'CSV' }, { value: 'json', label: 'JSON' }]} data-testid="export-segments-format" />
      <TextInput label="Write to" value={path} onChange={(e) => setPath(e.currentTarget.value)} data-testid="export-segments-path" />
      <Switch label="Also list segments merged away (0 voxels)" checked={includeEmpty} onChange={(e) => setIncludeEmpty(e.currentTarget.checked)} />
      <PanelFooter
        error={error}
        busy={busy}
        disabled={!path.trim()}
        testId="export-segments-submit"
        onCancel={onDone}
        onSubmit={() => void run(() => api.call('exports.segments', { layerId: layer.id, path: path.trim(), format, includeEmpty }))}
      >
        <Text size="xs" c="dimmed">
          id, name, colour, status, notes, voxel count, locked{layer.kind === 'fragments' ? ', and the fragment ids of each segment' : ''}.
        </Text>
      </PanelFooter>
    </Stack>
  );
}

export function MeshesPanel({ layer, projectPath, onDone, selected }: { layer: LayerInfo; projectPath: string; onDone: () => void; selected?: number[] }) {
  const api = useApi();
  const [ids, setIds] = useState('');
  const [format, setFormat] = useState<'ply' | 'obj'>('ply');
  const [merged, setMerged] = useState(false);
  const [path, setPath] = useState('');
  const { error, busy, run } = useSubmit(onDone);
  useEffect(() => {
    setIds(selected?.join(', ') ?? '');
    setPath(`${projectPath}/exports/${layer.name}-meshes`);
  }, [layer, projectPath, selected]);
  const parsed = parseSegmentIds(ids);
  const changeMerged = (m: boolean) => {
    setMerged(m);
    setPath((p) => (m ? `${p.replace(/\.(ply|obj)$/i, '')}.${format}` : p.replace(/\.(ply|obj)$/i, '')));
  };
  const changeFormat = (f: 'ply' | 'obj') => {
    setFormat(f);
    if (merged) setPath((p) => `${p.replace(/\.(ply|obj)$/i, '')}.${f}`);
  };
  return (
    <Stack gap="sm">
      <TextInput label="Segments" placeholder="e.g. 12, 40, 41" value={ids} onChange={(e) => setIds(e.currentTarget.value)} error={ids && !parsed ? 'segment ids separated by commas' : undefined} data-testid="export-meshes-ids" />
      <SegmentedControl fullWidth value={format} onChange={(v) => changeFormat(v as 'ply' | 'obj')} data={[{ value: 'ply', label: 'PLY (binary)' }, { value: 'obj', label: 'OBJ' }]} data-testid="export-meshes-format" />
      <Switch label="One file for all segments" checked={merged} onChange={(e) => changeMerged(e.currentTarget.checked)} data-testid="export-meshes-merged" />
      <TextInput label={merged ? 'Write to (file)' : 'Write to (folder, one file per segment)'} value={path} onChange={(e) => setPath(e.currentTarget.value)} data-testid="export-meshes-path" />
      <PanelFooter
        error={error}
        busy={busy}
        disabled={!path.trim() || !parsed}
        testId="export-meshes-submit"
        onCancel={onDone}
        onSubmit={() => void run(() => api.call('exports.meshes', { layerId: layer.id, path: path.trim(), segments: parsed!, format, merged }))}
      >
        <Text size="xs" c="dimmed">
          Closed surfaces in nanometres, from the proofreading meshes (current edits and mapping).
        </Text>
      </PanelFooter>
    </Stack>
  );
}

export function ModelPanel({ projectPath, onDone }: { projectPath: string; onDone: () => void }) {
  const api = useApi();
  const models = useApiQuery('pipeline.models', {});
  const [model, setModel] = useState<string | null>(null);
  const [path, setPath] = useState('');
  const [verify, setVerify] = useState(true);
  const { error, busy, run } = useSubmit(onDone);
  const list = models.data ?? [];
  useEffect(() => {
    if (!model && list.length) setModel(list[list.length - 1].id);
  }, [list, model]);
  const name = list.find((m) => m.id === model)?.name;
  useEffect(() => {
    if (name) setPath(`${projectPath}/exports/${name.replace(/[^\w.-]+/g, '_')}.onnx`);
  }, [name, projectPath]);
  if (models.loading) return <Text size="sm">Loading the models…</Text>;
  if (list.length === 0) {
    return (
      <Text size="sm" c="dimmed" data-testid="export-model-none">
        This project has no models yet: import a checkpoint, or pretrain or fine-tune one.
      </Text>
    );
  }
  return (
    <Stack gap="sm">
      <Select label="Model" data={list.map((m) => ({ value: m.id, label: `${m.name} (${m.preset})` }))} value={model} onChange={setModel} allowDeselect={false} data-testid="export-model-select" />
      <TextInput label="Write to" value={path} onChange={(e) => setPath(e.currentTarget.value)} data-testid="export-model-path" />
      <Switch label="Check the file against the app's own prediction on one crop" checked={verify} onChange={(e) => setVerify(e.currentTarget.checked)} />
      <PanelFooter
        error={error}
        busy={busy}
        disabled={!path.trim() || !model}
        testId="export-model-submit"
        onCancel={onDone}
        onSubmit={() => void run(() => api.call('exports.model', { model: model!, path: path.trim(), verify }))}
      >
        <Text size="xs" c="dimmed">
          One ONNX file taking raw voxels (input “raw”, float32 [1, 1, z, y, x]); the normalisation runs inside the graph and is recorded in its metadata.
        </Text>
      </PanelFooter>
    </Stack>
  );
}
