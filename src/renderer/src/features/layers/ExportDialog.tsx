import { Modal, SegmentedControl, Select, Stack, Switch, Tabs, Text, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { VolumeExportFormat, VolumeExportRequest } from '@shared/api/exports';
import type { LayerInfo, VoxelBox } from '@shared/api/volumes';
import { useApi } from '../../api/context';
import { MeshesPanel, ModelPanel, PanelFooter, parseSegmentIds, SegmentTablePanel } from './export-panels';

const EXTENSIONS: Record<VolumeExportFormat, string> = { tiff: '.tif', hdf5: '.h5', zarr: '.ome.zarr', n5: '.n5', precomputed: '.precomputed' };
const ANY_EXTENSION = /(\.ome\.zarr|\.tiff?|\.zarr|\.h5|\.hdf5?|\.n5|\.precomputed)$/i;
const FORMATS: { value: VolumeExportFormat; label: string; note: string }[] = [
  { value: 'tiff', label: 'BigTIFF', note: 'multi-page BigTIFF, one page per section (Fiji, tifffile)' },
  { value: 'hdf5', label: 'HDF5', note: 'CREMI layout with resolution attributes (h5py, CREMI tools)' },
  { value: 'zarr', label: 'OME-Zarr', note: 'OME-Zarr with pyramid (napari, neuroglancer, zarr)' },
  { value: 'n5', label: 'N5', note: 'N5 multiscale with pyramid (BigDataViewer, Paintera, n5-viewer)' },
  { value: 'precomputed', label: 'Precomputed', note: 'neuroglancer precomputed with pyramid and segment properties' },
];

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

/**
 * Exports from a layer's menu, each as a job: the layer (or a region) in any volume format with
 * the fragment mapping applied or beside the fragments; for label layers the segment table and
 * meshes of chosen segments; and the project's models as ONNX (until a model library panel exists).
 */
export function ExportDialog({ layer, projectPath, onClose, regionHint }: { layer: LayerInfo | null; projectPath: string; onClose: () => void; regionHint?: VoxelBox | null }) {
  const [tab, setTab] = useState<string | null>('volume');
  useEffect(() => setTab('volume'), [layer]);
  if (!layer) return null;
  const labels = layer.kind === 'labels' || layer.kind === 'fragments';
  return (
    <Modal opened={layer !== null} onClose={onClose} title={`Export “${layer.name}”`} size="lg" data-testid="export-dialog">
      <Tabs value={tab} onChange={setTab} keepMounted={false}>
        <Tabs.List mb="sm">
          <Tabs.Tab value="volume" data-testid="export-tab-volume">
            Volume
          </Tabs.Tab>
          {labels && (
            <Tabs.Tab value="segments" data-testid="export-tab-segments">
              Segment table
            </Tabs.Tab>
          )}
          {labels && (
            <Tabs.Tab value="meshes" data-testid="export-tab-meshes">
              Meshes
            </Tabs.Tab>
          )}
          <Tabs.Tab value="model" data-testid="export-tab-model">
            Model
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="volume">
          <VolumeExportPanel layer={layer} projectPath={projectPath} onDone={onClose} regionHint={regionHint} />
        </Tabs.Panel>
        {labels && (
          <Tabs.Panel value="segments">
            <SegmentTablePanel layer={layer} projectPath={projectPath} onDone={onClose} />
          </Tabs.Panel>
        )}
        {labels && (
          <Tabs.Panel value="meshes">
            <MeshesPanel layer={layer} projectPath={projectPath} onDone={onClose} />
          </Tabs.Panel>
        )}
        <Tabs.Panel value="model">
          <ModelPanel projectPath={projectPath} onDone={onClose} />
        </Tabs.Panel>
      </Tabs>
    </Modal>
  );
}

/** A layer (or a region of it) in any volume format, as a job. */
function VolumeExportPanel({ layer, projectPath, onDone, regionHint }: { layer: LayerInfo; projectPath: string; onDone: () => void; regionHint?: VoxelBox | null }) {
  const api = useApi();
  const [format, setFormat] = useState<VolumeExportFormat>('tiff');
  const [path, setPath] = useState('');
  const [useRoi, setUseRoi] = useState(false);
  const [roi, setRoi] = useState('');
  const [mapping, setMapping] = useState<'applied' | 'fragments'>('applied');
  const [zarrVersion, setZarrVersion] = useState<'3' | '2'>('3');
  const [append, setAppend] = useState(false);
  const [sharded, setSharded] = useState(false);
  const [meshIds, setMeshIds] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setFormat('tiff');
    setPath(`${projectPath}/exports/${layer.name}${EXTENSIONS.tiff}`);
    setUseRoi(false);
    const r = regionHint;
    setRoi(r ? `${r.min[0]}:${r.max[0]}, ${r.min[1]}:${r.max[1]}, ${r.min[2]}:${r.max[2]}` : `0:${layer.shape[0]}, 0:${layer.shape[1]}, 0:${layer.shape[2]}`);
    setMapping('applied');
    setMeshIds('');
    setError(null);
    setBusy(false);
  }, [layer, projectPath, regionHint]);

  const roiParsed = useRoi ? parseRoi(roi, layer.shape) : null;
  const labels = layer.kind === 'labels' || layer.kind === 'fragments';
  const meshes = format === 'precomputed' && labels && mapping === 'applied' && meshIds.trim() ? parseSegmentIds(meshIds) : undefined;
  const changeFormat = (f: VolumeExportFormat) => {
    setFormat(f);
    setPath((p) => p.replace(ANY_EXTENSION, '') + EXTENSIONS[f]);
  };

  const submit = async () => {
    if ((roiParsed && !roiParsed.ok) || meshes === null) return;
    setBusy(true);
    setError(null);
    const request: VolumeExportRequest = {
      layerId: layer.id,
      path: path.trim(),
      format,
      ...(roiParsed?.ok ? { roi: roiParsed.box } : {}),
      ...(layer.kind === 'fragments' ? { mapping } : {}),
      ...(format === 'zarr' ? { zarrVersion: zarrVersion === '2' ? 2 : 3 } : {}),
      ...(format === 'hdf5' && append ? { append: true } : {}),
      ...(format === 'precomputed' ? { sharded, ...(meshes ? { meshSegments: meshes } : {}) } : {}),
    };
    try {
      await api.call('exports.volume', request);
      onDone();
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };

  return (
    <Stack gap="sm">
      <div>
        <Text size="sm" fw={500} mb={4}>
          Format
        </Text>
        <SegmentedControl fullWidth value={format} onChange={(v) => changeFormat(v as VolumeExportFormat)} data={FORMATS.map(({ value, label }) => ({ value, label }))} data-testid="export-format" />
        <Text size="xs" c="dimmed" mt={4}>
          {FORMATS.find((f) => f.value === format)!.note}
        </Text>
      </div>
      <TextInput label="Write to" value={path} onChange={(e) => setPath(e.currentTarget.value)} data-testid="export-path" />
      {layer.kind === 'fragments' && (
        <div>
          <Text size="sm" fw={500} mb={4}>
            Fragments
          </Text>
          <SegmentedControl
            fullWidth
            value={mapping}
            onChange={(v) => setMapping(v as 'applied' | 'fragments')}
            data={[
              { value: 'applied', label: 'Segments (current mapping applied)' },
              { value: 'fragments', label: 'Fragments + mapping' },
            ]}
            data-testid="export-mapping"
          />
          {mapping === 'fragments' && (
            <Text size="xs" c="dimmed" mt={4}>
              The mapping goes into mapping.csv ({format === 'tiff' || format === 'hdf5' ? 'beside the file' : 'inside the folder'}){format === 'hdf5' ? ' and volumes/labels/fragment_segment_lut' : ''}
              {format === 'precomputed' ? '; segment properties give each fragment its segment' : ''}.
            </Text>
          )}
        </div>
      )}
      {format === 'zarr' && (
        <Select label="Zarr version" data={[{ value: '3', label: 'Zarr v3 (OME-NGFF 0.5)' }, { value: '2', label: 'Zarr v2 (OME-NGFF 0.4, older tools)' }]} value={zarrVersion} onChange={(v) => setZarrVersion((v as '3' | '2') ?? '3')} allowDeselect={false} data-testid="export-zarr-version" />
      )}
      {format === 'hdf5' && <Switch label="Add to an existing HDF5 file (e.g. labels next to raw)" checked={append} onChange={(e) => setAppend(e.currentTarget.checked)} data-testid="export-append" />}
      {format === 'precomputed' && <Switch label="Sharded (fewer files; for large volumes)" checked={sharded} onChange={(e) => setSharded(e.currentTarget.checked)} data-testid="export-sharded" />}
      {format === 'precomputed' && labels && mapping === 'applied' && (
        <TextInput label="Meshes of segments (optional)" placeholder="e.g. 12, 40" value={meshIds} onChange={(e) => setMeshIds(e.currentTarget.value)} error={meshes === null ? 'segment ids separated by commas' : undefined} data-testid="export-precomputed-meshes" />
      )}
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
      <PanelFooter error={error} busy={busy} disabled={!path.trim() || (roiParsed !== null && !roiParsed.ok) || meshes === null} testId="export-submit" onCancel={onDone} onSubmit={() => void submit()}>
        <Text size="xs" c="dimmed">
          {layer.dtype} voxels, written exactly as stored; the export runs as a job (see Jobs) and appears under its name only when complete.
        </Text>
      </PanelFooter>
    </Stack>
  );
}
