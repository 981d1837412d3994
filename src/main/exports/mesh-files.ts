import { existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { AppError } from '../errors';
import { getLayer } from '../volumes/layers';
import type { Project } from '../store/project';
import { checkDestination, sizeOf, writeAtomically } from './atomic';
import { segmentMeshes } from './segment-meshes';

/**
 * Meshes of chosen segments as PLY (binary little endian) or Wavefront OBJ, in nanometres,
 * one file per segment (`<layer>_<id>.<ext>` in a folder) or all in one file (PLY: a
 * `segment_id` per vertex; OBJ: one object `segment_<id>` each). The proofreading meshes
 * repeat vertices on chunk borders; they are welded here (bit-identical positions) so every
 * file is an indexed, closed, consistently oriented surface (triangles counter-clockwise seen
 * from outside, normals pointing out).
 */

export type MeshFormat = 'ply' | 'obj';

export interface MeshSurface {
  segmentId: number;
  positions: Float32Array;
  normals: Float32Array;
  indices: Uint32Array;
}

/** Merges vertices with bit-identical positions; drops triangles that collapse. */
export function weldMesh(m: MeshSurface): MeshSurface {
  const bits = new Uint32Array(m.positions.buffer, m.positions.byteOffset, m.positions.length);
  const remap = new Uint32Array(m.positions.length / 3);
  const seen = new Map<string, number>();
  const positions: number[] = [];
  const normals: number[] = [];
  for (let v = 0; v < remap.length; v++) {
    const key = `${bits[3 * v]},${bits[3 * v + 1]},${bits[3 * v + 2]}`;
    let to = seen.get(key);
    if (to === undefined) {
      to = positions.length / 3;
      seen.set(key, to);
      for (let k = 0; k < 3; k++) {
        positions.push(m.positions[3 * v + k]);
        normals.push(m.normals[3 * v + k]);
      }
    }
    remap[v] = to;
  }
  const indices: number[] = [];
  for (let t = 0; t < m.indices.length; t += 3) {
    const a = remap[m.indices[t]];
    const b = remap[m.indices[t + 1]];
    const c = remap[m.indices[t + 2]];
    if (a !== b && b !== c && a !== c) indices.push(a, b, c);
  }
  return { segmentId: m.segmentId, positions: Float32Array.from(positions), normals: Float32Array.from(normals), indices: Uint32Array.from(indices) };
}

/** `withSegmentIds` adds a uint `segment_id` property to every vertex (merged files). */
export function encodePly(meshes: MeshSurface[], comment: string, withSegmentIds = meshes.length > 1): Uint8Array {
  const merged = withSegmentIds;
  const nv = meshes.reduce((a, m) => a + m.positions.length / 3, 0);
  const nf = meshes.reduce((a, m) => a + m.indices.length / 3, 0);
  const header = [
    'ply',
    'format binary_little_endian 1.0',
    ...comment.split('\n').map((c) => `comment ${c}`),
    `element vertex ${nv}`,
    'property float x',
    'property float y',
    'property float z',
    'property float nx',
    'property float ny',
    'property float nz',
    ...(merged ? ['property uint segment_id'] : []),
    `element face ${nf}`,
    'property list uchar uint vertex_indices',
    'end_header',
    '',
  ].join('\n');
  const head = new TextEncoder().encode(header);
  const vertexBytes = merged ? 28 : 24;
  const out = new Uint8Array(head.length + nv * vertexBytes + nf * 13);
  out.set(head);
  const dv = new DataView(out.buffer);
  let p = head.length;
  for (const m of meshes) {
    for (let v = 0; v < m.positions.length / 3; v++) {
      for (let k = 0; k < 3; k++, p += 4) dv.setFloat32(p, m.positions[3 * v + k], true);
      for (let k = 0; k < 3; k++, p += 4) dv.setFloat32(p, m.normals[3 * v + k], true);
      if (merged) {
        dv.setUint32(p, m.segmentId, true);
        p += 4;
      }
    }
  }
  let base = 0;
  for (const m of meshes) {
    for (let t = 0; t < m.indices.length; t += 3) {
      dv.setUint8(p++, 3);
      for (let k = 0; k < 3; k++, p += 4) dv.setUint32(p, base + m.indices[t + k], true);
    }
    base += m.positions.length / 3;
  }
  return out;
}

export function encodeObj(meshes: MeshSurface[], comment: string): string {
  const lines = comment.split('\n').map((c) => `# ${c}`);
  let base = 1;
  const fmt = (x: number) => String(Number(x.toPrecision(9)));
  for (const m of meshes) {
    lines.push(`o segment_${m.segmentId}`);
    for (let v = 0; v < m.positions.length; v += 3) lines.push(`v ${fmt(m.positions[v])} ${fmt(m.positions[v + 1])} ${fmt(m.positions[v + 2])}`);
    for (let v = 0; v < m.normals.length; v += 3) lines.push(`vn ${fmt(m.normals[v])} ${fmt(m.normals[v + 1])} ${fmt(m.normals[v + 2])}`);
    for (let t = 0; t < m.indices.length; t += 3) {
      const [a, b, c] = [m.indices[t] + base, m.indices[t + 1] + base, m.indices[t + 2] + base];
      lines.push(`f ${a}//${a} ${b}//${b} ${c}//${c}`);
    }
    base += m.positions.length / 3;
  }
  return `${lines.join('\n')}\n`;
}

export interface MeshExportOptions {
  segments: number[];
  format?: MeshFormat;
  /** One file holding every segment (OUT is then a file) instead of one file each in the folder OUT. */
  merged?: boolean;
  /** Pyramid level to mesh (default: the proofreading default, the finest with at most 2^26 voxels). */
  level?: number;
  overwrite?: boolean;
  signal?: AbortSignal;
  progress?: (fraction: number, message: string) => void;
}

export interface MeshExportResult {
  format: MeshFormat;
  layer: string;
  level: number;
  /** Written files, in segment order. */
  files: string[];
  segments: { id: number; vertices: number; triangles: number }[];
  bytes: number;
}

export function meshFormat(path: string, format?: string): MeshFormat {
  const f = format ?? extname(path).slice(1).toLowerCase();
  if (f === 'ply' || f === 'obj') return f;
  throw new AppError('BAD_REQUEST', `meshes are written as ply or obj (got "${format ?? (extname(path) || 'no extension')}")`);
}

function encode(format: MeshFormat, meshes: MeshSurface[], comment: string, merged = false): Uint8Array | string {
  return format === 'ply' ? encodePly(meshes, comment, merged) : encodeObj(meshes, comment);
}

export async function exportMeshes(project: Project, layerIdOrName: string, outPath: string, opts: MeshExportOptions): Promise<MeshExportResult> {
  const ids = [...new Set(opts.segments)];
  if (ids.length === 0) throw new AppError('BAD_REQUEST', 'choose at least one segment to export meshes of');
  const out = resolve(outPath);
  const format = opts.merged ? meshFormat(out, opts.format) : (opts.format ?? 'ply');
  const layer = getLayer(project, layerIdOrName);
  const fileOf = (id: number) => join(out, `${layer.name.replace(/[^\w.-]+/g, '_')}_${id}.${format}`);
  if (opts.merged) checkDestination({ path: out }, { overwrite: opts.overwrite });
  else if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new AppError('CONFLICT', `${out} is a file; give a folder for one mesh file per segment, or ask for a merged file`);
    checkDestination({ path: fileOf(ids[0]), sideFiles: ids.slice(1).map(fileOf) }, { overwrite: opts.overwrite });
  } else checkDestination({ path: out }, {});

  const raw = await segmentMeshes(project, layer.id, ids, { level: opts.level, signal: opts.signal, progress: (f, m) => opts.progress?.(0.9 * f, m) });
  const meshes = raw.map((m) => weldMesh({ segmentId: m.segmentId, positions: m.positions, normals: m.normals, indices: m.indices }));
  const level = raw[0].level;
  const res = layer.levels[level]?.resolution ?? layer.resolution;
  const comment = (segs: number[]) =>
    `TokenUnify Studio mesh export: layer ${layer.name}, segment${segs.length > 1 ? 's' : ''} ${segs.join(' ')}, level ${level} (${res.join('x')} nm voxels z,y,x)\nunits: nanometres; vertex x y z; triangles counter-clockwise seen from outside`;
  opts.progress?.(0.9, `writing ${format.toUpperCase()}`);
  let files: string[];
  if (opts.merged) {
    await writeAtomically({ path: out }, { overwrite: opts.overwrite, signal: opts.signal }, (tmp) => writeFile(tmp.path, encode(format, meshes, comment(ids), true)));
    files = [out];
  } else if (!existsSync(out)) {
    await writeAtomically({ path: out }, { signal: opts.signal }, async (tmp) => {
      await mkdir(tmp.path);
      for (const m of meshes) await writeFile(join(tmp.path, fileOf(m.segmentId).slice(out.length + 1)), encode(format, [m], comment([m.segmentId])));
    });
    files = ids.map(fileOf);
  } else {
    files = ids.map(fileOf);
    await writeAtomically({ path: files[0], sideFiles: files.slice(1) }, { overwrite: opts.overwrite, signal: opts.signal }, async (tmp) => {
      const temps = [tmp.path, ...tmp.sideFiles];
      for (let i = 0; i < meshes.length; i++) await writeFile(temps[i], encode(format, [meshes[i]], comment([meshes[i].segmentId])));
    });
  }
  opts.progress?.(1, 'done');
  let bytes = 0;
  for (const f of files) bytes += await sizeOf(f);
  return {
    format,
    layer: layer.name,
    level,
    files,
    segments: meshes.map((m) => ({ id: m.segmentId, vertices: m.positions.length / 3, triangles: m.indices.length / 3 })),
    bytes,
  };
}
