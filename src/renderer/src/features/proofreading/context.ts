import { createContext, useContext } from 'react';
import type { AnnotationStore } from '../annotations/annotation-store';
import type { MeshStore } from '../mesh3d/mesh-store';
import type { BrushTool } from '../tools/brush-tool';
import type { FillTool } from '../tools/fill-tool';
import type { InterpolateTool } from '../tools/interpolate-tool';
import type { MergeTool } from '../tools/merge-tool';
import type { SplitTool } from '../tools/split-tool';
import type { AnnotateTool } from '../tools/annotate-tool';
import type { ProofreadingSession } from './session';

export interface ProofreadingTools {
  brush: BrushTool;
  eraser: BrushTool;
  fill: FillTool;
  merge: MergeTool;
  split: SplitTool;
  interpolate: InterpolateTool;
  annotate: AnnotateTool;
}

export interface Proofreading {
  session: ProofreadingSession;
  tools: ProofreadingTools;
  annotations: AnnotationStore;
  meshes: MeshStore;
}

export const ProofreadingContext = createContext<Proofreading | null>(null);

/** The open project's proofreading session, tools and stores (inside the workspace). */
export function useProofreading(): Proofreading {
  const p = useContext(ProofreadingContext);
  if (!p) throw new Error('useProofreading outside ProofreadingProvider');
  return p;
}
