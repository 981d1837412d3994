import { Alert, Box, Button, Center, Loader, Stack, Text, Title } from '@mantine/core';
import { IconFileImport } from '@tabler/icons-react';
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { VIEW_KINDS, type ViewKind } from './core/geometry';
import { HelpOverlay } from './HelpOverlay';
import { OrientationPane } from './OrientationPane';
import { SlicePane } from './SlicePane';
import { useStore } from './state/store';
import { useViewerKeys } from './useViewerKeys';
import { ViewerToolbar } from './ViewerToolbar';
import { useViewer } from './ViewerProvider';

/**
 * The viewer area: toolbar, then either the 2x2 layout (XY | XZ / YZ | 3D slot) or one view,
 * all drawn by one WebGL2 canvas behind transparent input panes.
 */
export function Viewer({ onImport }: { onImport?: () => void }) {
  const { controller, layers, layersError } = useViewer();
  const canvas = useRef<HTMLCanvasElement>(null);
  const gotoRef = useRef<HTMLInputElement>(null);
  const layout = useStore(controller.state, (s) => s.layout);
  const singleView = useStore(controller.state, (s) => s.singleView);
  const activeView = useStore(controller.state, (s) => s.activeView);
  const helpOpen = useStore(controller.state, (s) => s.helpOpen);
  const activeToolId = useStore(controller.state, (s) => s.activeTool);
  const tools = useSyncExternalStore(
    (cb) => controller.extensions.tools.subscribe(cb),
    () => controller.extensions.tools.revision,
  );
  const toolList = useMemo(() => controller.extensions.tools.list(), [controller, tools]);
  const fourth = useSyncExternalStore(
    (cb) => controller.extensions.subscribe(cb),
    () => controller.extensions.fourthPane,
  );
  const helpRevision = useSyncExternalStore(
    (cb) => controller.extensions.help.subscribe(cb),
    () => controller.extensions.help.revision,
  );
  const helpSections = useMemo(() => [...controller.extensions.help.list()], [controller, helpRevision]);
  const [glError, setGlError] = useState<string | null>(null);

  useEffect(() => {
    if (!canvas.current) return;
    controller.attachCanvas(canvas.current);
    setGlError(controller.glError);
    return controller.onError(setGlError);
  }, [controller]);

  const screenshot = useCallback(async () => {
    const s = controller.state.get();
    const view: ViewKind = s.layout === 'single' ? s.singleView : s.activeView;
    const blob = await controller.paneImage(view);
    if (!blob) return;
    const z = Math.floor(s.position[view === 'xy' ? 0 : view === 'xz' ? 1 : 2]);
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${layers[0]?.name ?? 'view'}-${view}-${view === 'xy' ? 'z' : view === 'xz' ? 'y' : 'x'}${z}.png`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }, [controller, layers]);

  const keyOpts = useMemo(() => ({ gotoRef, screenshot: () => void screenshot() }), [screenshot]);
  useViewerKeys(controller, keyOpts);

  const container = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ width: 0, height: 0 });
  useEffect(() => {
    const el = container.current;
    if (!el) return;
    const ro = new ResizeObserver(() => {
      const r = el.getBoundingClientRect();
      setSize({ width: r.width, height: r.height });
      controller.requestRender();
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [controller]);

  const views: ViewKind[] = layout === 'single' ? [singleView] : [...VIEW_KINDS];
  const cursor = toolList.find((t) => t.id === activeToolId)?.cursor ?? 'default';
  const Fourth = fourth?.component ?? OrientationPane;
  const empty = layers.length === 0;

  return (
    <Box h="100%" style={{ display: 'flex', flexDirection: 'column', background: '#0b0c0e' }} data-testid="viewer-area">
      <ViewerToolbar controller={controller} tools={toolList} gotoRef={gotoRef} onScreenshot={() => void screenshot()} />
      <div ref={container} style={{ position: 'relative', flex: 1, minHeight: 0 }}>
        <canvas ref={canvas} data-testid="viewer-canvas" style={{ position: 'absolute', inset: 0, width: '100%', height: '100%', display: 'block' }} />
        <div
          style={{
            position: 'absolute',
            inset: 0,
            display: 'grid',
            gridTemplateColumns: layout === 'single' ? '1fr' : '1fr 1fr',
            gridTemplateRows: layout === 'single' ? '1fr' : '1fr 1fr',
            gap: layout === 'single' ? 0 : 2,
          }}
        >
          {views.map((v) => (
            <SlicePane key={v} controller={controller} view={v} active={layout === 'grid' && v === activeView} cursor={cursor} />
          ))}
          {layout === 'grid' && (
            <div style={{ position: 'relative', minWidth: 0, minHeight: 0, background: '#0b0c0e' }} data-testid="pane-3d">
              {!empty && <Fourth host={controller} width={size.width / 2} height={size.height / 2} />}
            </div>
          )}
        </div>
        {(empty || glError || layersError) && (
          <Center style={{ position: 'absolute', inset: 0, background: 'rgba(11,12,14,0.92)' }}>
            {glError || layersError ? (
              <Alert color="red" title="The viewer cannot show this project" maw={520} data-testid="viewer-error">
                {glError ?? layersError}
              </Alert>
            ) : layers.length === 0 && layersError === null ? (
              <Stack align="center" gap="xs" data-testid="viewer-empty">
                <Title order={4}>No volumes yet</Title>
                <Text c="dimmed" size="sm" ta="center" maw={380}>
                  Import a TIFF stack, a folder of PNG sections, an HDF5 file, or open a Zarr, N5 or neuroglancer precomputed volume in place.
                </Text>
                {onImport && (
                  <Button leftSection={<IconFileImport size={16} />} onClick={onImport} data-testid="viewer-import">
                    Import a volume
                  </Button>
                )}
              </Stack>
            ) : (
              <Loader />
            )}
          </Center>
        )}
      </div>
      <HelpOverlay opened={helpOpen} onClose={() => controller.state.set({ helpOpen: false })} tools={toolList} sections={helpSections} />
    </Box>
  );
}
