import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Segment } from '../../shared/api/proofreading';
import type { VoxelArray } from '../volumes/dtypes';

/**
 * The segmentation extras of a precomputed export:
 * - `segment_properties/info` (neuroglancer_segment_properties, inline): every id present in
 *   the exported region with a `label` (its name; on fragment exports "segment S" or
 *   "segment S: name" so a label search selects all fragments of a segment), a `description`
 *   (notes), `tags` (review status, locked) and the number `voxels` (count inside the region,
 *   capped at 2^32 - 1); fragment exports add the number `segment` (the mapped segment id):
 *   the fragment -> segment equivalences.
 * - `mesh/` in neuroglancer's legacy single-resolution format: `mesh/info`, a manifest
 *   `<id>:0` listing one fragment `<id>:0:all`: uint32 vertex count, float32 x, y, z (nm),
 *   uint32 triangle indices, little endian.
 */

export type IdCounts = Map<number | bigint, number>;

/** Adds the voxels of `data` to `counts` (runs of one id are counted at once; 0 is skipped). */
export function countIds(data: VoxelArray, counts: IdCounts): void {
  const n = data.length;
  let i = 0;
  while (i < n) {
    const v = data[i];
    let j = i + 1;
    while (j < n && data[j] === v) j++;
    if (v !== 0 && v !== 0n) {
      const key = typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      counts.set(key, (counts.get(key) ?? 0) + (j - i));
    }
    i = j;
  }
}

const TAGS = ['unreviewed', 'in_progress', 'done', 'locked'] as const;
const UINT32_MAX = 0xffffffff;

function compareIds(a: number | bigint, b: number | bigint): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export interface SegmentPropertiesInput {
  counts: IdCounts;
  /** Segment rows by id (names, notes, status, lock). */
  segments: Map<number, Segment>;
  /** Fragment exports: fragment -> segment (fragments absent here map to themselves). */
  fragmentToSegment?: Map<number, number>;
}

export function segmentProperties(input: SegmentPropertiesInput): Record<string, unknown> {
  const ids = [...input.counts.keys()].sort(compareIds);
  const labels: string[] = [];
  const descriptions: string[] = [];
  const tags: number[][] = [];
  const voxels: number[] = [];
  const segmentIds: number[] = [];
  for (const id of ids) {
    const asNumber = typeof id === 'number' ? id : null;
    const segmentId = input.fragmentToSegment && asNumber !== null ? (input.fragmentToSegment.get(asNumber) ?? asNumber) : asNumber;
    const row = segmentId !== null ? input.segments.get(segmentId) : undefined;
    const name = row?.name ?? null;
    labels.push(input.fragmentToSegment ? `segment ${segmentId ?? id}${name ? `: ${name}` : ''}` : (name ?? ''));
    descriptions.push(row?.notes ?? '');
    const t: number[] = [];
    if (row) t.push(TAGS.indexOf(row.status));
    if (row?.locked) t.push(TAGS.indexOf('locked'));
    tags.push(t);
    voxels.push(Math.min(UINT32_MAX, input.counts.get(id)!));
    segmentIds.push(Math.min(UINT32_MAX, segmentId ?? 0));
  }
  const properties: Record<string, unknown>[] = [
    { id: 'label', type: 'label', values: labels },
    { id: 'description', type: 'description', values: descriptions },
    { id: 'tags', type: 'tags', tags: [...TAGS], values: tags },
    { id: 'voxels', type: 'number', data_type: 'uint32', description: 'voxels inside the exported region', values: voxels },
  ];
  if (input.fragmentToSegment) properties.push({ id: 'segment', type: 'number', data_type: 'uint32', description: 'segment this fragment belongs to', values: segmentIds });
  return { '@type': 'neuroglancer_segment_properties', inline: { ids: ids.map(String), properties } };
}

export async function writeSegmentProperties(volumeDir: string, info: Record<string, unknown>): Promise<string> {
  const dir = join(volumeDir, 'segment_properties');
  await mkdir(dir);
  await writeFile(join(dir, 'info'), JSON.stringify(info));
  return 'segment_properties';
}

export interface MeshData {
  segmentId: number;
  positions: Float32Array;
  indices: Uint32Array;
}

export function legacyMeshFragment(m: MeshData): Uint8Array {
  const nv = m.positions.length / 3;
  const out = new Uint8Array(4 + m.positions.byteLength + m.indices.byteLength);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, nv, true);
  out.set(new Uint8Array(m.positions.buffer, m.positions.byteOffset, m.positions.byteLength), 4);
  out.set(new Uint8Array(m.indices.buffer, m.indices.byteOffset, m.indices.byteLength), 4 + m.positions.byteLength);
  return out;
}

export async function writeLegacyMeshes(volumeDir: string, meshes: MeshData[]): Promise<string> {
  const dir = join(volumeDir, 'mesh');
  await mkdir(dir);
  await writeFile(join(dir, 'info'), JSON.stringify({ '@type': 'neuroglancer_legacy_mesh' }));
  for (const m of meshes) {
    await writeFile(join(dir, `${m.segmentId}:0`), JSON.stringify({ fragments: [`${m.segmentId}:0:all`] }));
    await writeFile(join(dir, `${m.segmentId}:0:all`), legacyMeshFragment(m));
  }
  return 'mesh';
}
