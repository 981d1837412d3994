import { Badge, Button, CloseButton, Group, Kbd, Loader, Modal, Paper, Stack, Text } from '@mantine/core';
import { colorToCss } from '../viewer/core/segment-ids';
import { useStore, type Store } from '../viewer/state/store';
import { useViewer } from '../viewer/ViewerProvider';
import { useProofreading } from './context';
import { formatCount } from './edit-errors';

/** The whole state of a store (a new object on every change). */
const useWhole = <T,>(store: Store<T>): T => useStore(store, (s) => s);

const NOTICE_COLOR = { error: 'red', warning: 'yellow', info: 'blue', success: 'teal' } as const;

/**
 * Over the viewer: the active tool and segment (always visible), the edit queue, messages
 * (refusals of locked segments, results), the pending merge / split / fill confirmation bar,
 * and the confirmation dialog for edits over the voxel threshold.
 */
export function ProofreadingHud() {
  const { session, tools } = useProofreading();
  const { controller } = useViewer();
  const activeTool = useStore(controller.state, (s) => s.activeTool);
  const s = useWhole(session.state);
  const merge = useWhole(tools.merge.state);
  const split = useWhole(tools.split.state);
  const fill = useWhole(tools.fill.state);
  const interp = useWhole(tools.interpolate.state);
  const tool = controller.extensions.tools.get(activeTool);
  const detail =
    activeTool === 'brush' || activeTool === 'eraser'
      ? `r ${s.brushRadius}`
      : activeTool === 'fill'
        ? s.fillMode.toUpperCase()
        : activeTool === 'split' && split.segmentId
          ? `group ${split.current + 1}`
          : null;
  const pair = activeTool === 'merge' ? tools.merge.ready() : null;

  return (
    <>
      {/* Informational: clicks pass through to the views (except the close button). */}
      <div style={{ position: 'absolute', top: 46, left: '50%', transform: 'translateX(-50%)', zIndex: 5, pointerEvents: 'none' }}>
        <Stack gap={4} align="center">
          <Paper px={10} py={3} radius="xl" style={{ background: 'rgba(20,21,24,0.88)' }} withBorder data-testid="pr-hud">
            <Group gap={8} wrap="nowrap">
              <Badge size="sm" color={activeTool === 'navigate' ? 'gray' : activeTool === 'eraser' ? 'red' : 'teal'} variant="filled" data-testid="hud-tool">
                {tool?.label ?? activeTool}
                {tool?.hotkey ? ` (${tool.hotkey})` : ''}
              </Badge>
              {detail && (
                <Text size="xs" c="gray.4">
                  {detail}
                </Text>
              )}
              <Group gap={4} wrap="nowrap">
                <div style={{ width: 12, height: 12, borderRadius: 2, background: s.activeSegment ? colorToCss(session.colorOf(s.activeSegment)) : 'transparent', border: '1px solid #666' }} />
                <Text size="xs" fw={600} data-testid="hud-segment">
                  {s.activeSegment ? `segment ${s.activeSegment}` : 'no segment'}
                </Text>
              </Group>
              {s.pending > 0 && (
                <Group gap={4} wrap="nowrap" data-testid="hud-saving">
                  <Loader size={10} />
                  <Text size="xs" c="dimmed">
                    saving
                  </Text>
                </Group>
              )}
              {s.indexed === false && (
                <Text size="xs" c="yellow.4">
                  counting segments…
                </Text>
              )}
            </Group>
          </Paper>
          {s.notice && (
            <Paper px={10} py={4} withBorder style={{ background: 'rgba(20,21,24,0.92)', maxWidth: 560, borderColor: `var(--mantine-color-${NOTICE_COLOR[s.notice.tone]}-7)` }} data-testid="pr-notice" data-tone={s.notice.tone}>
              <Group gap={6} wrap="nowrap">
                <Text size="xs" c={`${NOTICE_COLOR[s.notice.tone]}.3`}>
                  {s.notice.text}
                </Text>
                <CloseButton size="xs" style={{ pointerEvents: 'auto' }} onClick={() => session.dismissNotice()} />
              </Group>
            </Paper>
          )}
        </Stack>
      </div>
      <div style={{ position: 'absolute', bottom: 12, left: '50%', transform: 'translateX(-50%)', zIndex: 5 }}>
        {pair && (
          <ActionBar text={`Merge segment ${pair.source} into ${pair.target}?`} apply={`Merge ${pair.source} → ${pair.target}`} busy={merge.busy} onApply={() => void tools.merge.commit()} onCancel={() => tools.merge.cancel(controller)} testId="merge-confirm" />
        )}
        {activeTool === 'split' && split.preview && (
          <ActionBar
            text={`Split segment ${split.segmentId} into ${split.preview.groupSizes.length} parts: ${split.preview.groupSizes.map((n) => formatCount(n)).join(' / ')} voxels`}
            apply="Split"
            busy={split.busy}
            onApply={() => void tools.split.commit()}
            onCancel={() => tools.split.cancel(controller)}
            testId="split-confirm"
          />
        )}
        {activeTool === 'fill' && fill.preview && (
          <ActionBar text={`Fill ${formatCount(fill.preview.voxels)} voxels with segment ${fill.request?.segmentId}?`} apply="Fill" busy={fill.busy} onApply={() => void tools.fill.commit()} onCancel={() => tools.fill.cancel(controller)} testId="fill-confirm" />
        )}
        {activeTool === 'interpolate' && interp.preview && interp.preview.voxels > 0 && (
          <ActionBar
            text={`Interpolate segment ${interp.segmentId} between slices ${interp.from} and ${interp.to}: ${formatCount(interp.preview.voxels)} voxels?`}
            apply="Interpolate"
            busy={interp.busy}
            onApply={() => void tools.interpolate.commit()}
            onCancel={() => tools.interpolate.cancel(controller)}
            testId="interpolate-confirm"
          />
        )}
      </div>
      <Modal opened={s.confirm !== null} onClose={() => s.confirm?.resolve(false)} title={s.confirm?.title} data-testid="confirm-edit" centered>
        <Text size="sm">{s.confirm?.message}</Text>
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={() => s.confirm?.resolve(false)}>
            Cancel
          </Button>
          <Button color="orange" onClick={() => s.confirm?.resolve(true)} data-testid="confirm-edit-apply">
            {s.confirm?.confirmLabel}
          </Button>
        </Group>
      </Modal>
    </>
  );
}

function ActionBar({ text, apply, busy, onApply, onCancel, testId }: { text: string; apply: string; busy: boolean; onApply: () => void; onCancel: () => void; testId: string }) {
  return (
    <Paper px={12} py={6} withBorder shadow="md" style={{ background: 'rgba(20,21,24,0.94)' }} data-testid={testId}>
      <Group gap={10} wrap="nowrap">
        <Text size="sm" data-testid={`${testId}-text`}>
          {text}
        </Text>
        <Button size="compact-sm" color="orange" onClick={onApply} loading={busy} data-testid={`${testId}-apply`}>
          {apply} <Kbd size="xs" ml={6}>Enter</Kbd>
        </Button>
        <Button size="compact-sm" variant="default" onClick={onCancel}>
          Cancel <Kbd size="xs" ml={6}>Esc</Kbd>
        </Button>
      </Group>
    </Paper>
  );
}
