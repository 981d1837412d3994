import { Alert, Badge, Button, Checkbox, Group, Loader, Modal, NumberInput, SegmentedControl, Select, Stack, Text, TextInput } from '@mantine/core';
import { IconFileImport, IconSearch } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import type { SourceInfo } from '@shared/api/volumes';
import { useApi } from '../../api/context';

type Res = [number | '', number | '', number | ''];

const STRUCT_CODES: Record<string, string> = { b: 'int8', B: 'uint8', h: 'int16', H: 'uint16', i: 'int32', I: 'uint32', l: 'int32', L: 'uint32', q: 'int64', Q: 'uint64', e: 'float16', f: 'float32', d: 'float64' };

/** HDF5 reports dtypes as struct codes ('<Q'); users read 'uint64'. */
export function describeDtype(d: string): string {
  const m = /^[<>=|!]?([bBhHiIlLqQefd])$/.exec(d);
  return m ? STRUCT_CODES[m[1]] : d;
}

/**
 * Import: the user gives a path, the app inspects it (format, datasets of a container, shape,
 * dtype, voxel size), the user picks a dataset, image or labels, a name, the voxel size when
 * the file has none, and for chunked formats whether to open in place. Starts a job.
 */
export function ImportDialog({ opened, onClose, onStarted }: { opened: boolean; onClose: () => void; onStarted?: (jobId: string) => void }) {
  const api = useApi();
  const [path, setPath] = useState('');
  const [dataset, setDataset] = useState<string | null>(null);
  const [info, setInfo] = useState<SourceInfo | null>(null);
  const [inspecting, setInspecting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [kind, setKind] = useState<'image' | 'labels'>('image');
  const [name, setName] = useState('');
  const [resolution, setResolution] = useState<Res>(['', '', '']);
  const [unknownResolution, setUnknownResolution] = useState(false);
  const [inPlace, setInPlace] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!opened) return;
    setInfo(null);
    setError(null);
    setDataset(null);
    setBusy(false);
  }, [opened]);

  const inspect = async (p = path, ds = dataset) => {
    if (!p.trim()) return;
    setInspecting(true);
    setError(null);
    try {
      const r = await api.call('layers.inspect', { path: p.trim(), ...(ds ? { dataset: ds } : {}) });
      setInfo(r);
      setDataset(r.dataset);
      setKind(r.suggestedKind);
      setName(r.suggestedName);
      setResolution(r.resolution ? [...r.resolution] : ['', '', '']);
      setUnknownResolution(false);
      setInPlace(false);
    } catch (e) {
      setInfo(null);
      setError((e as Error).message);
    } finally {
      setInspecting(false);
    }
  };

  const resolutionComplete = resolution.every((v) => typeof v === 'number' && v > 0);
  const needsDataset = info !== null && info.datasets.length > 0 && !dataset;
  const canSubmit = info !== null && !needsDataset && info.shape !== null && name.trim().length > 0 && (resolutionComplete || unknownResolution) && !busy;

  const submit = async () => {
    if (!info) return;
    setBusy(true);
    setError(null);
    try {
      const job = await api.call('layers.import', {
        path: info.path,
        as: kind,
        name: name.trim(),
        ...(dataset ? { dataset } : {}),
        ...(resolutionComplete ? { resolution: resolution as [number, number, number] } : {}),
        ...(inPlace ? { inPlace: true } : {}),
      });
      onStarted?.(job.id);
      onClose();
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };

  return (
    <Modal opened={opened} onClose={onClose} title="Import a volume" size="lg" data-testid="import-dialog">
      <Stack gap="sm">
        <Group align="flex-end" gap="xs" wrap="nowrap">
          <TextInput
            style={{ flex: 1 }}
            label="File or folder"
            description="TIFF stack, folder of TIFF/PNG sections, HDF5, Zarr / OME-Zarr, N5, neuroglancer precomputed"
            placeholder="/data/em/raw.tif"
            value={path}
            onChange={(e) => setPath(e.currentTarget.value)}
            onKeyDown={(e) => e.key === 'Enter' && void inspect()}
            onBlur={() => path.trim() && !info && !inspecting && void inspect()}
            data-testid="import-path"
            autoFocus
          />
          <Button variant="default" leftSection={inspecting ? <Loader size={14} /> : <IconSearch size={14} />} onClick={() => void inspect()} data-testid="import-inspect">
            Inspect
          </Button>
        </Group>
        {error && (
          <Alert color="red" title="Cannot import this" data-testid="import-error">
            {error}
          </Alert>
        )}
        {info && (
          <>
            <Group gap="xs" data-testid="import-summary">
              <Badge variant="light">{info.format}</Badge>
              {info.shape && <Badge variant="outline" color="gray">{info.shape.join(' × ')} (z, y, x)</Badge>}
              {info.dtype && <Badge variant="outline" color="gray">{info.dtype}</Badge>}
              {info.resolution && <Badge variant="outline" color="gray">{info.resolution.join(' × ')} nm</Badge>}
            </Group>
            {info.datasets.length > 0 && (
              <Select
                label="Dataset"
                description="This file holds several datasets; choose the volume to import"
                placeholder="Choose a dataset"
                data={info.datasets.map((d) => ({ value: d.path, label: d.shape.length ? `${d.path}  (${d.shape.join('×')}, ${describeDtype(d.dtype)})` : d.path }))}
                value={dataset}
                onChange={(v) => {
                  setDataset(v);
                  if (v) void inspect(info.path, v);
                }}
                searchable
                data-testid="import-dataset"
              />
            )}
            <Group grow align="flex-start">
              <div>
                <Text size="sm" fw={500} mb={4}>
                  Import as
                </Text>
                <SegmentedControl
                  fullWidth
                  value={kind}
                  onChange={(v) => setKind(v as 'image' | 'labels')}
                  data={[
                    { value: 'image', label: 'Image' },
                    { value: 'labels', label: 'Labels' },
                  ]}
                  data-testid="import-kind"
                />
              </div>
              <TextInput label="Layer name" value={name} onChange={(e) => setName(e.currentTarget.value)} data-testid="import-name" />
            </Group>
            <div>
              <Text size="sm" fw={500}>
                Voxel size (nm)
              </Text>
              <Text size="xs" c={info.resolution ? 'dimmed' : 'yellow'} mb={4}>
                {info.resolution ? 'Read from the file; change it if the file is wrong.' : 'The file does not record its voxel size: enter it (e.g. 40, 4, 4 for serial-section EM).'}
              </Text>
              <Group grow gap="xs">
                {(['z', 'y', 'x'] as const).map((axis, i) => (
                  <NumberInput
                    key={axis}
                    leftSection={<Text size="xs">{axis}</Text>}
                    min={0}
                    decimalScale={3}
                    value={resolution[i]}
                    onChange={(v) => {
                      const next = [...resolution] as Res;
                      next[i] = typeof v === 'number' ? v : '';
                      setResolution(next);
                    }}
                    disabled={unknownResolution}
                    data-testid={`import-res-${axis}`}
                  />
                ))}
              </Group>
              {!info.resolution && (
                <Checkbox mt={6} size="xs" label="I don't know it: measure in voxels" checked={unknownResolution} onChange={(e) => setUnknownResolution(e.currentTarget.checked)} />
              )}
            </div>
            <Checkbox
              label="Open in place (read the chunked source where it is, no copy)"
              description={info.canOpenInPlace ? 'Fast for big Zarr, N5 and precomputed volumes; the layer is then read-only.' : 'Only chunked formats (Zarr, N5, precomputed) can be opened in place.'}
              checked={inPlace}
              disabled={!info.canOpenInPlace}
              onChange={(e) => setInPlace(e.currentTarget.checked)}
              data-testid="import-in-place"
            />
          </>
        )}
        <Group justify="flex-end" mt="xs">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button leftSection={<IconFileImport size={16} />} disabled={!canSubmit} loading={busy} onClick={() => void submit()} data-testid="import-submit">
            Import
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
