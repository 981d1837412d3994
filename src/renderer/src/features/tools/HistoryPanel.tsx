import { Badge, Button, Group, Kbd, ScrollArea, Stack, Text, Tooltip } from '@mantine/core';
import { IconArrowBackUp, IconArrowForwardUp } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import type { HistoryEntry } from '@shared/api/proofreading';
import { useApi, useApiEvent } from '../../api/context';
import { useProofreading } from '../proofreading/context';
import { useStore } from '../viewer/state/store';

const KIND_COLOR: Record<HistoryEntry['kind'], string> = {
  paint: 'blue',
  erase: 'gray',
  fill: 'cyan',
  merge: 'orange',
  split: 'grape',
  interpolate: 'teal',
  mapping: 'yellow',
};

/** The edit history (newest first): undo / redo, applied and undone entries. Stored in the project, so it survives restarts. */
export function HistoryPanel() {
  const api = useApi();
  const { session } = useProofreading();
  const state = useStore(session.state, (s) => s.history);
  const pending = useStore(session.state, (s) => s.pending);
  const [entries, setEntries] = useState<HistoryEntry[]>([]);
  const [tick, setTick] = useState(0);
  useApiEvent('history.changed', () => setTick((t) => t + 1));

  useEffect(() => {
    let live = true;
    api.call('history.list', { limit: 500 }).then(
      (r) => {
        if (!live) return;
        setEntries(r.entries);
        session.state.set({ history: r.state });
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api, session, tick]);

  return (
    <Stack gap={6} data-testid="history-panel">
      <Group gap={6} grow>
        <Tooltip label={state?.undo ? `Undo: ${state.undo.label}` : 'Nothing to undo'}>
          <Button size="xs" variant="default" leftSection={<IconArrowBackUp size={14} />} disabled={!state?.canUndo} onClick={() => void session.undo()} data-testid="undo">
            Undo <Kbd size="xs" ml={4}>Ctrl+Z</Kbd>
          </Button>
        </Tooltip>
        <Tooltip label={state?.redo ? `Redo: ${state.redo.label}` : 'Nothing to redo'}>
          <Button size="xs" variant="default" rightSection={<IconArrowForwardUp size={14} />} disabled={!state?.canRedo} onClick={() => void session.redo()} data-testid="redo">
            Redo
          </Button>
        </Tooltip>
      </Group>
      <Text size="xs" c="dimmed" data-testid="history-summary">
        {state ? `${state.applied} applied, ${state.undone} undone` : '…'}
        {pending > 0 ? ` · saving ${pending}…` : ''}
      </Text>
      <ScrollArea h="calc(100vh - 260px)" type="auto">
        <Stack gap={2}>
          {entries.length === 0 && (
            <Text size="xs" c="dimmed">
              No edits yet.
            </Text>
          )}
          {entries.map((e) => (
            <Group key={e.id} gap={6} wrap="nowrap" px={4} py={3} style={{ opacity: e.undone ? 0.45 : 1, borderBottom: '1px solid var(--mantine-color-dark-6)' }} data-testid="history-entry" data-undone={e.undone}>
              <Badge size="xs" variant="light" color={KIND_COLOR[e.kind]} w={70}>
                {e.kind}
              </Badge>
              <Text size="xs" style={{ flex: 1, textDecoration: e.undone ? 'line-through' : undefined }} truncate title={e.label}>
                {e.label}
              </Text>
              <Text size="xs" c="dimmed">
                {new Date(e.createdAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}
              </Text>
            </Group>
          ))}
        </Stack>
      </ScrollArea>
      <Text size="xs" c="dimmed">
        Undo reverts the newest applied edit; a new edit drops the undone ones.
      </Text>
    </Stack>
  );
}
