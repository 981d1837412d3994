import { ActionIcon, Group, SegmentedControl, TextInput, Tooltip } from '@mantine/core';
import { IconArrowsMaximize, IconCamera, IconCurrentLocation, IconKeyboard, IconLayoutGrid, IconPointer, IconSquare } from '@tabler/icons-react';
import { useState, type RefObject } from 'react';
import { parseCoordinate } from './core/coordinates';
import type { ViewKind } from './core/geometry';
import { useStore } from './state/store';
import type { ViewerTool } from './tools/types';
import type { ViewerController } from './viewer-controller';

export function ViewerToolbar({
  controller,
  tools,
  gotoRef,
  onScreenshot,
}: {
  controller: ViewerController;
  tools: ViewerTool[];
  gotoRef: RefObject<HTMLInputElement | null>;
  onScreenshot: () => void;
}) {
  const layout = useStore(controller.state, (s) => s.layout);
  const singleView = useStore(controller.state, (s) => s.singleView);
  const activeTool = useStore(controller.state, (s) => s.activeTool);
  const [goto, setGoto] = useState('');
  const [gotoError, setGotoError] = useState<string | null>(null);

  const submitGoto = () => {
    const w = controller.world;
    if (!w) return;
    const r = parseCoordinate(goto, w.resolution);
    if (!r.ok) {
      setGotoError(r.error);
      return;
    }
    setGotoError(null);
    controller.moveTo(r.voxel);
    gotoRef.current?.blur();
  };

  return (
    <Group h={40} px="xs" gap="xs" justify="space-between" wrap="nowrap" style={{ borderBottom: '1px solid var(--mantine-color-dark-4)' }}>
      <Group gap="xs" wrap="nowrap">
        <SegmentedControl
          size="xs"
          value={layout}
          onChange={(v) => controller.state.set({ layout: v as 'grid' | 'single' })}
          data-testid="layout-switch"
          data={[
            { value: 'grid', label: <LabelIcon icon={<IconLayoutGrid size={14} />} text="2×2" /> },
            { value: 'single', label: <LabelIcon icon={<IconSquare size={14} />} text="Single" /> },
          ]}
        />
        {layout === 'single' && (
          <SegmentedControl
            size="xs"
            value={singleView}
            onChange={(v) => controller.state.set({ singleView: v as ViewKind, activeView: v as ViewKind })}
            data-testid="single-view-switch"
            data={[
              { value: 'xy', label: 'XY' },
              { value: 'xz', label: 'XZ' },
              { value: 'yz', label: 'YZ' },
            ]}
          />
        )}
        <Group gap={2} ml="xs" wrap="nowrap" data-testid="viewer-tools">
          {tools.map((t) => (
            <Tooltip key={t.id} label={`${t.label}${t.hotkey ? ` (${t.hotkey})` : ''}`}>
              <ActionIcon
                variant={activeTool === t.id ? 'filled' : 'subtle'}
                color={activeTool === t.id ? 'teal' : 'gray'}
                onClick={() => controller.setActiveTool(t.id)}
                aria-label={t.label}
                data-testid={`tool-${t.id}`}
              >
                {t.id === 'navigate' ? <IconPointer size={16} /> : <span style={{ fontSize: 11, fontWeight: 700 }}>{t.hotkey ?? t.label.slice(0, 2)}</span>}
              </ActionIcon>
            </Tooltip>
          ))}
        </Group>
      </Group>
      <Group gap="xs" wrap="nowrap">
        <Tooltip label={gotoError ?? 'Go to z, y, x in voxels (or append nm / µm) — G'} color={gotoError ? 'red' : undefined} opened={gotoError ? true : undefined}>
          <TextInput
            ref={gotoRef}
            size="xs"
            w={190}
            placeholder="Go to z, y, x"
            leftSection={<IconCurrentLocation size={14} />}
            value={goto}
            error={gotoError !== null}
            onChange={(e) => {
              setGoto(e.currentTarget.value);
              setGotoError(null);
            }}
            onKeyDown={(e) => {
              if (e.key === 'Enter') submitGoto();
              if (e.key === 'Escape') e.currentTarget.blur();
            }}
            data-testid="goto-input"
          />
        </Tooltip>
        <Tooltip label="Fit the volume (Home)">
          <ActionIcon variant="subtle" color="gray" onClick={() => controller.resetView()} aria-label="Fit" data-testid="fit-view">
            <IconArrowsMaximize size={16} />
          </ActionIcon>
        </Tooltip>
        <Tooltip label="Save the active view as PNG (P)">
          <ActionIcon variant="subtle" color="gray" onClick={onScreenshot} aria-label="Screenshot" data-testid="screenshot">
            <IconCamera size={16} />
          </ActionIcon>
        </Tooltip>
        <Tooltip label="Controls (? or H)">
          <ActionIcon variant="subtle" color="gray" onClick={() => controller.state.set({ helpOpen: true })} aria-label="Help" data-testid="open-help">
            <IconKeyboard size={16} />
          </ActionIcon>
        </Tooltip>
      </Group>
    </Group>
  );
}

function LabelIcon({ icon, text }: { icon: React.ReactNode; text: string }) {
  return (
    <Group gap={4} wrap="nowrap">
      {icon}
      <span>{text}</span>
    </Group>
  );
}
