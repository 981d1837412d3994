import { Alert, Button, Group, Modal, SegmentedControl, Stack, Switch, Text, TextInput } from '@mantine/core';
import { IconFileExport } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import type { ExportFormat, LayerInfo, VoxelBox } from '@shared/api/volumes';
import { useApi } from '../../api/context';

const EXTENSIONS: Record<ExportFormat, string> = { tiff: '.tif', zarr: '.ome.zarr' };

/** Parses "z0:z1, y0:y1, x0:x1" (level-0 voxels) into a box inside `shape`. */
export function parseRoi(text: string, shape: readonly number[]): { ok: true; box: VoxelBox } | { ok: false; error: string } {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length !== 3) return { ok: false, error: 'write the region as z0:z1, y0:y1, x0:x1' };
  const min: [number, number, number] = [0, 0, 0];
  const max: [number, number, number] = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    const m = /^(\d*)\s*:\s*(\d*)$/.exec(parts[a]);
    if (!m) return { ok: false, error: `'${parts[a]}' is not a range like 0:64` };
    min[a] = m[1] === '' ? 0 : Number(m[1]);
    max[a] = m[2] === '' ? shape[a] : Number(m[2]);
    if (!(min[a] < max[a] && max[a] <= shape[a])) return { ok: false, error: `${'zyx'[a]} range ${parts[a]} is empty or outside 0:${shape[a]}` };
  }
  return { ok: true, box: { min, max } };
}

/** Export a layer (or a region of it) to a BigTIFF stack or an OME-Zarr folder, as a job. */
export function ExportDialog({ layer, projectPath, onClose, regionHint }: { layer: LayerInfo | null; projectPath: string; onClose: () => void; regionHint?: VoxelBox | null }) {
  const api = useApi();
  const [format, setFormat] = useState<ExportFormat>('tiff');
  const [path, setPath] = useState('');
  const [useRoi, setUseRoi] = useState(false);
  const [roi, setRoi] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!layer) return;
    setFormat('tiff');
    setPath(`${projectPath}/exports/${layer.name}${EXTENSIONS.tiff}`);
    setUseRoi(false);
    const r = regionHint;
    setRoi(r ? `${r.min[0]}:${r.max[0]}, ${r.min[1]}:${r.max[1]}, ${r.min[2]}:${r.max[2]}` : `0:${layer.shape[0]}, 0:${layer.shape[1]}, 0:${layer.shape[2]}`);
    setError(null);
    setBusy(false);
  }, [layer, projectPath, regionHint]);

  if (!layer) return null;
  const roiParsed = useRoi ? parseRoi(roi, layer.shape) : null;

  const changeFormat = (f: ExportFormat) => {
    setFormat(f);
    setPath((p) => p.replace(/(\.ome\.zarr|\.tiff?|\.zarr)$/i, '') + EXTENSIONS[f]);
  };

  const submit = async () => {
    if (roiParsed && !roiParsed.ok) return;
    setBusy(true);
    setError(null);
    try {
      await api.call('layers.export', { layerId: layer.id, path: path.trim(), format, ...(roiParsed?.ok ? { roi: roiParsed.box } : {}) });
      onClose();
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };

  return (
    <Modal opened={layer !== null} onClose={onClose} title={`Export “${layer.name}”`} size="md" data-testid="export-dialog">
      <Stack gap="sm">
        <div>
          <Text size="sm" fw={500} mb={4}>
            Format
          </Text>
          <SegmentedControl
            fullWidth
            value={format}
            onChange={(v) => changeFormat(v as ExportFormat)}
            data={[
              { value: 'tiff', label: 'Multi-page BigTIFF' },
              { value: 'zarr', label: 'OME-Zarr' },
            ]}
            data-testid="export-format"
          />
        </div>
        <TextInput label="Write to" value={path} onChange={(e) => setPath(e.currentTarget.value)} data-testid="export-path" />
        <Switch label="Only a region" checked={useRoi} onChange={(e) => setUseRoi(e.currentTarget.checked)} data-testid="export-roi-switch" />
        {useRoi && (
          <TextInput
            label="Region (voxels, z0:z1, y0:y1, x0:x1)"
            value={roi}
            onChange={(e) => setRoi(e.currentTarget.value)}
            error={roiParsed && !roiParsed.ok ? roiParsed.error : undefined}
            data-testid="export-roi"
          />
        )}
        <Text size="xs" c="dimmed">
          {layer.dtype} voxels, written exactly as stored; the export runs as a job (see Jobs).
        </Text>
        {error && (
          <Alert color="red" title="Cannot export" data-testid="export-error">
            {error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button leftSection={<IconFileExport size={16} />} onClick={() => void submit()} loading={busy} disabled={!path.trim() || (roiParsed !== null && !roiParsed.ok)} data-testid="export-submit">
            Export
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
