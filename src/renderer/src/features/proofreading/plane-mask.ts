/**
 * The voxels of one slice plane (a brush stroke being drawn or committed), kept as an RGBA
 * bitmap in the plane's screen axes so an overlay can draw it with one scaled drawImage.
 * The bitmap grows (doubling) as the stroke leaves it, so its size follows the stroke, not the
 * volume.
 */
export class PlaneMask {
  /** Volume axis running right (h) and down (v) in the view whose plane this is. */
  readonly h: number;
  readonly v: number;
  private h0 = 0;
  private v0 = 0;
  private w = 0;
  private hgt = 0;
  private rgba = new Uint8ClampedArray(0);
  private count = 0;
  /** Bumped whenever a voxel is added (overlay caches compare it). */
  revision = 0;

  constructor(
    /** The axis across the plane (0 = z, 1 = y, 2 = x). */
    readonly normal: number,
    /** Level-0 slice index along `normal`. */
    readonly slice: number,
    axes: { h: number; v: number },
    readonly color: [number, number, number, number],
  ) {
    this.h = axes.h;
    this.v = axes.v;
  }

  get size(): number {
    return this.count;
  }

  /** Bitmap origin (h, v) in voxels, size, and pixels (RGBA, row-major along v). */
  get bitmap(): { h0: number; v0: number; width: number; height: number; data: Uint8ClampedArray } {
    return { h0: this.h0, v0: this.v0, width: this.w, height: this.hgt, data: this.rgba };
  }

  /** Adds a voxel given in [z, y, x]; voxels outside the plane are ignored. Returns true when new. */
  add(voxel: readonly number[]): boolean {
    if (voxel[this.normal] !== this.slice) return false;
    const ph = voxel[this.h];
    const pv = voxel[this.v];
    this.ensure(ph, pv);
    const i = ((pv - this.v0) * this.w + (ph - this.h0)) * 4;
    if (this.rgba[i + 3] !== 0) return false;
    this.rgba.set(this.color, i);
    this.count++;
    this.revision++;
    return true;
  }

  has(ph: number, pv: number): boolean {
    if (ph < this.h0 || pv < this.v0 || ph >= this.h0 + this.w || pv >= this.v0 + this.hgt) return false;
    return this.rgba[((pv - this.v0) * this.w + (ph - this.h0)) * 4 + 3] !== 0;
  }

  /**
   * The runs of voxels on the line where another view's plane cuts this one: that view's
   * normal axis `axis` is at `at`; runs go along the remaining in-plane axis, [start, end).
   */
  lineRuns(axis: number, at: number): { along: number; runs: [number, number][] } | null {
    if (axis === this.normal || (axis !== this.h && axis !== this.v)) return null;
    const along = axis === this.h ? this.v : this.h;
    const runs: [number, number][] = [];
    const [lo, hi] = along === this.h ? [this.h0, this.h0 + this.w] : [this.v0, this.v0 + this.hgt];
    let start = -1;
    for (let p = lo; p <= hi; p++) {
      const inside = p < hi && (axis === this.h ? this.has(at, p) : this.has(p, at));
      if (inside && start < 0) start = p;
      if (!inside && start >= 0) {
        runs.push([start, p]);
        start = -1;
      }
    }
    return { along, runs };
  }

  private ensure(ph: number, pv: number): void {
    if (this.w > 0 && ph >= this.h0 && pv >= this.v0 && ph < this.h0 + this.w && pv < this.v0 + this.hgt) return;
    if (this.w === 0) {
      this.h0 = ph - 32;
      this.v0 = pv - 32;
      this.w = 64;
      this.hgt = 64;
      this.rgba = new Uint8ClampedArray(64 * 64 * 4);
      return;
    }
    let h0 = this.h0;
    let v0 = this.v0;
    let w = this.w;
    let hgt = this.hgt;
    while (ph < h0) {
      h0 -= w;
      w *= 2;
    }
    while (ph >= h0 + w) w *= 2;
    while (pv < v0) {
      v0 -= hgt;
      hgt *= 2;
    }
    while (pv >= v0 + hgt) hgt *= 2;
    const next = new Uint8ClampedArray(w * hgt * 4);
    for (let row = 0; row < this.hgt; row++) {
      const src = this.rgba.subarray(row * this.w * 4, (row + 1) * this.w * 4);
      next.set(src, ((row + this.v0 - v0) * w + (this.h0 - h0)) * 4);
    }
    this.h0 = h0;
    this.v0 = v0;
    this.w = w;
    this.hgt = hgt;
    this.rgba = next;
  }
}
