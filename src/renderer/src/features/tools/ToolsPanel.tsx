import { Alert, Badge, Button, Checkbox, Group, Kbd, NumberInput, Paper, SegmentedControl, Select, SimpleGrid, Slider, Stack, Text } from '@mantine/core';
import { useApi } from '../../api/context';
import { useProofreading } from '../proofreading/context';
import { groupColor } from '../proofreading/preview-slice';
import { colorToCss } from '../viewer/core/segment-ids';
import { useStore, type Store } from '../viewer/state/store';
import { useViewer } from '../viewer/ViewerProvider';
import { MAX_BRUSH_RADIUS } from '@shared/brush-geometry';

/** The whole state of a store (a new object on every change). */
const useToolState = <T,>(store: Store<T>): T => useStore(store, (s) => s);

/** Tool picker, the active segment, and the settings and pending preview of the active tool. */
export function ToolsPanel() {
  const api = useApi();
  const { session, tools } = useProofreading();
  const { controller } = useViewer();
  const activeTool = useStore(controller.state, (s) => s.activeTool);
  const s = useToolState(session.state);
  const toolList = [tools.brush, tools.eraser, tools.fill, tools.merge, tools.split, tools.interpolate, tools.annotate];

  return (
    <Stack gap={8} data-testid="tools-panel">
      {s.readOnlyReason && (
        <Alert color="yellow" p={8}>
          <Text size="xs">{s.readOnlyReason}</Text>
          {s.layerId && (
            <Button
              size="compact-xs"
              mt={6}
              onClick={() =>
                api.call('proofreading.makeEditableCopy', { layerId: s.layerId! }).then(
                  () => session.notify('info', 'Making an editable copy (see Jobs); it appears as a new layer.'),
                  (e: Error) => session.notify('error', e.message),
                )
              }
            >
              Make an editable copy
            </Button>
          )}
        </Alert>
      )}
      <Paper p={8} withBorder>
        <Group justify="space-between" wrap="nowrap">
          <Group gap={6} wrap="nowrap">
            <div style={{ width: 16, height: 16, borderRadius: 3, background: s.activeSegment ? colorToCss(session.colorOf(s.activeSegment)) : 'transparent', border: '1px solid var(--mantine-color-dark-3)' }} />
            <Text size="sm" fw={600} data-testid="active-segment">
              {s.activeSegment ? `Segment ${s.activeSegment}` : 'No active segment'}
            </Text>
          </Group>
          <Button size="compact-xs" variant="light" onClick={() => void session.newSegment()} data-testid="new-segment">
            New <Kbd size="xs" ml={4}>N</Kbd>
          </Button>
        </Group>
        <Text size="xs" c="dimmed" mt={4}>
          The segment brush, fill and interpolate write. Selecting a segment or Alt+click makes it active.
        </Text>
      </Paper>
      <SimpleGrid cols={2} spacing={4} verticalSpacing={4}>
        {toolList.map((t) => (
          <Button
            key={t.id}
            size="xs"
            variant={activeTool === t.id ? 'filled' : 'default'}
            color={activeTool === t.id ? 'teal' : undefined}
            onClick={() => controller.setActiveTool(activeTool === t.id ? 'navigate' : t.id)}
            rightSection={<Kbd size="xs">{t.hotkey}</Kbd>}
            justify="space-between"
            data-testid={`pick-tool-${t.id}`}
          >
            {t.label}
          </Button>
        ))}
      </SimpleGrid>
      {(activeTool === 'brush' || activeTool === 'eraser') && <BrushSettings />}
      {activeTool === 'fill' && <FillSettings />}
      {activeTool === 'merge' && <MergeSettings />}
      {activeTool === 'split' && <SplitSettings />}
      {activeTool === 'interpolate' && <InterpolateSettings />}
      {activeTool === 'annotate' && (
        <Text size="xs" c="dimmed">
          Click to add a to-do point, Shift+click for a bookmark; describe and tick them off in the Notes tab.
        </Text>
      )}
      {activeTool === 'navigate' && (
        <Text size="xs" c="dimmed">
          Pick a tool (or press its key). Esc in a tool cancels what it is doing, then returns to Navigate. Ctrl+Z undoes any edit.
        </Text>
      )}
    </Stack>
  );
}

function BrushSettings() {
  const { session } = useProofreading();
  const { controller } = useViewer();
  const s = useToolState(session.state);
  const erase = useStore(controller.state, (v) => v.activeTool) === 'eraser';
  return (
    <Stack gap={6}>
      <Text size="xs" c="dimmed">
        Radius {s.brushRadius} voxels — <Kbd size="xs">[</Kbd> <Kbd size="xs">]</Kbd> or Shift+wheel
      </Text>
      <Slider size="xs" min={0} max={MAX_BRUSH_RADIUS} value={s.brushRadius} onChange={(brushRadius) => session.state.set({ brushRadius })} data-testid="brush-radius" />
      {erase ? (
        <Checkbox size="xs" label="Erase only the active segment" checked={s.eraseOnlyActive} onChange={(e) => session.state.set({ eraseOnlyActive: e.currentTarget.checked })} />
      ) : (
        <Checkbox size="xs" label="Paint background voxels only" checked={s.paintBackgroundOnly} onChange={(e) => session.state.set({ paintBackgroundOnly: e.currentTarget.checked })} />
      )}
      <Text size="xs" c="dimmed">
        Draw in any view; the stroke lies in that view&apos;s plane. Each stroke is one undoable edit.
      </Text>
    </Stack>
  );
}

function FillSettings() {
  const { session, tools } = useProofreading();
  const s = useToolState(session.state);
  const f = useToolState(tools.fill.state);
  return (
    <Stack gap={6}>
      <SegmentedControl
        size="xs"
        value={s.fillMode}
        onChange={(v) => {
          session.state.set({ fillMode: v as '2d' | '3d' });
          tools.fill.cancel(session.viewer);
        }}
        data={[
          { value: '2d', label: '2D (view plane)' },
          { value: '3d', label: '3D (box)' },
        ]}
        data-testid="fill-mode"
      />
      {s.fillMode === '3d' && (
        <Group grow gap={6}>
          <NumberInput size="xs" label="Box radius (voxels)" min={1} max={4096} value={s.fillBoxRadius} onChange={(v) => typeof v === 'number' && session.state.set({ fillBoxRadius: v })} />
          <NumberInput size="xs" label="Voxel budget" min={1} step={100_000} thousandSeparator="," value={s.fillMaxVoxels} onChange={(v) => typeof v === 'number' && session.state.set({ fillMaxVoxels: v })} />
        </Group>
      )}
      <Text size="xs" c="dimmed">
        Click a region to preview filling it with the active segment; click inside the preview or press Enter to apply. <Kbd size="xs">D</Kbd> switches 2D/3D.
      </Text>
      {f.preview && (
        <PreviewBar text={`Fill ${f.preview.voxels.toLocaleString('en-US')} voxels with segment ${f.request?.segmentId}`} busy={f.busy} onApply={() => void tools.fill.commit()} onCancel={() => tools.fill.cancel(session.viewer)} testId="fill-apply" />
      )}
    </Stack>
  );
}

function MergeSettings() {
  const { session, tools } = useProofreading();
  const m = useToolState(tools.merge.state);
  const pair = tools.merge.ready();
  return (
    <Stack gap={6}>
      <Text size="xs" c="dimmed">
        Click the segment to keep, then the one to merge into it. Both stay selected; Enter merges.
      </Text>
      <Group gap={6}>
        <Badge variant="outline">keep: {m.pick.target ?? '—'}</Badge>
        <Badge variant="outline" color="orange">
          merge in: {m.pick.source ?? '—'}
        </Badge>
      </Group>
      {pair && <PreviewBar text={`Merge ${pair.source} into ${pair.target}`} busy={m.busy} onApply={() => void tools.merge.commit()} onCancel={() => tools.merge.cancel(session.viewer)} testId="merge-apply" />}
    </Stack>
  );
}

function SplitSettings() {
  const { session, tools } = useProofreading();
  const { layers } = useViewer();
  const sp = useToolState(tools.split.state);
  const sources = layers.filter((l) => l.id !== session.state.get().layerId);
  return (
    <Stack gap={6}>
      <Text size="xs" c="dimmed">
        Click seeds inside one segment; Shift+click (or <Kbd size="xs">A</Kbd>) starts the next group. Enter splits, Backspace removes the last seed.
      </Text>
      <Select
        size="xs"
        label="Watershed follows"
        value={sp.sourceLayerId ?? ''}
        onChange={(v) => tools.split.setOptions({ sourceLayerId: v || null })}
        data={[{ value: '', label: 'Segment shape (distance transform)' }, ...sources.map((l) => ({ value: l.id, label: `${l.name} (${l.kind})` }))]}
        allowDeselect={false}
        data-testid="split-source"
      />
      <Group gap={10}>
        <Checkbox size="xs" label="Bright boundaries" disabled={!sp.sourceLayerId} checked={sp.brightBoundaries} onChange={(e) => tools.split.setOptions({ brightBoundaries: e.currentTarget.checked })} />
        <Checkbox size="xs" label="Within each section" checked={sp.inPlane} onChange={(e) => tools.split.setOptions({ inPlane: e.currentTarget.checked })} />
      </Group>
      <Text size="xs" fw={600}>
        {sp.segmentId ? `Splitting segment ${sp.segmentId}` : 'No segment yet'}
      </Text>
      <Group gap={4}>
        {sp.groups.map((g, i) => (
          <Badge
            key={i}
            variant={i === sp.current ? 'filled' : 'outline'}
            style={{ cursor: 'pointer', background: i === sp.current ? colorToCss(groupColor(i + 1)) : undefined, borderColor: colorToCss(groupColor(i + 1)), color: i === sp.current ? '#111' : colorToCss(groupColor(i + 1)) }}
            onClick={() => tools.split.setOptions({ current: i })}
          >
            group {i + 1}: {g.length}
            {sp.preview?.groupSizes[i] !== undefined ? ` · ${sp.preview.groupSizes[i].toLocaleString('en-US')} vx` : ''}
          </Badge>
        ))}
        <Button size="compact-xs" variant="subtle" onClick={() => tools.split.nextGroup()}>
          + group
        </Button>
      </Group>
      {sp.previewing && (
        <Text size="xs" c="dimmed">
          Computing the preview…
        </Text>
      )}
      {sp.preview && sp.preview.unreached > 0 && (
        <Text size="xs" c="yellow.4">
          {sp.preview.unreached.toLocaleString('en-US')} voxels no seed reaches stay with group 1.
        </Text>
      )}
      {sp.segmentId !== null && (
        <PreviewBar
          text={sp.preview ? `Split ${sp.segmentId} into ${sp.preview.groupSizes.length} parts (${sp.preview.mode === 'fragments' ? 'mapping only' : 'voxels'})` : 'Place seeds in two groups'}
          busy={sp.busy || sp.previewing}
          disabled={!sp.preview}
          onApply={() => void tools.split.commit()}
          onCancel={() => tools.split.cancel(session.viewer)}
          testId="split-apply"
        />
      )}
    </Stack>
  );
}

function InterpolateSettings() {
  const { session, tools } = useProofreading();
  const it = useToolState(tools.interpolate.state);
  return (
    <Stack gap={6}>
      <Text size="xs" c="dimmed">
        Paint the segment&apos;s shape on two slices with the brush, then click it on the first slice and on the second; Enter fills the slices between.
      </Text>
      <Checkbox size="xs" label="Overwrite other segments between the slices" checked={it.overwrite} onChange={(e) => tools.interpolate.setOverwrite(e.currentTarget.checked, session.viewer)} data-testid="interpolate-overwrite" />
      <Text size="xs" data-testid="interpolate-slices">
        {it.segmentId ? `Segment ${it.segmentId}: slices ${it.from ?? '—'} → ${it.to ?? '—'}` : 'No slice marked'}
      </Text>
      {it.preview && (
        <PreviewBar text={`Interpolate ${it.preview.voxels.toLocaleString('en-US')} voxels`} busy={it.busy} onApply={() => void tools.interpolate.commit()} onCancel={() => tools.interpolate.cancel(session.viewer)} testId="interpolate-apply" />
      )}
    </Stack>
  );
}

export function PreviewBar({ text, busy, disabled, onApply, onCancel, testId }: { text: string; busy: boolean; disabled?: boolean; onApply: () => void; onCancel: () => void; testId: string }) {
  return (
    <Paper p={6} withBorder>
      <Text size="xs" mb={4} data-testid={`${testId}-text`}>
        {text}
      </Text>
      <Group gap={6}>
        <Button size="compact-xs" onClick={onApply} loading={busy} disabled={disabled} data-testid={testId}>
          Apply <Kbd size="xs" ml={4}>Enter</Kbd>
        </Button>
        <Button size="compact-xs" variant="default" onClick={onCancel}>
          Cancel <Kbd size="xs" ml={4}>Esc</Kbd>
        </Button>
      </Group>
    </Paper>
  );
}
