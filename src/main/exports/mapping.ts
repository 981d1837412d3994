import { writeFile } from 'node:fs/promises';
import { AppError } from '../errors';
import type { Project } from '../store/project';
import type { VoxelArray } from '../volumes/dtypes';
import type { LayerInfo } from '../volumes/layers';

/**
 * The fragment -> segment mapping of a fragment layer, as exports use it: one consistent
 * snapshot (a single SQL read of the proofreading `fragments` table, the query behind
 * `mapping.get`), sorted by fragment. Fragments without a row map to themselves.
 */
export interface FragmentMapping {
  fragments: Uint32Array;
  segments: Uint32Array;
}

/** How a fragment layer is exported: flat segment ids, or the fragment ids plus the mapping. */
export type MappingMode = 'applied' | 'fragments';

export function readFragmentMapping(project: Project, layer: LayerInfo): FragmentMapping {
  if (layer.kind !== 'fragments') throw new AppError('BAD_REQUEST', `layer '${layer.name}' is a ${layer.kind} layer; only fragment layers have a fragment -> segment mapping`);
  const rows = project.db.prepare('SELECT id, segment_id FROM fragments WHERE layer_id = ? ORDER BY id').raw().all(layer.id) as [number, number][];
  const fragments = new Uint32Array(rows.length);
  const segments = new Uint32Array(rows.length);
  rows.forEach(([f, s], i) => {
    fragments[i] = f;
    segments[i] = s;
  });
  return { fragments, segments };
}

/**
 * The export mode of a layer: fragment layers default to 'applied'; other layers have no mapping
 * and asking for 'fragments' there is an error naming the layer.
 */
export function mappingModeFor(layer: LayerInfo, requested: MappingMode | undefined): MappingMode | null {
  if (layer.kind === 'fragments') return requested ?? 'applied';
  if (requested === 'fragments') {
    throw new AppError('BAD_REQUEST', `layer '${layer.name}' is a ${layer.kind} layer, not a fragment layer: there is no mapping to export beside it`);
  }
  return null;
}

/** Replaces fragment ids by their segments in place (runs of equal ids are looked up once). */
export function applyMapping(data: VoxelArray, lookup: Map<number, number>): VoxelArray {
  if (data instanceof BigUint64Array) {
    let last = -1n;
    let mapped = 0n;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v !== last) {
        last = v;
        const n = Number(v);
        mapped = BigInt(lookup.get(n) ?? n);
      }
      data[i] = mapped;
    }
    return data;
  }
  if (!(data instanceof Uint32Array)) throw new AppError('UNSUPPORTED', `fragment layers hold uint32 or uint64 ids, not ${data.constructor.name}`);
  let last = -1;
  let mapped = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v !== last) {
      last = v;
      mapped = lookup.get(v) ?? v;
    }
    data[i] = mapped;
  }
  return data;
}

export function mappingLookup(m: FragmentMapping): Map<number, number> {
  const lookup = new Map<number, number>();
  for (let i = 0; i < m.fragments.length; i++) lookup.set(m.fragments[i], m.segments[i]);
  return lookup;
}

/** The mapping as CSV: header `fragment_id,segment_id`, one row per fragment, by fragment id. */
export async function writeMappingCsv(path: string, m: FragmentMapping): Promise<void> {
  const lines = ['fragment_id,segment_id'];
  for (let i = 0; i < m.fragments.length; i++) lines.push(`${m.fragments[i]},${m.segments[i]}`);
  await writeFile(path, `${lines.join('\n')}\n`);
}
