import { hash3, Random } from './random';

export type Vec3 = [number, number, number];

export interface SyntheticSpec {
  /** Volume shape [z, y, x] in voxels. */
  shape: Vec3;
  /** Voxel size [z, y, x] in nanometres (anisotropic like serial-section EM). */
  resolution?: Vec3;
  seed?: number;
  /** Mean in-plane radius of a neurite cross-section, in pixels. */
  meanRadius?: number;
  /** Membrane thickness in pixels. */
  membraneWidth?: number;
  /** In-plane Gaussian blur sigma in pixels (the microscope's point spread). */
  blurSigma?: number;
  /** Standard deviation of the pixel noise, in grey levels. */
  noiseSigma?: number;
  /** Relative amplitude of slice-to-slice brightness drift. */
  drift?: number;
  /** Probability that a neurite starts or ends inside the volume rather than crossing it. */
  endProbability?: number;
}

export interface SyntheticRegion {
  image: Uint8Array;
  /** Instance ids; 0 on membranes (like real EM ground truth, e.g. cardona2010). */
  labels: Uint32Array;
  start: Vec3;
  size: Vec3;
}

const DEFAULTS = {
  resolution: [40, 8, 8] as Vec3,
  seed: 1,
  meanRadius: 11,
  membraneWidth: 2.2,
  blurSigma: 1.0,
  noiseSigma: 12,
  drift: 0.08,
  endProbability: 0.35,
};

interface Neurite {
  id: number;
  x: Float32Array; // per z
  y: Float32Array;
  weight2: number; // squared power-diagram weight: bigger -> larger cross-section
  zStart: number;
  zEnd: number; // exclusive
  brightness: number;
}

interface SliceIndex {
  cell: number;
  cols: number;
  rows: number;
  buckets: Int32Array[]; // neurite indices per bucket
}

/**
 * EM-like synthetic volumes with exact instance labels: neurites are tubes that run roughly
 * along z and wander in-plane, cut as a power diagram per section (so cross-sections vary in
 * size), separated by dark membranes, with cytoplasm texture, vesicle-like dark dots, blur,
 * noise and slice-to-slice intensity drift. Any region can be rendered on its own and equals
 * the same region of the whole volume, so arbitrarily large volumes can be streamed.
 */
export class SyntheticEM {
  readonly spec: Required<SyntheticSpec>;
  private readonly neurites: Neurite[] = [];
  private readonly slices = new Map<number, SliceIndex>();

  constructor(spec: SyntheticSpec) {
    this.spec = { ...DEFAULTS, ...spec } as Required<SyntheticSpec>;
    const [Z, Y, X] = this.spec.shape;
    if (![Z, Y, X].every((n) => Number.isInteger(n) && n > 0)) throw new Error(`invalid synthetic shape ${JSON.stringify(spec.shape)}`);
    this.buildNeurites();
  }

  get shape(): Vec3 {
    return this.spec.shape;
  }

  get objectCount(): number {
    return this.neurites.length;
  }

  private buildNeurites(): void {
    const { shape, meanRadius: r, endProbability, seed } = this.spec;
    const [Z, Y, X] = shape;
    const rng = new Random(seed);
    const margin = 2 * r;
    const area = (Y + 2 * margin) * (X + 2 * margin);
    const count = Math.max(2, Math.round((area / (Math.PI * r * r)) * 0.95));
    for (let i = 0; i < count; i++) {
      const x = new Float32Array(Z);
      const y = new Float32Array(Z);
      let px = rng.uniform(-margin, X + margin);
      let py = rng.uniform(-margin, Y + margin);
      let vx = rng.normal(0, 0.6);
      let vy = rng.normal(0, 0.6);
      for (let z = 0; z < Z; z++) {
        x[z] = px;
        y[z] = py;
        vx = 0.9 * vx + rng.normal(0, 0.25);
        vy = 0.9 * vy + rng.normal(0, 0.25);
        px += vx;
        py += vy;
      }
      let zStart = 0;
      let zEnd = Z;
      if (Z > 4 && rng.chance(endProbability)) {
        if (rng.chance(0.5)) zStart = rng.int(1, Z - 1);
        else zEnd = rng.int(1, Z - 1) + 1;
      }
      const w = r * Math.exp(rng.normal(0, 0.3)) * 0.8;
      this.neurites.push({ id: i + 1, x, y, weight2: w * w, zStart, zEnd, brightness: 158 + rng.normal(0, 12) });
    }
  }

  private sliceIndex(z: number): SliceIndex {
    const cached = this.slices.get(z);
    if (cached) return cached;
    const [, Y, X] = this.spec.shape;
    const cell = Math.max(8, Math.ceil(this.spec.meanRadius * 2.5));
    const pad = 2; // buckets outside the volume on each side hold neurites near the edges
    const cols = Math.ceil(X / cell) + 2 * pad;
    const rows = Math.ceil(Y / cell) + 2 * pad;
    const lists: number[][] = Array.from({ length: cols * rows }, () => []);
    this.neurites.forEach((n, i) => {
      if (z < n.zStart || z >= n.zEnd) return;
      const c = Math.floor(n.x[z] / cell) + pad;
      const r = Math.floor(n.y[z] / cell) + pad;
      if (c >= 0 && c < cols && r >= 0 && r < rows) lists[r * cols + c].push(i);
    });
    const index: SliceIndex = { cell, cols, rows, buckets: lists.map((l) => Int32Array.from(l)) };
    if (this.slices.size > 512) this.slices.clear();
    this.slices.set(z, index);
    return index;
  }

  /** Label (0 = membrane) and distance-to-boundary of one pixel of section z. */
  private classify(z: number, y: number, x: number, index: SliceIndex, out: { id: number; brightness: number }): void {
    const { cell, cols, rows, buckets } = index;
    const pad = 2;
    const bc = Math.floor(x / cell) + pad;
    const br = Math.floor(y / cell) + pad;
    let best = -1;
    let second = -1;
    let d1 = Infinity;
    let d2 = Infinity;
    for (let r = br - 2; r <= br + 2; r++) {
      if (r < 0 || r >= rows) continue;
      for (let c = bc - 2; c <= bc + 2; c++) {
        if (c < 0 || c >= cols) continue;
        const list = buckets[r * cols + c];
        for (let k = 0; k < list.length; k++) {
          const n = this.neurites[list[k]];
          const dx = x - n.x[z];
          const dy = y - n.y[z];
          const d = dx * dx + dy * dy - n.weight2;
          if (d < d1) {
            d2 = d1;
            second = best;
            d1 = d;
            best = list[k];
          } else if (d < d2) {
            d2 = d;
            second = list[k];
          }
        }
      }
    }
    if (best < 0) {
      out.id = 0;
      out.brightness = 0;
      return;
    }
    const a = this.neurites[best];
    if (second >= 0) {
      const b = this.neurites[second];
      const sep = Math.hypot(a.x[z] - b.x[z], a.y[z] - b.y[z]);
      // Distance to the power-diagram bisector between the two nearest neurites.
      const toBoundary = sep > 0 ? (d2 - d1) / (2 * sep) : 0;
      if (toBoundary < this.spec.membraneWidth / 2) {
        out.id = 0;
        out.brightness = 0;
        return;
      }
    }
    out.id = a.id;
    out.brightness = a.brightness;
  }

  /** Renders the box [start, start + size) of the volume. */
  render(start: Vec3, size: Vec3): SyntheticRegion {
    const [Z, Y, X] = this.spec.shape;
    for (let a = 0; a < 3; a++) {
      if (start[a] < 0 || size[a] <= 0 || start[a] + size[a] > this.spec.shape[a]) {
        throw new Error(`region ${JSON.stringify({ start, size })} is outside the volume ${JSON.stringify([Z, Y, X])}`);
      }
    }
    const { blurSigma, noiseSigma, drift, seed } = this.spec;
    const halo = blurSigma > 0 ? Math.ceil(3 * blurSigma) : 0;
    const [z0, y0, x0] = start;
    const [dz, dy, dx] = size;
    const hy = dy + 2 * halo;
    const hx = dx + 2 * halo;
    const labels = new Uint32Array(dz * dy * dx);
    const image = new Uint8Array(dz * dy * dx);
    const plane = new Float32Array(hy * hx);
    const tmp = new Float32Array(hy * hx);
    const kernel = gaussianKernel(blurSigma, halo);
    const px = { id: 0, brightness: 0 };
    for (let k = 0; k < dz; k++) {
      const z = z0 + k;
      const index = this.sliceIndex(z);
      const gain = 1 + drift * Math.sin(z * 0.37 + seed) + (hash3(seed, z, -1, -1) - 0.5) * drift;
      for (let j = 0; j < hy; j++) {
        const y = y0 + j - halo;
        for (let i = 0; i < hx; i++) {
          const x = x0 + i - halo;
          this.classify(z, y, x, index, px);
          let v: number;
          if (px.id === 0) {
            v = 55 + 10 * hash3(seed + 7, z, y, x);
          } else {
            // Cytoplasm texture on a coarse lattice plus sparse dark vesicles.
            v = px.brightness + 14 * (smoothNoise(seed + px.id, z, y / 6, x / 6) - 0.5);
            if (hash3(seed + 13, z, y >> 2, x >> 2) < 0.015) v -= 70;
          }
          plane[j * hx + i] = v;
          if (j >= halo && j < halo + dy && i >= halo && i < halo + dx) {
            labels[(k * dy + (j - halo)) * dx + (i - halo)] = px.id;
          }
        }
      }
      if (halo > 0) blurPlane(plane, tmp, hy, hx, kernel);
      for (let j = 0; j < dy; j++) {
        const y = y0 + j;
        for (let i = 0; i < dx; i++) {
          const x = x0 + i;
          const n = (hash3(seed + 101, z, y, x) + hash3(seed + 202, z, y, x) - 1) * Math.SQRT2 * 1.2247 * noiseSigma;
          const shade = 1 + 0.06 * (x / Math.max(1, X) - 0.5);
          const v = plane[(j + halo) * hx + (i + halo)] * gain * shade + n;
          image[(k * dy + j) * dx + i] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
        }
      }
    }
    return { image, labels, start, size };
  }

  /** The whole volume (mind the size: shape product bytes of image plus 4x that of labels). */
  renderAll(): SyntheticRegion {
    return this.render([0, 0, 0], this.spec.shape);
  }
}

function gaussianKernel(sigma: number, radius: number): Float32Array {
  const k = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    k[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
    sum += k[i + radius];
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/** Separable blur in place; borders keep the clamped-edge convention. */
function blurPlane(plane: Float32Array, tmp: Float32Array, h: number, w: number, k: Float32Array): void {
  const r = (k.length - 1) / 2;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let t = -r; t <= r; t++) s += k[t + r] * plane[y * w + Math.min(w - 1, Math.max(0, x + t))];
      tmp[y * w + x] = s;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let t = -r; t <= r; t++) s += k[t + r] * tmp[Math.min(h - 1, Math.max(0, y + t)) * w + x];
      plane[y * w + x] = s;
    }
  }
}

/** Bilinear value noise on an integer lattice, in [0, 1). */
function smoothNoise(seed: number, z: number, y: number, x: number): number {
  const yi = Math.floor(y);
  const xi = Math.floor(x);
  const fy = y - yi;
  const fx = x - xi;
  const a = hash3(seed, z, yi, xi);
  const b = hash3(seed, z, yi, xi + 1);
  const c = hash3(seed, z, yi + 1, xi);
  const d = hash3(seed, z, yi + 1, xi + 1);
  return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy;
}

/** Convenience: a whole synthetic volume in one call. */
export function generateSyntheticEM(spec: SyntheticSpec): SyntheticRegion & { shape: Vec3; resolution: Vec3; objectCount: number } {
  const em = new SyntheticEM(spec);
  return { ...em.renderAll(), shape: em.shape, resolution: em.spec.resolution, objectCount: em.objectCount };
}
