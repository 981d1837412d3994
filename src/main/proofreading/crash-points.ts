/**
 * Fault injection for the crash test: with TOKENUNIFY_CRASH_AT="<point>:<n>" the process kills
 * itself with SIGKILL the n-th time it reaches <point> (a real kill, exactly there). Unset in
 * normal use, where this is one string comparison per point.
 */
const spec = process.env.TOKENUNIFY_CRASH_AT ?? '';
const [crashPoint_, nth] = spec.split(':');
const crashAfter = Number(nth ?? 1) || 1;
let hits = 0;

export type CrashPoint =
  | 'edit.in-transaction'
  | 'edit.after-commit'
  | 'transition.in-transaction'
  | 'transition.after-commit'
  | 'files.after-chunk'
  | 'files.before-pyramid'
  | 'files.after-pyramid';

export function crashPoint(point: CrashPoint): void {
  if (spec === '' || point !== crashPoint_) return;
  if (++hits >= crashAfter) process.kill(process.pid, 'SIGKILL');
}
