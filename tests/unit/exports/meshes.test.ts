import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { indexLabelLayer } from '../../../src/main/proofreading/index-layer';
import type { Project } from '../../../src/main/store/project';
import { voxelCount, type Vec3 } from '../../../src/main/volumes/box';
import { createLayerFromArray } from '../../../src/main/volumes/create-layer';
import { exportLayer } from '../../../src/main/exports/index';
import { exportMeshes, weldMesh } from '../../../src/main/exports/mesh-files';
import { referencePython, runPython, skipNotice } from '../../helpers/python';
import { newProject, suiteDir } from '../../helpers/volumes';

const MODULES = ['numpy'];
const py = referencePython(MODULES);
if (!py) skipNotice('PLY / OBJ meshes parsed and checked in Python', MODULES);

const SHAPE: Vec3 = [20, 48, 72];
const RES: Vec3 = [30, 8, 10];
const BALL = 1;
const TORUS = 2;

/** A ball and a torus (physically round despite anisotropic voxels), both cut by chunk borders. */
function shapes(): { labels: Uint32Array; voxels: Map<number, number> } {
  const [Z, Y, X] = SHAPE;
  const labels = new Uint32Array(voxelCount(SHAPE));
  const voxels = new Map<number, number>();
  for (let z = 0; z < Z; z++)
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++) {
        const [pz, py_, px] = [(z + 0.5) * RES[0], (y + 0.5) * RES[1], (x + 0.5) * RES[2]];
        let id = 0;
        if ((pz - 300) ** 2 + (py_ - 190) ** 2 + (px - 180) ** 2 < 150 ** 2) id = BALL;
        const ring = Math.hypot(py_ - 190, px - 520) - 120;
        if (ring ** 2 + (pz - 300) ** 2 < 60 ** 2) id = TORUS;
        labels[(z * Y + y) * X + x] = id;
        if (id) voxels.set(id, (voxels.get(id) ?? 0) + 1);
      }
  return { labels, voxels };
}

/**
 * Python checks from the files alone: PLY (binary) and OBJ parsed by hand; per segment every
 * directed edge appears once and its reverse once (closed, consistently oriented), Euler
 * characteristic V - E + F, enclosed volume (divergence theorem, positive = outward) and the
 * bounding box in nm.
 */
const PY_CHECK = `
import sys, json, os
import numpy as np

def read_ply(path):
    data = open(path, 'rb').read()
    end = data.index(b'end_header\\n') + len(b'end_header\\n')
    header = data[:end].decode().splitlines()
    assert header[1] == 'format binary_little_endian 1.0', header[1]
    nv = int([l for l in header if l.startswith('element vertex')][0].split()[-1])
    nf = int([l for l in header if l.startswith('element face')][0].split()[-1])
    props = [l.split()[-1] for l in header if l.startswith('property') and 'list' not in l]
    vprops = props[:props.index('nz') + 1] + (['segment_id'] if 'segment_id' in props else [])
    fields = [(p, '<f4') for p in vprops if p != 'segment_id'] + ([('segment_id', '<u4')] if 'segment_id' in vprops else [])
    v = np.frombuffer(data, dtype=np.dtype(fields), count=nv, offset=end)
    f = np.frombuffer(data, dtype=np.dtype([('n', 'u1'), ('i', '<u4', 3)]), count=nf, offset=end + nv * np.dtype(fields).itemsize)
    assert (f['n'] == 3).all()
    pos = np.stack([v['x'], v['y'], v['z']], 1).astype(np.float64)
    seg = v['segment_id'] if 'segment_id' in vprops else None
    return pos, f['i'].astype(np.int64), seg

def read_obj(path):
    objs, pos, faces, cur = {}, [], [], None
    for line in open(path):
        t = line.split()
        if not t or t[0] == '#': continue
        if t[0] == 'o': cur = int(t[1].split('_')[1]); objs[cur] = []
        elif t[0] == 'v': pos.append([float(x) for x in t[1:4]])
        elif t[0] == 'f': objs[cur].append([int(x.split('/')[0]) - 1 for x in t[1:4]])
    return np.array(pos), {k: np.array(v) for k, v in objs.items()}

def check(pos, tris):
    used = np.unique(tris)
    e = np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]])
    directed = set(map(tuple, e.tolist()))
    closed = len(directed) == len(e) and all((b, a) in directed for a, b in directed)
    V, E, F = len(used), len(e) // 2, len(tris)
    a, b, c = pos[tris[:, 0]], pos[tris[:, 1]], pos[tris[:, 2]]
    vol = np.einsum('ij,ij->i', a, np.cross(b, c)).sum() / 6
    lo, hi = pos[used].min(0), pos[used].max(0)
    return {'closed': closed, 'euler': V - E + F, 'volume': float(vol), 'lo': lo.tolist(), 'hi': hi.tolist()}

out = {}
d = sys.argv[1]
for name in sorted(os.listdir(os.path.join(d, 'per-segment'))):
    pos, tris, _ = read_ply(os.path.join(d, 'per-segment', name))
    out[name] = check(pos, tris)
pos, tris, seg = read_ply(os.path.join(d, 'merged.ply'))
for s in sorted(set(seg.tolist())):
    keep = np.all(np.isin(tris, np.nonzero(seg == s)[0]), axis=1)
    out['merged.ply:%d' % s] = check(pos, tris[keep])
pos, objs = read_obj(os.path.join(d, 'merged.obj'))
for s, tris in objs.items():
    out['merged.obj:%d' % s] = check(pos, tris)
print(json.dumps(out))
`;

describe('mesh export (PLY, OBJ)', () => {
  const dir = suiteDir('tu-exmesh-');
  let project: Project;
  let voxels: Map<number, number>;

  beforeAll(async () => {
    project = newProject(dir);
    const s = shapes();
    voxels = s.voxels;
    const layer = await createLayerFromArray(project, { name: 'cells', kind: 'labels', dtype: 'uint32', data: s.labels, shape: SHAPE, resolution: RES, chunkShape: [8, 16, 16] });
    await indexLabelLayer(project, layer.id);
  });

  it('welds the vertices the chunk pieces repeat', () => {
    const twice = { segmentId: 1, positions: Float32Array.of(0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0), normals: new Float32Array(18), indices: Uint32Array.of(0, 1, 2, 3, 5, 4) };
    const w = weldMesh(twice);
    expect(w.positions.length / 3).toBe(4);
    expect([...w.indices]).toEqual([0, 1, 2, 1, 3, 2]);
  });

  it('writes one PLY per segment, a merged PLY and a merged OBJ; counts add up to closed surfaces', async () => {
    const per = await exportMeshes(project, 'cells', join(dir, 'per-segment'), { segments: [BALL, TORUS], format: 'ply' });
    expect(per.files).toEqual([join(dir, 'per-segment', `cells_${BALL}.ply`), join(dir, 'per-segment', `cells_${TORUS}.ply`)]);
    expect(per.level).toBe(0);
    // Closed triangle meshes: E = 3F/2, so V - F/2 is the Euler characteristic (2 ball, 0 torus).
    expect(per.segments.map((s) => s.vertices - s.triangles / 2)).toEqual([2, 0]);
    const ply = await exportMeshes(project, 'cells', join(dir, 'merged.ply'), { segments: [BALL, TORUS], merged: true });
    expect(ply).toMatchObject({ format: 'ply', files: [join(dir, 'merged.ply')] });
    const obj = await exportMeshes(project, 'cells', join(dir, 'merged.obj'), { segments: [BALL, TORUS], merged: true });
    expect(obj.format).toBe('obj');
    const text = readFileSync(join(dir, 'merged.obj'), 'utf8');
    expect(text).toMatch(/^# TokenUnify Studio mesh export: layer cells, segments 1 2, level 0 \(30x8x10 nm/);
    expect(text).toContain('o segment_1\n');
    expect(readFileSync(join(dir, 'merged.ply')).subarray(0, 40).toString()).toContain('format binary_little_endian 1.0');
  });

  it.skipIf(!py)('files parsed in Python: closed, oriented outward, right topology, volume and extent in nm', () => {
    const r = JSON.parse(runPython(PY_CHECK, [dir]).stdout) as Record<string, { closed: boolean; euler: number; volume: number; lo: number[]; hi: number[] }>;
    expect(Object.keys(r).sort()).toEqual(['cells_1.ply', 'cells_2.ply', 'merged.obj:1', 'merged.obj:2', 'merged.ply:1', 'merged.ply:2']);
    const voxelVolume = RES[0] * RES[1] * RES[2];
    for (const [name, c] of Object.entries(r)) {
      const id = name.includes('1') ? BALL : TORUS;
      expect(c.closed, name).toBe(true);
      expect(c.euler, name).toBe(id === BALL ? 2 : 0);
      expect(Math.abs(c.volume / (voxels.get(id)! * voxelVolume) - 1), name).toBeLessThan(0.06);
      if (id === BALL) {
        // x, y, z in nm around the ball's centre (180, 190, 300) with radius 150.
        for (let a = 0; a < 3; a++) {
          expect(Math.abs(c.lo[a] - ([180, 190, 300][a] - 150)), `${name} lo ${a}`).toBeLessThan(RES[2 - a] * 1.5);
          expect(Math.abs(c.hi[a] - ([180, 190, 300][a] + 150)), `${name} hi ${a}`).toBeLessThan(RES[2 - a] * 1.5);
        }
      }
    }
  });

  it('puts meshes into a precomputed export (legacy mesh format) that neuroglancer finds through info', async () => {
    await exportLayer(project, 'cells', join(dir, 'cells.precomputed'), { format: 'precomputed', meshSegments: [BALL] });
    const info = JSON.parse(readFileSync(join(dir, 'cells.precomputed', 'info'), 'utf8'));
    expect(info.mesh).toBe('mesh');
    expect(JSON.parse(readFileSync(join(dir, 'cells.precomputed', 'mesh', 'info'), 'utf8'))).toEqual({ '@type': 'neuroglancer_legacy_mesh' });
    expect(JSON.parse(readFileSync(join(dir, 'cells.precomputed', 'mesh', `${BALL}:0`), 'utf8'))).toEqual({ fragments: [`${BALL}:0:all`] });
    const frag = readFileSync(join(dir, 'cells.precomputed', 'mesh', `${BALL}:0:all`));
    const nv = frag.readUInt32LE(0);
    const tris = (frag.length - 4 - nv * 12) / 12;
    expect(Number.isInteger(tris) && tris > 0).toBe(true);
    const maxIndex = Math.max(...new Uint32Array(frag.buffer.slice(frag.byteOffset + 4 + nv * 12, frag.byteOffset + frag.length)));
    expect(maxIndex).toBe(nv - 1);
  });

  it('refuses unknown segments and taken names, leaving nothing behind', async () => {
    await expect(exportMeshes(project, 'cells', join(dir, 'x.ply'), { segments: [77], merged: true })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('77') });
    await expect(exportMeshes(project, 'cells', join(dir, 'merged.ply'), { segments: [BALL], merged: true })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(exportMeshes(project, 'cells', join(dir, 'per-segment'), { segments: [BALL] })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(exportMeshes(project, 'cells', join(dir, 'x.stl'), { segments: [BALL], merged: true })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(existsSync(join(dir, 'x.ply'))).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('.partial-'))).toEqual([]);
  });
});
