import { afterEach, describe, expect, it } from 'vitest';
import { concatPieces, meshVolume, surfaceNets, type MeshPiece } from '../../../src/main/proofreading/mesh/surface-nets';
import type { Vec3 } from '../../../src/main/volumes/box';
import { closeFixture, countsOf, labelFixture, sampleFragments, type Fixture } from './fixtures';

let fx: Fixture | undefined;
afterEach(async () => {
  await closeFixture(fx);
  fx = undefined;
});

/** Triangles over welded vertices (equal positions are one vertex). */
function weld(m: MeshPiece): { tris: [number, number, number][]; vertices: number } {
  const ids = new Map<string, number>();
  const id = (i: number) => {
    const k = `${m.positions[3 * i]},${m.positions[3 * i + 1]},${m.positions[3 * i + 2]}`;
    let v = ids.get(k);
    if (v === undefined) ids.set(k, (v = ids.size));
    return v;
  };
  const tris: [number, number, number][] = [];
  for (let t = 0; t < m.indices.length; t += 3) tris.push([id(m.indices[t]), id(m.indices[t + 1]), id(m.indices[t + 2])]);
  return { tris, vertices: ids.size };
}

/** Watertight and consistently oriented: every directed edge a->b is matched by as many b->a. */
function openEdges(m: MeshPiece): number {
  const { tris } = weld(m);
  const count = new Map<string, number>();
  for (const [a, b, c] of tris) {
    for (const [u, v] of [
      [a, b],
      [b, c],
      [c, a],
    ]) {
      const k = u < v ? `${u},${v}` : `${v},${u}`;
      count.set(k, (count.get(k) ?? 0) + (u < v ? 1 : -1));
    }
  }
  let open = 0;
  for (const n of count.values()) if (n !== 0) open++;
  return open;
}

function eulerCharacteristic(m: MeshPiece): number {
  const { tris, vertices } = weld(m);
  const edges = new Set<string>();
  for (const [a, b, c] of tris) for (const [u, v] of [[a, b], [b, c], [c, a]]) edges.add(u < v ? `${u},${v}` : `${v},${u}`);
  return vertices - edges.size + tris.length;
}

/** Meshes a whole mask as one piece (the reference the chunked meshes must equal). */
function wholeMesh(mask: (z: number, y: number, x: number) => boolean, shape: Vec3, voxelSize: Vec3): { mesh: MeshPiece; voxels: number } {
  const dims: Vec3 = [shape[0] + 2, shape[1] + 2, shape[2] + 2];
  const m = new Uint8Array(dims[0] * dims[1] * dims[2]);
  let voxels = 0;
  for (let z = 0; z < shape[0]; z++)
    for (let y = 0; y < shape[1]; y++)
      for (let x = 0; x < shape[2]; x++)
        if (mask(z, y, x)) {
          m[((z + 1) * dims[1] + y + 1) * dims[2] + x + 1] = 1;
          voxels++;
        }
  return { mesh: surfaceNets({ mask: m, dims, origin: [-1, -1, -1], own: { min: [0, 0, 0], max: shape }, voxelSize }), voxels };
}

/** Sorted triangles as position triples, rotation-normalised: equal meshes give equal lists. */
function triangleSet(m: MeshPiece): string[] {
  const p = (i: number) => `${m.positions[3 * i]},${m.positions[3 * i + 1]},${m.positions[3 * i + 2]}`;
  const out: string[] = [];
  for (let t = 0; t < m.indices.length; t += 3) {
    const v = [p(m.indices[t]), p(m.indices[t + 1]), p(m.indices[t + 2])];
    const r = v.indexOf([...v].sort()[0]);
    out.push([v[r], v[(r + 1) % 3], v[(r + 2) % 3]].join('|'));
  }
  return out.sort();
}

describe('surface nets', () => {
  it('gives a closed, oriented surface whose enclosed volume matches the voxel count (physical units)', () => {
    const size: Vec3 = [3, 1, 1.5];
    const cases: { name: string; shape: Vec3; f: (z: number, y: number, x: number) => boolean; euler: number }[] = [
      { name: 'ball', shape: [14, 40, 30], f: (z, y, x) => ((z - 7) * 3) ** 2 + (y - 20) ** 2 + ((x - 15) * 1.5) ** 2 < 15 ** 2, euler: 2 },
      { name: 'box', shape: [8, 20, 20], f: (z, y, x) => z >= 1 && z < 7 && y >= 2 && y < 18 && x >= 3 && x < 17, euler: 2 },
      {
        name: 'torus',
        shape: [10, 40, 40],
        f: (z, y, x) => (Math.hypot(y - 20, x - 20) - 12) ** 2 + ((z - 5) * 2) ** 2 < 5 ** 2,
        euler: 0,
      },
    ];
    for (const c of cases) {
      const { mesh, voxels } = wholeMesh(c.f, c.shape, size);
      expect(openEdges(mesh), c.name).toBe(0);
      expect(eulerCharacteristic(mesh), c.name).toBe(c.euler);
      const volume = meshVolume(mesh);
      const expected = voxels * size[0] * size[1] * size[2];
      expect(Math.abs(volume - expected) / expected, c.name).toBeLessThan(0.04);
      // Normals are unit length and point outwards (positive dot product with the centroid offset, for the ball).
      for (let i = 0; i < mesh.normals.length; i += 3) expect(Math.hypot(mesh.normals[i], mesh.normals[i + 1], mesh.normals[i + 2])).toBeCloseTo(1, 5);
    }
    const { mesh } = wholeMesh(cases[0].f, cases[0].shape, size);
    let outward = 0;
    for (let i = 0; i < mesh.positions.length; i += 3) {
      const d = [mesh.positions[i] - 15.5 * 1.5, mesh.positions[i + 1] - 20.5, mesh.positions[i + 2] - 7.5 * 3];
      if (d[0] * mesh.normals[i] + d[1] * mesh.normals[i + 1] + d[2] * mesh.normals[i + 2] > 0) outward++;
    }
    expect(outward).toBe(mesh.positions.length / 3);
  });

  it('meshes chunk by chunk without cracks: the stitched pieces equal the whole-volume mesh', () => {
    const shape: Vec3 = [20, 30, 26];
    const f = (z: number, y: number, x: number) => (z - 9) ** 2 + (y - 14) ** 2 + (x - 12) ** 2 < 81 || (z > 14 && y > 20 && x < 5);
    const whole = wholeMesh(f, shape, [1, 1, 1]).mesh;
    const chunk: Vec3 = [8, 8, 8];
    const pieces: MeshPiece[] = [];
    for (let cz = 0; cz * chunk[0] < shape[0]; cz++)
      for (let cy = 0; cy * chunk[1] < shape[1]; cy++)
        for (let cx = 0; cx * chunk[2] < shape[2]; cx++) {
          const own = { min: [cz * 8, cy * 8, cx * 8] as Vec3, max: [Math.min(shape[0], cz * 8 + 8), Math.min(shape[1], cy * 8 + 8), Math.min(shape[2], cx * 8 + 8)] as Vec3 };
          const origin = own.min.map((v) => v - 1) as Vec3;
          const dims = own.max.map((v, a) => v + 1 - origin[a]) as Vec3;
          const mask = new Uint8Array(dims[0] * dims[1] * dims[2]);
          for (let z = 0; z < dims[0]; z++)
            for (let y = 0; y < dims[1]; y++)
              for (let x = 0; x < dims[2]; x++) {
                const g = [z + origin[0], y + origin[1], x + origin[2]];
                if (g.every((v, a) => v >= 0 && v < shape[a]) && f(g[0], g[1], g[2])) mask[(z * dims[1] + y) * dims[2] + x] = 1;
              }
          pieces.push(surfaceNets({ mask, dims, origin, own, voxelSize: [1, 1, 1] }));
        }
    const stitched = concatPieces(pieces);
    expect(openEdges(stitched)).toBe(0);
    expect(triangleSet(stitched)).toEqual(triangleSet(whole));
  });
});

describe('segment meshes of a layer (worker threads, per-chunk cache)', () => {
  it('returns watertight meshes matching the voxel count, rebuilding only chunks an edit touched', async () => {
    fx = await labelFixture({ resolution: [8, 4, 4] });
    const L = fx.layer.id;
    const [first] = await fx.service.meshesOf(L, [2], 0);
    expect(first.rebuiltChunks).toBe(first.chunks);
    expect(first.chunks).toBeGreaterThan(4);
    expect(openEdges(first)).toBe(0);
    const voxels = countsOf(fx.initial).get(2)!;
    expect(Math.abs(meshVolume(first) - voxels * 8 * 4 * 4) / (voxels * 128)).toBeLessThan(0.05);
    const again = await fx.service.meshesOf(L, [2], 0);
    expect(again[0].rebuiltChunks).toBe(0);
    expect(triangleSet(again[0])).toEqual(triangleSet(first));

    // Paint into the ball near one corner of the grid: only the pieces around that chunk are rebuilt.
    await fx.service.paint({ layerId: L, segmentId: 2, axis: 'z', points: [[17, 40, 40]], radius: 2 });
    const [updated] = await fx.service.meshesOf(L, [2], 0);
    expect(updated.rebuiltChunks).toBeGreaterThan(0);
    expect(updated.rebuiltChunks).toBeLessThan(updated.chunks);
    expect(openEdges(updated)).toBe(0);
    fx.service.meshes.invalidateLayer(L);
    const [full] = await fx.service.meshesOf(L, [2], 0);
    expect(full.rebuiltChunks).toBe(full.chunks);
    expect(triangleSet(updated)).toEqual(triangleSet(full));
    const counted = (await fx.service.getSegments(L, [2]))[0].voxelCount;
    expect(Math.abs(meshVolume(full) - counted * 128) / (counted * 128)).toBeLessThan(0.05);
  });

  it('meshes a fragment layer segment as the union of its fragments and follows merges', async () => {
    fx = await labelFixture({ kind: 'fragments', data: sampleFragments(), mapping: (f) => Math.floor(f / 100) });
    const L = fx.layer.id;
    const [one] = await fx.service.meshesOf(L, [1], 0);
    const [two] = await fx.service.meshesOf(L, [2], 0);
    expect(openEdges(one)).toBe(0);
    // A segment's mesh has no internal walls between its fragments: volume = its voxels.
    let ones = 0;
    for (let i = 0; i < fx.initial.length; i++) if (Math.floor(fx.initial[i] / 100) === 1) ones++;
    expect(Math.abs(meshVolume(one) - ones * 64) / (ones * 64)).toBeLessThan(0.05);
    await fx.service.merge({ layerId: L, target: 1, source: 2 });
    const [merged] = await fx.service.meshesOf(L, [1], 0);
    expect(openEdges(merged)).toBe(0);
    expect(meshVolume(merged)).toBeCloseTo(meshVolume(one) + meshVolume(two), 0); // disjoint parts: volumes add
    await fx.service.undo();
    const [back] = await fx.service.meshesOf(L, [1], 0);
    expect(triangleSet(back)).toEqual(triangleSet(one));
  });
});
