import { Badge, Button, Group, Slider, Stack, Switch, Text } from '@mantine/core';
import { colorToCss, segmentColor, type SegmentId } from '../viewer/core/segment-ids';
import type { LabelDisplay } from '../viewer/gl/slice-renderer';
import { Labeled } from './ImageControls';

const SHOWN_CHIPS = 12;

/** Opacity, outline, selection display of a label layer, and its selected segments. */
export function LabelControls({
  display,
  selected,
  onChange,
  onClearSelection,
  onDeselect,
}: {
  display: LabelDisplay;
  selected: readonly SegmentId[];
  onChange: (d: LabelDisplay) => void;
  onClearSelection: () => void;
  onDeselect: (id: SegmentId) => void;
}) {
  const set = (patch: Partial<LabelDisplay>) => onChange({ ...display, ...patch });
  return (
    <Stack gap={8} data-testid="label-controls">
      <Labeled label="Opacity">
        <Slider size="xs" min={0} max={1} step={0.01} value={display.opacity} onChange={(opacity) => set({ opacity })} label={(v) => `${Math.round(v * 100)}%`} data-testid="label-opacity" />
      </Labeled>
      <Labeled label="Selected">
        <Slider size="xs" min={0} max={1} step={0.01} value={display.selectedOpacity} onChange={(selectedOpacity) => set({ selectedOpacity })} label={(v) => `${Math.round(v * 100)}%`} />
      </Labeled>
      <Group gap="md">
        <Switch size="xs" label="Outlines" checked={display.outline} onChange={(e) => set({ outline: e.currentTarget.checked })} data-testid="outline-switch" />
        <Switch size="xs" label="Only selected" checked={display.showOnlySelected} onChange={(e) => set({ showOnlySelected: e.currentTarget.checked })} data-testid="only-selected-switch" />
      </Group>
      <div>
        <Group justify="space-between" mb={4}>
          <Text size="xs" c="dimmed">
            Selected segments ({selected.length})
          </Text>
          {selected.length > 0 && (
            <Button size="compact-xs" variant="subtle" color="gray" onClick={onClearSelection} data-testid="clear-selection">
              Clear
            </Button>
          )}
        </Group>
        {selected.length === 0 ? (
          <Text size="xs" c="dimmed">
            Click a segment in a view to select it; Ctrl/Shift+click adds more.
          </Text>
        ) : (
          <Group gap={4} data-testid="selected-segments">
            {selected.slice(0, SHOWN_CHIPS).map((id) => (
              <Badge
                key={String(id)}
                size="sm"
                variant="outline"
                style={{ cursor: 'pointer', borderColor: colorToCss(segmentColor(id)), color: colorToCss(segmentColor(id)) }}
                onClick={() => onDeselect(id)}
                title="Click to deselect"
                data-segment={String(id)}
              >
                {String(id)}
              </Badge>
            ))}
            {selected.length > SHOWN_CHIPS && (
              <Text size="xs" c="dimmed">
                +{selected.length - SHOWN_CHIPS} more
              </Text>
            )}
          </Group>
        )}
      </div>
    </Stack>
  );
}
