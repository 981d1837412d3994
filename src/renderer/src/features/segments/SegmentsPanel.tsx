import { ActionIcon, Alert, Badge, Group, Loader, Select, Stack, Text, TextInput, Tooltip } from '@mantine/core';
import { IconLock, IconLockOpen, IconSearch } from '@tabler/icons-react';
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { Segment, SegmentStatus } from '@shared/api/proofreading';
import { useApi } from '../../api/context';
import { useProofreading } from '../proofreading/context';
import { colorToCss } from '../viewer/core/segment-ids';
import { useStore } from '../viewer/state/store';
import { useViewer } from '../viewer/ViewerProvider';
import { PagedList } from './segment-pages';
import { SegmentDetails } from './SegmentDetails';
import { visibleRows } from './virtual-rows';

const ROW_HEIGHT = 28;
export const STATUS_LABEL: Record<SegmentStatus, string> = { unreviewed: 'Unreviewed', in_progress: 'In progress', done: 'Done' };
export const STATUS_COLOR: Record<SegmentStatus, string> = { unreviewed: 'gray', in_progress: 'yellow', done: 'teal' };

/**
 * The segments of the edited label layer: a virtualised list (pages fetched as they scroll
 * into view, so many thousands of segments cost nothing), search by id prefix or name, status
 * filter, size or id order; click selects (Ctrl/Shift adds), double-click jumps; details of
 * the last selected segment below.
 */
export function SegmentsPanel() {
  const api = useApi();
  const { session } = useProofreading();
  const { controller } = useViewer();
  const layerId = useStore(session.state, (s) => s.layerId);
  const indexed = useStore(session.state, (s) => s.indexed);
  const readOnly = useStore(session.state, (s) => s.readOnlyReason);
  const selection = useStore(controller.state, (s) => (layerId ? s.selections[layerId] : undefined));
  const selected = useMemo(() => new Set((selection ?? []).map(Number)), [selection]);
  const [query, setQuery] = useState('');
  const [debounced, setDebounced] = useState('');
  const [status, setStatus] = useState<SegmentStatus | 'all'>('all');
  const [sort, setSort] = useState<'size' | 'id'>('size');
  const [indexing, setIndexing] = useState(false);

  useEffect(() => {
    const t = setTimeout(() => setDebounced(query.trim()), 250);
    return () => clearTimeout(t);
  }, [query]);

  const list = useMemo(() => {
    if (!layerId || readOnly) return null;
    return new PagedList<Segment>(async (offset, limit) => {
      const r = await api.call('segments.list', {
        layerId,
        ...(debounced ? { query: debounced } : {}),
        ...(status !== 'all' ? { status } : {}),
        sort,
        descending: sort === 'size',
        offset,
        limit,
      });
      setIndexing(!r.indexed);
      session.applyColors(layerId, r.segments);
      return { total: r.total, rows: r.segments };
    });
    // `indexed` flips when the index job finishes: list again.
  }, [api, session, layerId, readOnly, debounced, status, sort, indexed]);

  const revision = useSyncExternalStore(
    (cb) => list?.subscribe(cb) ?? (() => undefined),
    () => list?.revision ?? 0,
  );

  useEffect(() => {
    if (!list) return;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = session.onSegmentsChanged((e) => {
      if (e.layerId !== layerId) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => list.refresh(), 150);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [list, session, layerId]);

  const viewport = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState({ top: 0, height: 400 });
  useEffect(() => {
    const el = viewport.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setScroll({ top: el.scrollTop, height: el.clientHeight }));
    ro.observe(el);
    return () => ro.disconnect();
  }, [list]);
  const total = list?.total ?? 0;
  const range = visibleRows(scroll.top, scroll.height, ROW_HEIGHT, total);
  useEffect(() => {
    list?.ensure(range.first, range.last);
  }, [list, range.first, range.last]);

  if (!layerId) return <Text size="sm" c="dimmed">No label layer in this project.</Text>;
  if (readOnly) return <Alert color="yellow">{readOnly}</Alert>;

  const focused = selection && selection.length > 0 ? Number(selection[selection.length - 1]) : null;
  const onRowClick = (s: Segment, e: React.MouseEvent) => {
    controller.select(layerId, [BigInt(s.id)], e.ctrlKey || e.shiftKey || e.metaKey ? 'toggle' : 'replace');
  };
  const toggleLock = (s: Segment) => {
    api.call('segments.update', { layerId, id: s.id, locked: !s.locked }).then(
      () => list?.refresh(),
      (err: Error) => session.notify('error', err.message),
    );
  };
  const rows = [];
  for (let i = range.first; i < range.last; i++) {
    const s = list?.row(i);
    rows.push(
      <div key={i} style={{ position: 'absolute', top: i * ROW_HEIGHT, left: 0, right: 0, height: ROW_HEIGHT }}>
        {s ? <SegmentRow segment={s} selected={selected.has(s.id)} onClick={(e) => onRowClick(s, e)} onJump={() => void session.jumpTo(s.id)} onLock={() => toggleLock(s)} /> : <Text size="xs" c="dimmed" px={6} lh={`${ROW_HEIGHT}px`}>…</Text>}
      </div>,
    );
  }
  void revision;

  return (
    <Stack gap={6} data-testid="segments-panel">
      <Group gap={6} wrap="nowrap">
        <TextInput
          size="xs"
          style={{ flex: 1 }}
          placeholder="Search id or name"
          leftSection={<IconSearch size={14} />}
          value={query}
          onChange={(e) => setQuery(e.currentTarget.value)}
          onKeyDown={(e) => {
            // Enter on an exact id jumps to it.
            if (e.key === 'Enter' && /^\d+$/.test(query.trim())) void session.jumpTo(Number(query.trim()));
          }}
          data-testid="segment-search"
        />
        <Select
          size="xs"
          w={104}
          value={status}
          onChange={(v) => setStatus((v ?? 'all') as SegmentStatus | 'all')}
          data={[{ value: 'all', label: 'All' }, ...Object.entries(STATUS_LABEL).map(([value, label]) => ({ value, label }))]}
          allowDeselect={false}
          data-testid="segment-status-filter"
        />
      </Group>
      <Group justify="space-between" gap={4}>
        <Text size="xs" c="dimmed" data-testid="segment-total">
          {list?.total === null || list?.total === undefined ? 'Loading…' : `${list.total.toLocaleString('en-US')} segment${list.total === 1 ? '' : 's'}`}
        </Text>
        <Select
          size="xs"
          w={120}
          value={sort}
          onChange={(v) => setSort((v ?? 'size') as 'size' | 'id')}
          data={[
            { value: 'size', label: 'Largest first' },
            { value: 'id', label: 'By id' },
          ]}
          allowDeselect={false}
        />
      </Group>
      {(indexing || indexed === false) && (
        <Group gap={6}>
          <Loader size="xs" />
          <Text size="xs" c="dimmed">
            Counting the voxels of every segment (first use of this layer)…
          </Text>
        </Group>
      )}
      {list?.error && (
        <Text size="xs" c="red.4">
          {list.error}
        </Text>
      )}
      <div
        ref={viewport}
        onScroll={(e) => setScroll({ top: e.currentTarget.scrollTop, height: e.currentTarget.clientHeight })}
        style={{ position: 'relative', height: 'calc(100vh - 470px)', minHeight: 160, overflowY: 'auto', border: '1px solid var(--mantine-color-dark-4)', borderRadius: 4 }}
        data-testid="segment-list"
      >
        <div style={{ height: total * ROW_HEIGHT, position: 'relative' }}>{rows}</div>
      </div>
      {focused !== null && <SegmentDetails layerId={layerId} id={focused} selectedCount={selected.size} onChanged={() => list?.refresh()} />}
    </Stack>
  );
}

function SegmentRow({ segment: s, selected, onClick, onJump, onLock }: { segment: Segment; selected: boolean; onClick: (e: React.MouseEvent) => void; onJump: () => void; onLock: () => void }) {
  const { session } = useProofreading();
  return (
    <Group
      gap={6}
      px={6}
      h={ROW_HEIGHT}
      wrap="nowrap"
      onClick={onClick}
      onDoubleClick={onJump}
      style={{ cursor: 'pointer', background: selected ? 'var(--mantine-color-dark-5)' : undefined, borderLeft: selected ? '3px solid var(--mantine-color-teal-5)' : '3px solid transparent' }}
      data-testid="segment-row"
      data-segment={s.id}
      title="Click: select (Ctrl/Shift: add) · double-click: jump to it"
    >
      <div style={{ width: 12, height: 12, borderRadius: 2, flex: 'none', background: colorToCss(session.colorOf(s.id)) }} />
      <Text size="xs" ff="monospace" w={64} truncate>
        {s.id}
      </Text>
      <Text size="xs" c="dimmed" style={{ flex: 1 }} truncate>
        {s.name ?? ''}
      </Text>
      <Text size="xs" c="dimmed" ta="right" w={52}>
        {compactCount(s.voxelCount)}
      </Text>
      <Tooltip label={STATUS_LABEL[s.status]}>
        <Badge size="xs" variant="dot" color={STATUS_COLOR[s.status]} w={14} p={0} style={{ border: 'none' }} />
      </Tooltip>
      <ActionIcon
        size="xs"
        variant="subtle"
        color={s.locked ? 'orange' : 'gray'}
        onClick={(e) => {
          e.stopPropagation();
          onLock();
        }}
        aria-label={s.locked ? 'Unlock' : 'Lock'}
        data-testid="segment-lock"
      >
        {s.locked ? <IconLock size={13} /> : <IconLockOpen size={13} />}
      </ActionIcon>
    </Group>
  );
}

/** 1234 -> "1.2k", 2500000 -> "2.5M". */
export function compactCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 1 : 0)}k`;
  if (n < 1e9) return `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)}M`;
  return `${(n / 1e9).toFixed(1)}G`;
}
