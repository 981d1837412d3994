import { ActionIcon, Button, Checkbox, Group, ScrollArea, SegmentedControl, Stack, Text, TextInput, Tooltip } from '@mantine/core';
import { IconBookmark, IconCurrentLocation, IconListCheck, IconTrash } from '@tabler/icons-react';
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { Annotation } from '@shared/api/proofreading';
import { useProofreading } from '../proofreading/context';
import type { Vec3 } from '../viewer/core/geometry';
import { ANNOTATION_COLORS } from './annotation-store';

type Filter = 'open' | 'todo' | 'bookmark' | 'all';

/** Bookmarks and to-do points with comments: listed, editable, jumpable. */
export function AnnotationsPanel() {
  const { session, annotations } = useProofreading();
  useSyncExternalStore(
    (cb) => annotations.subscribe(cb),
    () => annotations.revision,
  );
  const [filter, setFilter] = useState<Filter>('all');
  const items = annotations.items.filter((a) => (filter === 'all' ? true : filter === 'open' ? a.kind === 'todo' && !a.done : a.kind === filter));
  const here = () => session.viewer.state.get().position.map(Math.floor) as Vec3;

  return (
    <Stack gap={6} data-testid="notes-panel">
      <Group gap={6} grow>
        <Button size="xs" variant="default" leftSection={<IconBookmark size={14} />} onClick={() => void annotations.create('bookmark', here(), session.state.get().layerId)} data-testid="add-bookmark">
          Bookmark here
        </Button>
        <Button size="xs" variant="default" leftSection={<IconListCheck size={14} />} onClick={() => void annotations.create('todo', here(), session.state.get().layerId)} data-testid="add-todo">
          To-do here
        </Button>
      </Group>
      <SegmentedControl
        size="xs"
        value={filter}
        onChange={(v) => setFilter(v as Filter)}
        data={[
          { value: 'all', label: 'All' },
          { value: 'open', label: 'Open' },
          { value: 'todo', label: 'To-dos' },
          { value: 'bookmark', label: 'Bookmarks' },
        ]}
      />
      <Text size="xs" c="dimmed">
        &quot;Here&quot; is the crosshair; the To-do tool (T) places them by clicking. Click an entry to go there.
      </Text>
      {annotations.error && (
        <Text size="xs" c="red.4">
          {annotations.error}
        </Text>
      )}
      <ScrollArea h="calc(100vh - 300px)" type="auto">
        <Stack gap={4}>
          {items.length === 0 && (
            <Text size="xs" c="dimmed">
              Nothing here yet.
            </Text>
          )}
          {items.map((a) => (
            <AnnotationRow key={a.id} a={a} focus={annotations.focusId === a.id} />
          ))}
        </Stack>
      </ScrollArea>
    </Stack>
  );
}

function AnnotationRow({ a, focus }: { a: Annotation; focus: boolean }) {
  const { annotations } = useProofreading();
  const [text, setText] = useState(a.text);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => setText(a.text), [a.text]);
  useEffect(() => {
    if (!focus) return;
    input.current?.focus();
    annotations.focusId = null;
  }, [focus, annotations]);
  const save = () => text !== a.text && void annotations.update(a.id, { text });
  const color = a.done ? ANNOTATION_COLORS.done : ANNOTATION_COLORS[a.kind];
  return (
    <Group gap={6} wrap="nowrap" p={4} style={{ borderLeft: `3px solid ${color}`, background: 'var(--mantine-color-dark-6)', borderRadius: 3 }} data-testid="annotation-row" data-kind={a.kind}>
      {a.kind === 'todo' ? (
        <Checkbox size="xs" checked={a.done} onChange={(e) => void annotations.update(a.id, { done: e.currentTarget.checked })} aria-label="Done" />
      ) : (
        <IconBookmark size={14} color={color} />
      )}
      <Stack gap={0} style={{ flex: 1, minWidth: 0 }}>
        <TextInput
          ref={input}
          size="xs"
          variant="unstyled"
          placeholder={a.kind === 'todo' ? 'What needs checking?' : 'Bookmark name'}
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          onBlur={save}
          onKeyDown={(e) => {
            if (e.key === 'Enter') e.currentTarget.blur();
          }}
          data-testid="annotation-text"
        />
        <Text size="xs" c="dimmed" style={{ cursor: 'pointer' }} onClick={() => annotations.jump(a)}>
          z {a.position[0]}, y {a.position[1]}, x {a.position[2]}
        </Text>
      </Stack>
      <Tooltip label="Go there">
        <ActionIcon size="sm" variant="subtle" onClick={() => annotations.jump(a)} data-testid="annotation-jump">
          <IconCurrentLocation size={14} />
        </ActionIcon>
      </Tooltip>
      <Tooltip label="Delete">
        <ActionIcon size="sm" variant="subtle" color="red" onClick={() => void annotations.remove(a.id)}>
          <IconTrash size={14} />
        </ActionIcon>
      </Tooltip>
    </Group>
  );
}
