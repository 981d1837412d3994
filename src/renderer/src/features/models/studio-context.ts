import { createContext, useContext } from 'react';
import type { Store } from '../viewer/state/store';
import type { TrainingBoxes } from '../training/training-boxes';
import type { TrainingPreview } from '../training/preview-overlay';

export interface StudioUi {
  /** The fine-tuning dialog, optionally starting from a model. */
  finetune: { init: string | null } | null;
  /** The segment dialog, optionally with a model chosen. */
  segment: { model: string | null } | null;
  importOpen: boolean;
  pretrainOpen: boolean;
  /** The run the training monitor shows. */
  run: string | null;
  /** The Models panel's view. */
  view: 'training' | 'library' | 'quality';
  /** The two label layers the compare control swaps between. */
  compare: { a: string | null; b: string | null };
}

/** The fine-tune loop's shared UI state: preview, training boxes, dialogs. */
export interface StudioMl {
  preview: TrainingPreview;
  boxes: TrainingBoxes;
  ui: Store<StudioUi>;
}

export const StudioMlContext = createContext<StudioMl | null>(null);

export function useStudioMl(): StudioMl {
  const v = useContext(StudioMlContext);
  if (!v) throw new Error('useStudioMl outside StudioMlProvider');
  return v;
}
