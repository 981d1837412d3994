import { Button, Group, SegmentedControl, Select, Stack, Text } from '@mantine/core';
import { useStudioMl } from '../models/studio-context';
import { labelLayers } from '../models/studio-data';
import { useStore } from '../viewer/state/store';
import { useViewer } from '../viewer/ViewerProvider';

type Showing = 'a' | 'b' | 'both';

/**
 * Compares two segmentations by toggling which one the viewer shows (A, B, or both), e.g. the
 * previous segmentation and the one a fine-tuned model just produced. The shown layer also
 * becomes the one edited.
 */
export function CompareControl() {
  const { ui } = useStudioMl();
  const { layers, controller } = useViewer();
  const compare = useStore(ui, (s) => s.compare);
  const displays = useStore(controller.displays, (d) => d);
  const options = labelLayers(layers).map((l) => ({ value: l.id, label: l.name }));
  const visible = (id: string | null) => !!id && !!displays[id]?.visible;
  const showing: Showing | null = compare.a && compare.b ? (visible(compare.a) && visible(compare.b) ? 'both' : visible(compare.b) ? 'b' : visible(compare.a) ? 'a' : null) : null;

  const show = (which: Showing) => {
    const { a, b } = compare;
    if (!a || !b) return;
    const patch: Record<string, (typeof displays)[string]> = {};
    for (const [id, on] of [
      [a, which !== 'b'],
      [b, which !== 'a'],
    ] as const) {
      const d = displays[id];
      if (d) patch[id] = { ...d, visible: on };
    }
    controller.displays.set(patch);
    if (which !== 'both') controller.state.set({ activeLabelLayer: which === 'a' ? a : b });
  };

  return (
    <Stack gap={4} data-testid="compare-control" data-showing={showing ?? ''}>
      <Text size="xs" fw={600}>
        Compare segmentations
      </Text>
      <Group grow gap={6}>
        <Select size="xs" placeholder="A" data={options} value={compare.a} onChange={(a) => ui.set({ compare: { ...compare, a } })} data-testid="compare-a" />
        <Select size="xs" placeholder="B" data={options} value={compare.b} onChange={(b) => ui.set({ compare: { ...compare, b } })} data-testid="compare-b" />
      </Group>
      <Group gap={6} wrap="nowrap">
        <SegmentedControl
          size="xs"
          value={showing ?? ''}
          onChange={(v) => show(v as Showing)}
          disabled={!compare.a || !compare.b || compare.a === compare.b}
          data={[
            { value: 'a', label: 'Show A' },
            { value: 'b', label: 'Show B' },
            { value: 'both', label: 'Both' },
          ]}
          data-testid="compare-toggle"
        />
        <Button size="compact-xs" variant="light" disabled={!compare.a || !compare.b} onClick={() => show(showing === 'a' ? 'b' : 'a')} data-testid="compare-swap">
          Swap
        </Button>
      </Group>
    </Stack>
  );
}
