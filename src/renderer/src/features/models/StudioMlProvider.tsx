import { useEffect, useMemo, type ReactNode } from 'react';
import { useApi } from '../../api/context';
import { useProofreading } from '../proofreading/context';
import { FinetuneDialog } from '../training/FinetuneDialog';
import { TrainingPreview } from '../training/preview-overlay';
import { TrainingBoxes } from '../training/training-boxes';
import { createStore } from '../viewer/state/store';
import { useViewer } from '../viewer/ViewerProvider';
import { registerSidePanel } from '../workspace/Workspace';
import { ImportModelDialog, PretrainDialog } from './ModelDialogs';
import { ModelsPanel } from './ModelsPanel';
import { SegmentDialog } from './SegmentDialog';
import { StudioMlContext, type StudioMl, type StudioUi } from './studio-context';

/**
 * The proofread -> retrain loop in the workspace: the Models tab (training, library, quality), the preview and
 * training-box overlays on the viewer, and the fine-tune / segment / import / pretrain dialogs.
 */
export function StudioMlProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const { controller } = useViewer();
  const { session } = useProofreading();
  const value = useMemo<StudioMl>(
    () => ({
      preview: new TrainingPreview(api, controller),
      boxes: new TrainingBoxes(api, controller),
      ui: createStore<StudioUi>({ finetune: null, segment: null, importOpen: false, pretrainOpen: false, run: null, view: 'training', compare: { a: null, b: null } }),
    }),
    [api, controller],
  );

  useEffect(() => {
    const ext = controller.extensions;
    const offs = [
      ext.overlays.add(value.boxes.painter()),
      ext.overlays.add(value.preview.painter()),
      session.state.subscribe((s, prev) => {
        if (s.layerId !== prev.layerId) void value.boxes.load(s.layerId);
      }),
    ];
    void value.boxes.load(session.state.get().layerId);
    // After the proofreading tabs (registered by the parent provider's effect, which runs after this one).
    let live = true;
    queueMicrotask(() => {
      if (live) offs.push(registerSidePanel({ value: 'models', label: 'Models', render: () => <ModelsPanel /> }));
    });
    offs.unshift(() => (live = false));
    (window as unknown as { __tuStudio?: StudioMl }).__tuStudio = value;
    return () => {
      for (const off of offs.reverse()) off();
    };
  }, [controller, session, value]);

  return (
    <StudioMlContext.Provider value={value}>
      {children}
      <FinetuneDialog />
      <SegmentDialog />
      <ImportModelDialog />
      <PretrainDialog />
    </StudioMlContext.Provider>
  );
}
