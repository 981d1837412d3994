import { Button, ColorInput, Group, Paper, SegmentedControl, Stack, Switch, Text, Textarea, TextInput } from '@mantine/core';
import { IconCurrentLocation } from '@tabler/icons-react';
import { useEffect, useState, useSyncExternalStore } from 'react';
import type { Segment, SegmentStatus } from '@shared/api/proofreading';
import { useApi } from '../../api/context';
import { useProofreading } from '../proofreading/context';
import { rgbToHex } from '../proofreading/session';
import { STATUS_LABEL } from './SegmentsPanel';

/** Name, status, notes, colour and lock of one segment, saved as they are edited (not part of the undo history). */
export function SegmentDetails({ layerId, id, selectedCount, onChanged }: { layerId: string; id: number; selectedCount: number; onChanged: () => void }) {
  const api = useApi();
  const { session, tools } = useProofreading();
  const [seg, setSeg] = useState<Segment | null>(null);
  const [name, setName] = useState('');
  const [notes, setNotes] = useState('');
  const [tick, setTick] = useState(0);
  useSyncExternalStore(
    (cb) => tools.merge.state.subscribe(cb),
    () => tools.merge.state.get(),
  );

  useEffect(() => {
    let live = true;
    api.call('segments.get', { layerId, ids: [id] }).then(
      ([s]) => {
        if (!live) return;
        setSeg(s ?? null);
        setName(s?.name ?? '');
        setNotes(s?.notes ?? '');
      },
      () => live && setSeg(null),
    );
    return () => {
      live = false;
    };
  }, [api, layerId, id, tick]);

  useEffect(
    () =>
      session.onSegmentsChanged((e) => {
        if (e.layerId === layerId && (e.all || e.ids.includes(id))) setTick((t) => t + 1);
      }),
    [session, layerId, id],
  );

  const update = (patch: { name?: string | null; status?: SegmentStatus; notes?: string; locked?: boolean; color?: string | null }) => {
    api.call('segments.update', { layerId, id, ...patch }).then(
      (s) => {
        setSeg(s);
        session.applyColors(layerId, [s]);
        onChanged();
      },
      (err: Error) => session.notify('error', err.message),
    );
  };

  const pair = tools.merge.ready();
  return (
    <Paper p={8} withBorder data-testid="segment-details">
      <Stack gap={6}>
        <Group justify="space-between" wrap="nowrap">
          <Text size="sm" fw={600}>
            Segment {id}
          </Text>
          <Button size="compact-xs" variant="light" leftSection={<IconCurrentLocation size={12} />} onClick={() => void session.jumpTo(id)} data-testid="segment-jump">
            Jump
          </Button>
        </Group>
        {seg === null ? (
          <Text size="xs" c="dimmed">
            No record of this segment yet (it has no voxels).
          </Text>
        ) : (
          <>
            <Text size="xs" c="dimmed">
              {seg.voxelCount.toLocaleString('en-US')} voxels{seg.fragmentCount !== null ? ` · ${seg.fragmentCount} fragments` : ''}
            </Text>
            <TextInput size="xs" placeholder="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} onBlur={() => name !== (seg.name ?? '') && update({ name: name.trim() || null })} data-testid="segment-name" />
            <SegmentedControl
              size="xs"
              fullWidth
              value={seg.status}
              onChange={(v) => update({ status: v as SegmentStatus })}
              data={Object.entries(STATUS_LABEL).map(([value, label]) => ({ value, label }))}
              data-testid="segment-status"
            />
            <Textarea size="xs" placeholder="Notes" autosize minRows={1} maxRows={4} value={notes} onChange={(e) => setNotes(e.currentTarget.value)} onBlur={() => notes !== seg.notes && update({ notes })} data-testid="segment-notes" />
            <Group gap={8} wrap="nowrap">
              <ColorInput
                size="xs"
                style={{ flex: 1 }}
                format="hex"
                value={seg.color ?? rgbToHex(session.colorOf(id))}
                onChangeEnd={(c) => update({ color: c })}
                data-testid="segment-color"
              />
              {seg.color && (
                <Button size="compact-xs" variant="subtle" color="gray" onClick={() => update({ color: null })}>
                  Reset
                </Button>
              )}
              <Switch size="xs" label="Locked" checked={seg.locked} onChange={(e) => update({ locked: e.currentTarget.checked })} data-testid="segment-locked" />
            </Group>
          </>
        )}
        {selectedCount === 2 && pair && (
          <Button size="xs" color="orange" variant="light" onClick={() => void tools.merge.commit()} data-testid="merge-selected">
            Merge {pair.source} into {pair.target}
          </Button>
        )}
      </Stack>
    </Paper>
  );
}
