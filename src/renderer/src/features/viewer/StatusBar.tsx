import { Group, Loader, Text, Tooltip } from '@mantine/core';
import { useEffect, useState } from 'react';
import { formatPhysical, formatVoxel } from './core/coordinates';
import { formatLength, type Vec3 } from './core/geometry';
import { colorToCss, segmentColor } from './core/segment-ids';
import { useStore } from './state/store';
import { isLabelLayer } from './state/viewer-state';
import type { ViewerStats } from './viewer-controller';
import { useViewer } from './ViewerProvider';

/**
 * The footer: voxel and physical coordinates under the pointer (or of the crosshair), every
 * visible layer's value there (intensity; fragment -> segment id), zoom, level, loading.
 */
export function StatusBar() {
  const { controller, layers } = useViewer();
  const hover = useStore(controller.state, (s) => s.hover);
  const position = useStore(controller.state, (s) => s.position);
  const zoom = useStore(controller.state, (s) => s.zoom);
  const [stats, setStats] = useState<ViewerStats | null>(null);

  useEffect(() => {
    let last = 0;
    return controller.onFrame((s) => {
      const now = performance.now();
      if (now - last < 200 && s.complete === stats?.complete) return;
      last = now;
      setStats({ ...s, loader: { ...s.loader } });
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [controller]);

  const world = controller.world;
  if (!world || layers.length === 0) {
    return (
      <Text size="xs" c="dimmed">
        No volume loaded
      </Text>
    );
  }
  const voxel: Vec3 = hover?.inside ? hover.voxel : (position.map(Math.floor) as Vec3);
  const values = hover?.inside ? hover.values : [];
  return (
    <Group gap="lg" wrap="nowrap" h="100%" style={{ overflow: 'hidden' }} data-testid="status-bar">
      <Text size="xs" className="mono" data-testid="status-voxel" title={hover?.inside ? 'voxel under the pointer' : 'crosshair voxel'}>
        {formatVoxel(voxel)}
      </Text>
      <Text size="xs" className="mono" c="dimmed" data-testid="status-physical">
        {formatPhysical(voxel, world.resolution)}
      </Text>
      {values.map((v) => (
        <Group key={v.layerId} gap={4} wrap="nowrap" data-testid={`status-value-${v.name}`}>
          <Text size="xs" c="dimmed">
            {v.name}
          </Text>
          {!isLabelLayer(v) ? (
            <Text size="xs" className="mono" data-testid="status-intensity">
              {v.value === null ? '…' : typeof v.value === 'number' ? formatNumber(v.value) : String(v.value)}
            </Text>
          ) : (
            <Group gap={4} wrap="nowrap">
              {v.segment !== null && v.segment !== 0n && <span style={{ width: 9, height: 9, borderRadius: 2, background: colorToCss(segmentColor(v.segment)), display: 'inline-block' }} />}
              <Text size="xs" className="mono" data-testid="status-segment">
                {v.value === null ? '…' : v.segment !== null && v.segment !== v.value ? `${v.value} → ${v.segment}` : String(v.value)}
              </Text>
            </Group>
          )}
        </Group>
      ))}
      <div style={{ flex: 1 }} />
      {stats && (
        <Group gap="md" wrap="nowrap">
          {!stats.complete && (
            <Tooltip label={`${stats.pendingVisible} visible chunks loading`}>
              <Group gap={4} wrap="nowrap" data-testid="status-loading">
                <Loader size={10} />
                <Text size="xs" c="dimmed">
                  {stats.pendingVisible}
                </Text>
              </Group>
            </Tooltip>
          )}
          <Text size="xs" c="dimmed" className="mono" data-testid="status-zoom">
            {formatLength(zoom)}/px · L{stats.levels.xy ?? 0}
          </Text>
          <Tooltip label="Viewer chunk cache (CPU copies + GPU textures) / budget">
            <Text size="xs" c="dimmed" className="mono">
              {Math.round(stats.cacheBytes / 2 ** 20)}/{Math.round(stats.cacheBudget / 2 ** 20)} MiB
            </Text>
          </Tooltip>
        </Group>
      )}
    </Group>
  );
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(5);
}
