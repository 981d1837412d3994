import { ApiError } from '@shared/api/errors';

/** Why an edit did not happen, in the terms the UI reacts to. */
export type EditFailure =
  /** More voxels than the confirmation threshold: ask, then repeat with `confirm: true`. */
  | { kind: 'confirm'; voxels: number; threshold: number; message: string }
  /** A locked segment would change: nothing was written. */
  | { kind: 'locked'; segments: number[]; message: string }
  | { kind: 'error'; code: string; message: string };

export function classifyEditError(err: unknown): EditFailure {
  if (err instanceof ApiError) {
    const d = (err.details ?? {}) as { confirmRequired?: boolean; voxels?: number; threshold?: number; segments?: number[] };
    if (err.code === 'TOO_LARGE' && d.confirmRequired) return { kind: 'confirm', voxels: d.voxels ?? 0, threshold: d.threshold ?? 0, message: err.message };
    if (err.code === 'LOCKED_SEGMENT') return { kind: 'locked', segments: d.segments ?? [], message: lockedMessage(d.segments ?? [], err.message) };
    return { kind: 'error', code: err.code, message: err.message };
  }
  return { kind: 'error', code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

function lockedMessage(segments: number[], fallback: string): string {
  if (segments.length === 0) return fallback;
  const list = segments.slice(0, 5).join(', ') + (segments.length > 5 ? ` and ${segments.length - 5} more` : '');
  return `Refused: segment${segments.length > 1 ? 's' : ''} ${list} ${segments.length > 1 ? 'are' : 'is'} locked. Unlock in the Segments panel to edit.`;
}

/** "1,234,567" for voxel counts in messages. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
