import { ActionIcon, Alert, Badge, Button, Collapse, Group, Menu, Paper, Progress, ScrollArea, Stack, Text, Title, Tooltip } from '@mantine/core';
import { IconChevronDown, IconChevronRight, IconDots, IconEye, IconEyeOff, IconFileExport, IconFileImport, IconFocus2, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import type { LayerInfo } from '@shared/api/volumes';
import { isActive, useJobs } from '../jobs/useJobs';
import { useStore } from '../viewer/state/store';
import type { LayerDisplay } from '../viewer/state/viewer-state';
import { useViewer } from '../viewer/ViewerProvider';
import { DeleteLayerModal } from './DeleteLayerModal';
import { ExportDialog } from './ExportDialog';
import { ImageControls } from './ImageControls';
import { ImportDialog } from './ImportDialog';
import { LabelControls } from './LabelControls';

const KIND_COLOR: Record<LayerInfo['kind'], string> = { image: 'gray', labels: 'grape', affinities: 'orange', fragments: 'violet' };

/** The layers navbar: list, visibility, display controls, import / export / delete. */
export function LayersPanel({ projectPath, importOpen, setImportOpen }: { projectPath: string; importOpen: boolean; setImportOpen: (v: boolean) => void }) {
  const { controller, layers } = useViewer();
  const displays = useStore(controller.displays, (d) => d);
  const selections = useStore(controller.state, (s) => s.selections);
  const activeLabel = useStore(controller.state, (s) => s.activeLabelLayer);
  const [expanded, setExpanded] = useState<Record<string, boolean>>({});
  const [exporting, setExporting] = useState<LayerInfo | null>(null);
  const [deleting, setDeleting] = useState<LayerInfo | null>(null);
  const jobs = useJobs();
  const [dismissed, setDismissed] = useState<Set<string>>(new Set());
  const volumeJobs = jobs.filter((j) => j.kind === 'volumes.import' || j.kind === 'volumes.export');
  const running = volumeJobs.filter(isActive);
  const failed = volumeJobs.filter((j) => j.state === 'failed' && !dismissed.has(j.id));

  const setDisplay = (id: string, d: LayerDisplay) => controller.displays.set({ [id]: d });

  return (
    <Stack h="100%" gap="xs" data-testid="layers-panel">
      <Group justify="space-between" wrap="nowrap">
        <Title order={6}>Layers</Title>
        <Button size="compact-xs" variant="light" leftSection={<IconFileImport size={14} />} onClick={() => setImportOpen(true)} data-testid="open-import">
          Import
        </Button>
      </Group>
      {running.map((j) => (
        <Paper key={j.id} p={6} withBorder data-testid="layer-job">
          <Text size="xs" truncate>
            {j.title}
          </Text>
          <Progress value={j.progress * 100} size="xs" mt={4} animated />
          <Text size="xs" c="dimmed" truncate>
            {j.message}
          </Text>
        </Paper>
      ))}
      {failed.map((j) => (
        <Alert
          key={j.id}
          color="red"
          variant="light"
          p={6}
          title={<Text size="xs" fw={600}>{j.title} failed</Text>}
          withCloseButton
          onClose={() => setDismissed(new Set(dismissed).add(j.id))}
          data-testid="layer-job-error"
        >
          <Text size="xs">{j.error}</Text>
        </Alert>
      ))}
      <ScrollArea style={{ flex: 1 }} type="auto" offsetScrollbars>
        <Stack gap={6}>
          {layers.length === 0 && (
            <Text size="xs" c="dimmed">
              No layers yet. Import an EM volume, then its labels.
            </Text>
          )}
          {layers.map((l) => {
            const d = displays[l.id];
            const open = expanded[l.id] ?? true;
            const isLabels = l.kind === 'labels' || l.kind === 'fragments';
            return (
              <Paper key={l.id} withBorder p={6} radius="sm" data-testid="layer-row" data-layer={l.name} bg={isLabels && activeLabel === l.id ? 'dark.6' : undefined}>
                <Group gap={4} wrap="nowrap">
                  <ActionIcon size="sm" variant="subtle" color="gray" onClick={() => setExpanded({ ...expanded, [l.id]: !open })} aria-label="Display settings">
                    {open ? <IconChevronDown size={14} /> : <IconChevronRight size={14} />}
                  </ActionIcon>
                  <Tooltip label={d?.visible ? 'Hide' : 'Show'}>
                    <ActionIcon
                      size="sm"
                      variant="subtle"
                      color={d?.visible ? 'teal' : 'gray'}
                      onClick={() => d && setDisplay(l.id, { ...d, visible: !d.visible })}
                      aria-label="Toggle visibility"
                      data-testid="layer-visibility"
                    >
                      {d?.visible ? <IconEye size={15} /> : <IconEyeOff size={15} />}
                    </ActionIcon>
                  </Tooltip>
                  <div style={{ flex: 1, minWidth: 0 }}>
                    <Text size="sm" fw={500} truncate title={l.name}>
                      {l.name}
                    </Text>
                    <Text size="xs" c="dimmed" truncate className="mono" title={`${l.dtype}, ${l.shape.join('×')} voxels, ${l.resolution.join('×')} nm, ${l.levels.length} levels`}>
                      {l.dtype} · {l.shape.join('×')} · {l.levels.length} lv
                    </Text>
                  </div>
                  <Badge size="xs" variant="light" color={KIND_COLOR[l.kind]}>
                    {l.kind}
                  </Badge>
                  <Menu position="bottom-end" withinPortal>
                    <Menu.Target>
                      <ActionIcon size="sm" variant="subtle" color="gray" aria-label="Layer actions" data-testid="layer-menu">
                        <IconDots size={14} />
                      </ActionIcon>
                    </Menu.Target>
                    <Menu.Dropdown>
                      {isLabels && (
                        <Menu.Item leftSection={<IconFocus2 size={14} />} onClick={() => controller.state.set({ activeLabelLayer: l.id })} disabled={activeLabel === l.id}>
                          Select segments in this layer
                        </Menu.Item>
                      )}
                      <Menu.Item leftSection={<IconFileExport size={14} />} onClick={() => setExporting(l)} data-testid="layer-export">
                        Export…
                      </Menu.Item>
                      <Menu.Divider />
                      <Menu.Item color="red" leftSection={<IconTrash size={14} />} onClick={() => setDeleting(l)} data-testid="layer-delete">
                        Delete…
                      </Menu.Item>
                    </Menu.Dropdown>
                  </Menu>
                </Group>
                {!l.resolutionKnown && (
                  <Text size="xs" c="yellow" mt={4}>
                    Voxel size unknown: distances are in voxels.
                  </Text>
                )}
                <Collapse expanded={open && !!d}>
                  <div style={{ paddingTop: 8, paddingLeft: 4, paddingRight: 4 }}>
                    {d?.kind === 'image' && <ImageControls display={d.image} range={d.range} stats={d.stats} onChange={(image) => setDisplay(l.id, { ...d, image })} />}
                    {d?.kind === 'labels' && (
                      <LabelControls
                        display={d.labels}
                        selected={selections[l.id] ?? []}
                        onChange={(labels) => setDisplay(l.id, { ...d, labels })}
                        onClearSelection={() => controller.select(l.id, [], 'replace')}
                        onDeselect={(id) => controller.select(l.id, [id], 'remove')}
                      />
                    )}
                  </div>
                </Collapse>
              </Paper>
            );
          })}
        </Stack>
      </ScrollArea>
      <ImportDialog opened={importOpen} onClose={() => setImportOpen(false)} />
      <ExportDialog layer={exporting} projectPath={projectPath} onClose={() => setExporting(null)} />
      <DeleteLayerModal layer={deleting} onClose={() => setDeleting(null)} />
    </Stack>
  );
}
