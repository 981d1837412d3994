import { AppError } from '../../errors';
import { boxSize, formatBox, formatShape, voxelCount, type Box, type Vec3 } from '../box';
import { mapLimit } from '../concurrency';
import { allocate, type DType, type VoxelArray } from '../dtypes';
import type { LevelInfo, VolumeFormat, VolumeReader } from './types';

/** One 2D section of a stack: a TIFF page, a PNG file. */
export interface Page {
  readonly width: number;
  readonly height: number;
  readonly dtype: DType;
  /** Voxels [y0, y1) x [x0, x1), row-major. */
  readRows(y0: number, y1: number, x0: number, x1: number): Promise<VoxelArray>;
}

/**
 * A volume made of equally sized 2D pages stacked along z. Reading a region touches only the
 * pages in its z range and, inside each, only the strips or tiles its rows and columns need.
 */
export class PageStackReader implements VolumeReader {
  readonly levels: LevelInfo[];
  readonly dtype: DType;

  constructor(
    readonly path: string,
    readonly format: VolumeFormat,
    private readonly pages: Page[],
    readonly resolution: Vec3 | null,
    readonly details: Record<string, unknown>,
    private readonly onClose: () => Promise<void>,
  ) {
    const p0 = pages[0];
    this.dtype = p0.dtype;
    const shape: Vec3 = [pages.length, p0.height, p0.width];
    this.levels = [{ shape, chunkShape: null, resolution: resolution ?? [1, 1, 1], factors: [1, 1, 1] }];
  }

  get shape(): Vec3 {
    return this.levels[0].shape;
  }

  async readRegion(box: Box, level = 0): Promise<VoxelArray> {
    if (level !== 0) throw new AppError('BAD_REQUEST', `${this.path} has a single resolution level`);
    const [nz, ny, nx] = boxSize(box);
    for (let i = 0; i < 3; i++) {
      if (box.min[i] < 0 || box.max[i] > this.shape[i] || box.min[i] >= box.max[i]) {
        throw new AppError('BAD_REQUEST', `region ${formatBox(box)} is outside ${this.path} (shape ${formatShape(this.shape)})`);
      }
    }
    const out = allocate(this.dtype, voxelCount(box));
    const plane = ny * nx;
    await mapLimit(Array.from({ length: nz }, (_, i) => i), 4, async (i) => {
      const rows = await this.pages[box.min[0] + i].readRows(box.min[1], box.max[1], box.min[2], box.max[2]);
      (out as unknown as { set(a: ArrayLike<never>, o: number): void }).set(rows as unknown as ArrayLike<never>, i * plane);
    });
    return out;
  }

  close(): Promise<void> {
    return this.onClose();
  }
}

/** Checks that every page matches the first one; names the first that does not. */
export function assertUniformPages(path: string, pages: { width: number; height: number; dtype: DType; label: string }[]): void {
  const p0 = pages[0];
  for (const p of pages) {
    if (p.width !== p0.width || p.height !== p0.height || p.dtype !== p0.dtype) {
      throw new AppError(
        'UNSUPPORTED',
        `${path}: ${p.label} is ${p.height}x${p.width} ${p.dtype} but ${p0.label} is ${p0.height}x${p0.width} ${p0.dtype}; a stack needs equal sections`,
      );
    }
  }
}
