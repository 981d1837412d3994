import { formatLength, type Vec3 } from './geometry';

/**
 * Parses what a user types into "go to": three numbers z, y, x separated by commas or spaces,
 * in voxels, or in physical units when suffixed (nm or µm/um), e.g. "12, 300, 411" or
 * "480 2400 3288 nm". Returns level-0 voxel coordinates at voxel centres.
 */
export function parseCoordinate(text: string, resolution: Vec3): { ok: true; voxel: Vec3 } | { ok: false; error: string } {
  const m = /^\s*(.*?)\s*(nm|µm|um)?\s*$/i.exec(text);
  const body = m?.[1] ?? '';
  const unit = (m?.[2] ?? '').toLowerCase();
  const parts = body.split(/[\s,;]+/).filter(Boolean);
  if (parts.length !== 3) return { ok: false, error: 'enter three numbers: z, y, x' };
  const nums = parts.map(Number);
  if (!nums.every(Number.isFinite)) return { ok: false, error: `'${body}' is not three numbers` };
  const scale = unit === 'nm' ? 1 : unit === 'µm' || unit === 'um' ? 1000 : 0;
  const voxel = nums.map((v, a) => (scale ? Math.floor((v * scale) / resolution[a]) : Math.floor(v)) + 0.5) as Vec3;
  return { ok: true, voxel };
}

/** "z 12 · y 300 · x 411" for the status bar. */
export function formatVoxel(v: Vec3): string {
  return `z ${v[0]}  y ${v[1]}  x ${v[2]}`;
}

/** Physical position of a voxel's corner, in the largest unit that keeps it readable. */
export function formatPhysical(v: Vec3, resolution: Vec3): string {
  return v.map((c, a) => formatLength(c * resolution[a])).join(', ');
}
