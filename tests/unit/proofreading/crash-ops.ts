import type { ProofreadingService } from '../../../src/main/proofreading/service';
import type { Vec3 } from '../../../src/main/volumes/box';

/** One step of the crash test, runnable in the test process and in the child process alike. */
export type CrashOp =
  | { kind: 'paint'; layer: string; segmentId: number; points: Vec3[]; radius: number }
  | { kind: 'fill'; layer: string; seed: Vec3; segmentId: number; box: { min: Vec3; max: Vec3 } }
  | { kind: 'merge'; layer: string; target: number; source: number }
  | { kind: 'split'; layer: string; segmentId: number; seeds: Vec3[][] }
  | { kind: 'undo' }
  | { kind: 'redo' }
  /** Only opens the service: finishes (recovers) an interrupted edit. */
  | { kind: 'recover' };

export async function runOp(s: ProofreadingService, op: CrashOp, layerIds: Record<string, string>): Promise<void> {
  switch (op.kind) {
    case 'paint':
      await s.paint({ layerId: layerIds[op.layer], segmentId: op.segmentId, axis: 'z', points: op.points, radius: op.radius, confirm: true });
      return;
    case 'fill':
      await s.fill({ layerId: layerIds[op.layer], seed: op.seed, segmentId: op.segmentId, mode: '3d', box: op.box, confirm: true });
      return;
    case 'merge':
      await s.merge({ layerId: layerIds[op.layer], target: op.target, source: op.source, confirm: true });
      return;
    case 'split':
      await s.split({ layerId: layerIds[op.layer], segmentId: op.segmentId, seeds: op.seeds, confirm: true });
      return;
    case 'undo':
      await s.undo();
      return;
    case 'redo':
      await s.redo();
      return;
    case 'recover':
      return;
  }
}
