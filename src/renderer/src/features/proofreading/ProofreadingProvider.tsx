import { useEffect, useMemo, type ReactNode } from 'react';
import { useApi } from '../../api/context';
import { AnnotationStore } from '../annotations/annotation-store';
import { AnnotationsPanel } from '../annotations/AnnotationsPanel';
import { MeshPane } from '../mesh3d/MeshPane';
import { MeshStore } from '../mesh3d/mesh-store';
import { SegmentsPanel } from '../segments/SegmentsPanel';
import { AnnotateTool } from '../tools/annotate-tool';
import { BrushTool } from '../tools/brush-tool';
import { FillTool } from '../tools/fill-tool';
import { HistoryPanel } from '../tools/HistoryPanel';
import { InterpolateTool } from '../tools/interpolate-tool';
import { MergeTool } from '../tools/merge-tool';
import { SplitTool } from '../tools/split-tool';
import { ToolsPanel } from '../tools/ToolsPanel';
import { useViewer } from '../viewer/ViewerProvider';
import { registerSidePanel } from '../workspace/Workspace';
import { ProofreadingContext, type Proofreading } from './context';
import { PROOFREADING_HELP, useProofreadingKeys } from './keys';
import { ProofreadingSession } from './session';
import { strokePainter } from './stroke-painter';

/**
 * Proofreading for the open project: one session (outside React) per viewer controller, its
 * tools registered as viewer plug-ins, overlay painters (pending strokes, annotations), the
 * 3D view in the fourth pane, the side panels (Segments, Tools, Notes, History) and the
 * undo / redo keys.
 */
export function ProofreadingProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const { controller } = useViewer();
  const value = useMemo<Proofreading>(() => {
    const session = new ProofreadingSession(api, controller);
    const annotations = new AnnotationStore(api, session);
    const tools = {
      brush: new BrushTool(session, false),
      eraser: new BrushTool(session, true),
      fill: new FillTool(session),
      merge: new MergeTool(session),
      split: new SplitTool(session),
      interpolate: new InterpolateTool(session),
      annotate: new AnnotateTool(session, annotations),
    };
    return { session, tools, annotations, meshes: new MeshStore(api, session) };
  }, [api, controller]);

  useEffect(() => {
    const { session, tools, annotations, meshes } = value;
    const ext = controller.extensions;
    const offs = [
      session.attach(),
      annotations.attach(),
      meshes.attach(),
      tools.merge.attach(),
      ...Object.values(tools).map((t) => ext.tools.register(t)),
      ext.overlays.add(annotations.painter()),
      ext.overlays.add(strokePainter(session)),
      ext.help.add(PROOFREADING_HELP),
      registerSidePanel({ value: 'segments', label: 'Segments', render: () => <SegmentsPanel /> }),
      registerSidePanel({ value: 'tools', label: 'Tools', render: () => <ToolsPanel /> }),
      registerSidePanel({ value: 'notes', label: 'Notes', render: () => <AnnotationsPanel /> }),
      registerSidePanel({ value: 'history', label: 'History', render: () => <HistoryPanel /> }),
    ];
    ext.setFourthPane('3D', MeshPane);
    (window as unknown as { __tuProofreading?: Proofreading }).__tuProofreading = value;
    return () => {
      ext.setFourthPane('3D', null);
      if (controller.state.get().activeTool !== 'navigate') controller.setActiveTool('navigate');
      for (const off of offs.reverse()) off();
    };
  }, [controller, value]);

  useProofreadingKeys(value.session);

  return <ProofreadingContext.Provider value={value}>{children}</ProofreadingContext.Provider>;
}
