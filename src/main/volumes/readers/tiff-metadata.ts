import type { Vec3 } from '../box';

/** Nanometres per unit, for the unit names TIFF writers use. */
const UNIT_NM: Record<string, number> = {
  nm: 1,
  nanometer: 1,
  nanometre: 1,
  um: 1000,
  micron: 1000,
  micrometer: 1000,
  micrometre: 1000,
  'µm': 1000,
  'μm': 1000,
  '\\u00b5m': 1000,
  mm: 1e6,
  millimeter: 1e6,
  cm: 1e7,
  m: 1e9,
  angstrom: 0.1,
  'å': 0.1,
};

export function unitToNm(unit: string | undefined | null): number | null {
  if (!unit) return null;
  return UNIT_NM[unit.trim().toLowerCase()] ?? null;
}

function positive3(v: unknown): Vec3 | null {
  if (!Array.isArray(v) || v.length !== 3) return null;
  const n = v.map(Number);
  return n.every((x) => Number.isFinite(x) && x > 0) ? (n as Vec3) : null;
}

/**
 * Voxel size in nm, [z, y, x], from a TIFF's metadata, or null when it does not say all three:
 * - our own exports: JSON description {"shape": [...], "resolution_nm": [z, y, x]};
 * - ImageJ: "unit=" and "spacing=" lines plus X/YResolution in pixels per unit.
 */
export function parseResolutionMetadata(description: string | null, xPixelsPerUnit: number | null, yPixelsPerUnit: number | null, _resolutionUnit: number): Vec3 | null {
  if (!description) return null;
  const text = description.trim();
  if (text.startsWith('{')) {
    try {
      const json = JSON.parse(text) as Record<string, unknown>;
      return positive3(json.resolution_nm);
    } catch {
      return null;
    }
  }
  if (text.startsWith('ImageJ=')) {
    const kv = new Map<string, string>();
    for (const line of text.split('\n')) {
      const i = line.indexOf('=');
      if (i > 0) kv.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
    }
    const perUnit = unitToNm(kv.get('unit'));
    const spacing = Number(kv.get('spacing'));
    if (!perUnit || !(spacing > 0) || !xPixelsPerUnit || !yPixelsPerUnit) return null;
    return positive3([spacing * perUnit, perUnit / yPixelsPerUnit, perUnit / xPixelsPerUnit]);
  }
  return null;
}
