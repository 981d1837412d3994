/**
 * 3D connected components (6-connectivity, equal non-zero labels) of a label volume too large
 * for memory, block by block: each block is labelled on its own (native kernel), ids offset to
 * be unique, and components that touch across a block face with the same label are joined in a
 * union-find. A second pass relabels each block through the union-find. The partition equals
 * skimage.measure.label(labels, connectivity=1) of the whole volume (ids differ).
 */
import { AppError } from '../../errors';
import { connectedComponents } from '../../segmentation/index';
import { boxSize, type Box, type Vec3 } from '../../volumes/box';
import { tileBoxes } from '../windows';

export class UnionFind {
  private parent: Uint32Array;

  constructor(size = 1024) {
    this.parent = new Uint32Array(size);
    for (let i = 0; i < size; i++) this.parent[i] = i;
  }

  private grow(n: number): void {
    if (n <= this.parent.length) return;
    const next = new Uint32Array(Math.max(n, this.parent.length * 2));
    next.set(this.parent);
    for (let i = this.parent.length; i < next.length; i++) next[i] = i;
    this.parent = next;
  }

  find(x: number): number {
    this.grow(x + 1);
    let r = x;
    while (this.parent[r] !== r) r = this.parent[r];
    while (this.parent[x] !== r) {
      const n = this.parent[x];
      this.parent[x] = r;
      x = n;
    }
    return r;
  }

  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

export type LabelBlockReader = (box: Box) => Promise<Uint32Array>;

interface Face {
  labels: Uint32Array;
  ids: Uint32Array;
}

/** The plane of a block's array at index `index` along `axis`. */
function plane(data: Uint32Array, shape: Vec3, axis: number, index: number): Uint32Array {
  const [Z, Y, X] = shape;
  if (axis === 0) return data.slice(index * Y * X, (index + 1) * Y * X);
  const out = new Uint32Array(axis === 1 ? Z * X : Z * Y);
  let o = 0;
  for (let z = 0; z < Z; z++)
    if (axis === 1) for (let x = 0; x < X; x++) out[o++] = data[(z * Y + index) * X + x];
    else for (let y = 0; y < Y; y++) out[o++] = data[(z * Y + y) * X + index];
  return out;
}

/** Block-wise 3D connected components over `region`; `relabel(box)` gives any block's final ids. */
export class BlockwiseComponents {
  private readonly uf = new UnionFind();
  private readonly offsets = new Map<string, number>();

  private constructor(
    private readonly read: LabelBlockReader,
    readonly blocks: Box[],
  ) {}

  static async build(read: LabelBlockReader, region: Box, blockShape: Vec3, signal?: AbortSignal, onBlock?: (done: number, total: number) => void): Promise<BlockwiseComponents> {
    const blocks = tileBoxes(region, blockShape);
    const bc = new BlockwiseComponents(read, blocks);
    const faces = new Map<string, Face>();
    let next = 1;
    for (let b = 0; b < blocks.length; b++) {
      if (signal?.aborted) throw new AppError('CANCELLED', 'connected components cancelled');
      const box = blocks[b];
      const shape = boxSize(box);
      const labels = await read(box);
      const cc = await connectedComponents(labels, shape);
      const offset = next - 1;
      bc.offsets.set(key(box.min), offset);
      next += cc.count;
      const ids = cc.labels.map((v) => (v ? v + offset : 0));
      for (let a = 0; a < 3; a++) {
        if (box.min[a] > region.min[a]) {
          const below = [...box.min] as Vec3;
          below[a] -= blockShape[a];
          const n = faces.get(`${a}:${key(below)}`);
          if (!n) throw new AppError('INTERNAL', 'connected components: a block face is missing');
          faces.delete(`${a}:${key(below)}`);
          const mine = { labels: plane(labels, shape, a, 0), ids: plane(ids, shape, a, 0) };
          for (let i = 0; i < mine.labels.length; i++) if (mine.labels[i] && mine.labels[i] === n.labels[i]) bc.uf.union(mine.ids[i], n.ids[i]);
        }
        if (box.max[a] < region.max[a]) faces.set(`${a}:${key(box.min)}`, { labels: plane(labels, shape, a, shape[a] - 1), ids: plane(ids, shape, a, shape[a] - 1) });
      }
      onBlock?.(b + 1, blocks.length);
    }
    return bc;
  }

  /** Final component ids of one of the blocks (same boxes as `blocks`). */
  async relabel(box: Box): Promise<Uint32Array> {
    const offset = this.offsets.get(key(box.min));
    if (offset === undefined) throw new AppError('INTERNAL', 'connected components: not a block of this grid');
    const cc = await connectedComponents(await this.read(box), boxSize(box));
    return cc.labels.map((v) => (v ? this.uf.find(v + offset) : 0));
  }
}

function key(v: readonly number[]): string {
  return v.join(',');
}
