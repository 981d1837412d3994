/**
 * Naive surface nets on a binary mask, one chunk ("piece") at a time.
 *
 * A piece emits one quad for every face between an inside voxel of its own box and an outside
 * voxel (possibly in a neighbouring chunk or past the volume's edge). The quad joins the
 * vertices of the four cells (2x2x2 voxel cubes) around that face's dual edge; a cell's vertex
 * is the mean of the midpoints of its edges that cross the surface, a function of the cell's
 * eight voxels only. Neighbouring pieces therefore compute bit-identical vertices on their
 * shared border, and since every inside/outside face belongs to exactly one piece (the one
 * holding its inside voxel), the union of the pieces is closed: no cracks, no overlaps.
 */

export type Vec3 = [number, number, number];

export interface MeshPiece {
  /** x, y, z per vertex, in physical units. */
  positions: Float32Array;
  normals: Float32Array;
  indices: Uint32Array;
}

export interface PieceInput {
  /** 1 inside, 0 outside; C-order [z][y][x] over `dims`, starting at global voxel `origin`. */
  mask: Uint8Array;
  dims: Vec3;
  origin: Vec3;
  /** Global voxel box whose inside voxels this piece owns (must lie 1 voxel inside the mask's box). */
  own: { min: Vec3; max: Vec3 };
  /** Voxel size [z, y, x] (e.g. nm); voxel i's centre is at (i + 0.5) * size. */
  voxelSize: Vec3;
}

/** Per corner configuration (bit k = corner (k>>2 & 1, k>>1 & 1, k & 1) in z, y, x is inside): vertex offset and gradient. */
const OFFSET = new Float64Array(256 * 3);
const GRADIENT = new Float64Array(256 * 3);
(() => {
  const corner = (k: number): Vec3 => [(k >> 2) & 1, (k >> 1) & 1, k & 1];
  for (let cfg = 0; cfg < 256; cfg++) {
    const sum = [0, 0, 0];
    let n = 0;
    const g = [0, 0, 0];
    for (let k = 0; k < 8; k++) {
      const inside = (cfg >> k) & 1;
      const c = corner(k);
      for (let a = 0; a < 3; a++) g[a] += inside ? (c[a] ? 1 : -1) : 0;
      for (let a = 0; a < 3; a++) {
        if (c[a] !== 0) continue;
        const j = k | (1 << (2 - a));
        if (((cfg >> j) & 1) === inside) continue;
        for (let b = 0; b < 3; b++) sum[b] += b === a ? 0.5 : c[b];
        n++;
      }
    }
    for (let a = 0; a < 3; a++) {
      OFFSET[cfg * 3 + a] = n > 0 ? sum[a] / n : 0.5;
      GRADIENT[cfg * 3 + a] = g[a];
    }
  }
})();

export function surfaceNets(input: PieceInput): MeshPiece {
  const { mask, dims, origin, own, voxelSize } = input;
  const [D, H, W] = dims;
  const sy = W;
  const sz = H * W;
  const at = (z: number, y: number, x: number) => mask[(z - origin[0]) * sz + (y - origin[1]) * sy + (x - origin[2])];
  const vertexOf = new Int32Array(D * H * W).fill(-1);
  const pos: number[] = [];
  const nrm: number[] = [];
  const needsFaceNormal: number[] = [];
  const idx: number[] = [];

  /** Vertex of the cell with min corner (z, y, x), created on first use. */
  const vertex = (z: number, y: number, x: number): number => {
    const key = (z - origin[0]) * sz + (y - origin[1]) * sy + (x - origin[2]);
    const have = vertexOf[key];
    if (have >= 0) return have;
    let cfg = 0;
    for (let k = 0; k < 8; k++) if (at(z + ((k >> 2) & 1), y + ((k >> 1) & 1), x + (k & 1))) cfg |= 1 << k;
    const o = cfg * 3;
    const v = pos.length / 3;
    // Output is x, y, z; voxel centres sit at (i + 0.5) * size.
    pos.push((x + OFFSET[o + 2] + 0.5) * voxelSize[2], (y + OFFSET[o + 1] + 0.5) * voxelSize[1], (z + OFFSET[o] + 0.5) * voxelSize[0]);
    const gx = -GRADIENT[o + 2] / voxelSize[2];
    const gy = -GRADIENT[o + 1] / voxelSize[1];
    const gz = -GRADIENT[o] / voxelSize[0];
    const len = Math.hypot(gx, gy, gz);
    if (len > 0) nrm.push(gx / len, gy / len, gz / len);
    else {
      nrm.push(0, 0, 0);
      needsFaceNormal.push(v);
    }
    vertexOf[key] = v;
    return v;
  };

  const cell: Vec3 = [0, 0, 0];
  const quad = [0, 0, 0, 0];
  // Around an edge along axis a, cells in counter-clockwise order about +a (index space z, y, x).
  const ring: [number, number][] = [
    [0, 0],
    [-1, 0],
    [-1, -1],
    [0, -1],
  ];
  for (let z = own.min[0]; z < own.max[0]; z++) {
    for (let y = own.min[1]; y < own.max[1]; y++) {
      for (let x = own.min[2]; x < own.max[2]; x++) {
        if (!at(z, y, x)) continue;
        const p: Vec3 = [z, y, x];
        for (let a = 0; a < 3; a++) {
          for (const s of [1, -1]) {
            const q: Vec3 = [z, y, x];
            q[a] += s;
            if (at(q[0], q[1], q[2])) continue;
            const b = (a + 1) % 3;
            const c = (a + 2) % 3;
            for (let k = 0; k < 4; k++) {
              cell[a] = Math.min(p[a], q[a]);
              cell[b] = p[b] + ring[k][0];
              cell[c] = p[c] + ring[k][1];
              quad[k] = vertex(cell[0], cell[1], cell[2]);
            }
            // Counter-clockwise about +a in (z, y, x) index space is clockwise in (x, y, z)
            // output space (reversed axis order), so +a faces take the reversed ring.
            if (s > 0) idx.push(quad[0], quad[2], quad[1], quad[0], quad[3], quad[2]);
            else idx.push(quad[0], quad[1], quad[2], quad[0], quad[2], quad[3]);
          }
        }
      }
    }
  }
  const positions = Float32Array.from(pos);
  const normals = Float32Array.from(nrm);
  if (needsFaceNormal.length > 0) faceNormalsFor(positions, normals, idx, needsFaceNormal);
  return { positions, normals, indices: Uint32Array.from(idx) };
}

/** Area-weighted triangle normals for vertices whose cell gradient vanishes (symmetric configurations). */
function faceNormalsFor(positions: Float32Array, normals: Float32Array, idx: number[], vertices: number[]): void {
  const want = new Set(vertices);
  const acc = new Float64Array(normals.length);
  for (let t = 0; t < idx.length; t += 3) {
    const [i0, i1, i2] = [idx[t], idx[t + 1], idx[t + 2]];
    if (!want.has(i0) && !want.has(i1) && !want.has(i2)) continue;
    const ax = positions[i1 * 3] - positions[i0 * 3];
    const ay = positions[i1 * 3 + 1] - positions[i0 * 3 + 1];
    const az = positions[i1 * 3 + 2] - positions[i0 * 3 + 2];
    const bx = positions[i2 * 3] - positions[i0 * 3];
    const by = positions[i2 * 3 + 1] - positions[i0 * 3 + 1];
    const bz = positions[i2 * 3 + 2] - positions[i0 * 3 + 2];
    const n = [ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx];
    for (const i of [i0, i1, i2]) for (let a = 0; a < 3; a++) acc[i * 3 + a] += n[a];
  }
  for (const v of vertices) {
    const len = Math.hypot(acc[v * 3], acc[v * 3 + 1], acc[v * 3 + 2]) || 1;
    for (let a = 0; a < 3; a++) normals[v * 3 + a] = acc[v * 3 + a] / len;
  }
}

/** Concatenates pieces into one mesh (vertices on piece borders stay duplicated, at identical positions). */
export function concatPieces(pieces: MeshPiece[]): MeshPiece {
  let nv = 0;
  let ni = 0;
  for (const p of pieces) {
    nv += p.positions.length;
    ni += p.indices.length;
  }
  const positions = new Float32Array(nv);
  const normals = new Float32Array(nv);
  const indices = new Uint32Array(ni);
  let ov = 0;
  let oi = 0;
  for (const p of pieces) {
    positions.set(p.positions, ov);
    normals.set(p.normals, ov);
    const base = ov / 3;
    for (let i = 0; i < p.indices.length; i++) indices[oi + i] = p.indices[i] + base;
    ov += p.positions.length;
    oi += p.indices.length;
  }
  return { positions, normals, indices };
}

/** Enclosed volume by the divergence theorem (positive for outward-facing triangles). */
export function meshVolume(m: MeshPiece): number {
  const p = m.positions;
  let v = 0;
  for (let t = 0; t < m.indices.length; t += 3) {
    const a = m.indices[t] * 3;
    const b = m.indices[t + 1] * 3;
    const c = m.indices[t + 2] * 3;
    v += p[a] * (p[b + 1] * p[c + 2] - p[b + 2] * p[c + 1]) - p[a + 1] * (p[b] * p[c + 2] - p[b + 2] * p[c]) + p[a + 2] * (p[b] * p[c + 1] - p[b + 1] * p[c]);
  }
  return v / 6;
}
