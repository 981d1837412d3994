import { open, type FileHandle } from 'node:fs/promises';
import { AppError } from '../../errors';
import type { Vec3 } from '../box';
import { allocate, bytesPerVoxel, viewAs, type DType, type VoxelArray } from '../dtypes';
import { LruCache } from '../lru';
import { assertUniformPages, PageStackReader, type Page } from './page-stack';
import { compressionName, compressionSupported, decompressBlock, finishBlock } from './tiff-decode';
import { corrupt, heldFile, TAG, TiffFile, type FileAccess, type IfdEntry } from './tiff-ifd';
import { parseResolutionMetadata } from './tiff-metadata';

/**
 * Decoded strips/tiles kept per open file, so a strip cut by a block boundary is decoded once
 * (import reads chunk-deep slabs: about one strip per page needs to survive between blocks).
 */
const DECODED_CACHE_BYTES = 16 * 1024 * 1024;

interface Geometry {
  tiled: boolean;
  blockWidth: number;
  blockHeight: number;
  offsetsTag: number;
  countsTag: number;
}

class TiffPage implements Page {
  private offsets: Promise<{ offsets: number[]; counts: number[] }> | null = null;

  constructor(
    private readonly file: TiffFile,
    private readonly index: number,
    private readonly entries: Map<number, IfdEntry>,
    readonly width: number,
    readonly height: number,
    readonly dtype: DType,
    private readonly compression: number,
    private readonly predictor: number,
    private readonly geometry: Geometry,
    private readonly cache: LruCache<string, Uint8Array>,
  ) {}

  private label(): string {
    return `page ${this.index}`;
  }

  private blockTable(): Promise<{ offsets: number[]; counts: number[] }> {
    if (!this.offsets) {
      this.offsets = (async () => {
        const oe = this.entries.get(this.geometry.offsetsTag);
        const ce = this.entries.get(this.geometry.countsTag);
        if (!oe || !ce) throw corrupt(this.file.path, `${this.label()} has no strip/tile offsets`);
        const [offsets, counts] = await Promise.all([this.file.values(oe), this.file.values(ce)]);
        const g = this.geometry;
        const expected = Math.ceil(this.height / g.blockHeight) * Math.ceil(this.width / g.blockWidth);
        if (offsets.length < expected || counts.length < expected) {
          throw corrupt(this.file.path, `${this.label()} lists ${offsets.length} ${g.tiled ? 'tiles' : 'strips'}, expected ${expected}`);
        }
        return { offsets, counts };
      })();
      this.offsets.catch(() => (this.offsets = null));
    }
    return this.offsets;
  }

  /** Decoded little-endian samples of one strip or tile (cached). */
  private async block(i: number): Promise<Uint8Array> {
    // The decoded-block cache may be shared by the files of a folder: key by file too.
    return this.cache.getOrLoad(`${this.file.path}:${this.index}:${i}`, async () => {
      const { offsets, counts } = await this.blockTable();
      const bps = bytesPerVoxel(this.dtype);
      const g = this.geometry;
      const rows = g.tiled ? g.blockHeight : Math.min(g.blockHeight, this.height - i * g.blockHeight);
      const expected = rows * g.blockWidth * bps;
      if (offsets[i] + counts[i] > this.file.size) {
        throw corrupt(this.file.path, `${g.tiled ? 'tile' : 'strip'} ${i} of ${this.label()} lies beyond the end of the file (truncated?)`);
      }
      if (counts[i] === 0) return new Uint8Array(expected); // sparse files: missing blocks are zeros
      const raw = await this.file.read(offsets[i], counts[i]);
      let bytes: Uint8Array;
      try {
        bytes = await decompressBlock(this.compression, this.compression === 1 ? raw.slice() : raw, expected);
      } catch (err) {
        if (err instanceof AppError) throw err;
        throw corrupt(this.file.path, `${g.tiled ? 'tile' : 'strip'} ${i} of ${this.label()} does not decompress (${compressionName(this.compression)}): ${(err as Error).message}`);
      }
      if (bytes.length < expected) {
        throw corrupt(this.file.path, `${g.tiled ? 'tile' : 'strip'} ${i} of ${this.label()} decodes to ${bytes.length} bytes, expected ${expected}`);
      }
      if (bytes.length > expected) bytes = bytes.subarray(0, expected);
      return finishBlock(bytes, bps, g.blockWidth, this.predictor, this.file.header.littleEndian);
    });
  }

  async readRows(y0: number, y1: number, x0: number, x1: number): Promise<VoxelArray> {
    const g = this.geometry;
    const w = x1 - x0;
    const out = allocate(this.dtype, (y1 - y0) * w);
    const dst = out as unknown as { set(a: ArrayLike<never>, o: number): void };
    if (!g.tiled && this.compression === 1 && this.predictor === 1) return this.readRawRows(y0, y1, x0, x1, out);
    const firstCol = Math.floor(x0 / g.blockWidth);
    const lastCol = g.tiled ? Math.floor((x1 - 1) / g.blockWidth) : 0;
    const perRow = Math.ceil(this.width / g.blockWidth);
    const jobs: Promise<void>[] = [];
    for (let by = Math.floor(y0 / g.blockHeight); by <= Math.floor((y1 - 1) / g.blockHeight); by++) {
      for (let bx = firstCol; bx <= lastCol; bx++) {
        jobs.push(
          this.block(by * perRow + bx).then((bytes) => {
            const data = viewAs(this.dtype, bytes) as unknown as { subarray(a: number, b: number): ArrayLike<never> };
            const by0 = by * g.blockHeight;
            const bx0 = bx * g.blockWidth;
            const ya = Math.max(y0, by0);
            const yb = Math.min(y1, by0 + g.blockHeight, this.height);
            const xa = Math.max(x0, bx0);
            const xb = Math.min(x1, bx0 + g.blockWidth, this.width);
            for (let y = ya; y < yb; y++) {
              const s = (y - by0) * g.blockWidth + (xa - bx0);
              dst.set(data.subarray(s, s + (xb - xa)), (y - y0) * w + (xa - x0));
            }
          }),
        );
      }
    }
    await Promise.all(jobs);
    return out;
  }

  /** Uncompressed strips: read just the requested rows, however tall the strip. */
  private async readRawRows(y0: number, y1: number, x0: number, x1: number, out: VoxelArray): Promise<VoxelArray> {
    const { offsets, counts } = await this.blockTable();
    const g = this.geometry;
    const bps = bytesPerVoxel(this.dtype);
    const rowBytes = this.width * bps;
    const w = x1 - x0;
    const dst = out as unknown as { set(a: ArrayLike<never>, o: number): void };
    const jobs: Promise<void>[] = [];
    for (let s = Math.floor(y0 / g.blockHeight); s <= Math.floor((y1 - 1) / g.blockHeight); s++) {
      const sy0 = s * g.blockHeight;
      const ya = Math.max(y0, sy0);
      const yb = Math.min(y1, sy0 + g.blockHeight);
      const start = offsets[s] + (ya - sy0) * rowBytes;
      const length = (yb - ya) * rowBytes;
      if ((ya - sy0) * rowBytes + length > counts[s] || start + length > this.file.size) {
        throw corrupt(this.file.path, `strip ${s} of ${this.label()} is shorter than its rows (truncated?)`);
      }
      jobs.push(
        this.file.read(start, length).then((raw) => {
          const bytes = finishBlock(raw.slice(), bps, this.width, 1, this.file.header.littleEndian);
          const data = viewAs(this.dtype, bytes) as unknown as { subarray(a: number, b: number): ArrayLike<never> };
          for (let y = ya; y < yb; y++) {
            const a = (y - ya) * this.width + x0;
            dst.set(data.subarray(a, a + w), (y - y0) * w);
          }
        }),
      );
    }
    await Promise.all(jobs);
    return out;
  }
}

function dtypeOf(sampleFormat: number, bits: number): DType | null {
  const name = sampleFormat === 3 ? `float${bits}` : sampleFormat === 2 ? `int${bits}` : sampleFormat === 1 ? `uint${bits}` : '';
  return (['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'uint64', 'int64', 'float32', 'float64'] as const).find((d) => d === name) ?? null;
}

async function first(file: TiffFile, entries: Map<number, IfdEntry>, tag: number, fallback: number): Promise<number> {
  const e = entries.get(tag);
  if (!e) return fallback;
  const v = await file.values(e);
  return v.length ? v[0] : fallback;
}

/** The pages of one TIFF file (reduced-resolution pages skipped), validated as a stack. */
export async function openTiffPages(path: string, access: FileAccess, cache: LruCache<string, Uint8Array>, labelPrefix = ''): Promise<{ pages: TiffPage[]; file: TiffFile; firstEntries: Map<number, IfdEntry> }> {
  const file = await TiffFile.open(path, access);
  const ifds = await file.ifdOffsets();
  const pages: TiffPage[] = [];
  for (let i = 0; i < ifds.length; i++) {
    const e = ifds[i].entries;
    if ((await first(file, e, TAG.NewSubfileType, 0)) & 1) continue; // thumbnails / overviews
    const label = `${labelPrefix}page ${i}`;
    const width = await first(file, e, TAG.ImageWidth, 0);
    const height = await first(file, e, TAG.ImageLength, 0);
    if (!(width > 0 && height > 0)) throw corrupt(path, `${label} has no image size`);
    const spp = await first(file, e, TAG.SamplesPerPixel, 1);
    if (spp !== 1) throw new AppError('UNSUPPORTED', `${path}: ${label} has ${spp} samples per pixel (RGB/multichannel); only single-channel (grey or label) TIFFs are supported`);
    const bits = await first(file, e, TAG.BitsPerSample, 1);
    const format = await first(file, e, TAG.SampleFormat, 1);
    const dtype = dtypeOf(format, bits);
    if (!dtype) {
      const kind = format === 3 ? 'float' : format === 2 ? 'signed' : 'unsigned';
      throw new AppError('UNSUPPORTED', `${path}: ${label} holds ${bits}-bit ${kind} samples; supported are 8/16/32/64-bit integers and 32/64-bit floats`);
    }
    const compression = await first(file, e, TAG.Compression, 1);
    if (!compressionSupported(compression)) {
      throw new AppError('UNSUPPORTED', `${path}: ${label} uses ${compressionName(compression)} compression; supported are none, LZW, deflate, zstd and PackBits`);
    }
    const predictor = await first(file, e, TAG.Predictor, 1);
    if (![1, 2, 3].includes(predictor)) throw new AppError('UNSUPPORTED', `${path}: ${label} uses predictor ${predictor}; supported are 1, 2 and 3`);
    const tiled = e.has(TAG.TileWidth);
    const geometry: Geometry = tiled
      ? {
          tiled,
          blockWidth: await first(file, e, TAG.TileWidth, 0),
          blockHeight: await first(file, e, TAG.TileLength, 0),
          offsetsTag: TAG.TileOffsets,
          countsTag: TAG.TileByteCounts,
        }
      : {
          tiled,
          blockWidth: width,
          blockHeight: Math.min(height, await first(file, e, TAG.RowsPerStrip, height)) || height,
          offsetsTag: TAG.StripOffsets,
          countsTag: TAG.StripByteCounts,
        };
    if (!(geometry.blockWidth > 0 && geometry.blockHeight > 0)) throw corrupt(path, `${label} has an invalid tile size`);
    pages.push(new TiffPage(file, i, e, width, height, dtype, compression, predictor, geometry, cache));
  }
  if (pages.length === 0) throw corrupt(path, 'it holds no full-resolution image');
  return { pages, file, firstEntries: ifds[0].entries };
}

/** Voxel size from the first page's description / resolution tags (ours, ImageJ), or null. */
export async function tiffResolution(file: TiffFile, entries: Map<number, IfdEntry>): Promise<Vec3 | null> {
  const description = await file.ascii(entries.get(TAG.ImageDescription));
  const rational = async (tag: number) => {
    const e = entries.get(tag);
    if (!e) return null;
    const v = await file.values(e);
    return v.length >= 2 && v[1] !== 0 ? v[0] / v[1] : null;
  };
  return parseResolutionMetadata(description, await rational(TAG.XResolution), await rational(TAG.YResolution), await first(file, entries, TAG.ResolutionUnit, 2));
}

/** Opens a (Big)TIFF stack: every full-resolution page is one z section. */
export async function openTiffStack(path: string): Promise<PageStackReader> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new AppError('NOT_FOUND', `cannot open ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  try {
    const cache = new LruCache<string, Uint8Array>(DECODED_CACHE_BYTES, (b) => b.byteLength);
    const { pages, file, firstEntries } = await openTiffPages(path, heldFile(path, fh), cache);
    assertUniformPages(
      path,
      pages.map((p, i) => ({ width: p.width, height: p.height, dtype: p.dtype, label: `page ${i}` })),
    );
    const resolution = await tiffResolution(file, firstEntries).catch(() => null);
    const details = { bigTiff: file.header.bigTiff, pages: pages.length };
    return new PageStackReader(path, 'tiff', pages, resolution, details, async () => {
      cache.clear();
      await fh.close();
    });
  } catch (err) {
    await fh.close();
    throw err;
  }
}
