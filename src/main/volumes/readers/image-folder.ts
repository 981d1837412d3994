import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { decode as decodePng } from 'fast-png';
import { AppError } from '../../errors';
import type { Vec3 } from '../box';
import { allocate, type DType, type VoxelArray } from '../dtypes';
import { LruCache } from '../lru';
import { assertUniformPages, PageStackReader, type Page } from './page-stack';
import { openTiffPages, tiffResolution } from './tiff';
import { fileOpenedPerRead } from './tiff-ifd';

const IMAGE_EXTENSIONS = new Set(['.tif', '.tiff', '.png']);
/** PNG pages decode whole: keep a chunk-deep slab of them (16 pages of up to 16 MiB). */
const DECODED_PAGES_BYTES = 256 * 1024 * 1024;
const DECODED_TIFF_BYTES = 32 * 1024 * 1024;

/** Section files of a folder in natural order (img2 before img10). */
export function listSectionFiles(dir: string): string[] {
  const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
  return readdirSync(dir)
    .filter((n) => !n.startsWith('.') && IMAGE_EXTENSIONS.has(extname(n).toLowerCase()))
    .sort(collator.compare);
}

/** A PNG section: decoded whole (PNG has no random access), kept in a shared LRU. */
class PngPage implements Page {
  constructor(
    private readonly file: string,
    readonly width: number,
    readonly height: number,
    readonly dtype: DType,
    private readonly cache: LruCache<string, VoxelArray>,
  ) {}

  async readRows(y0: number, y1: number, x0: number, x1: number): Promise<VoxelArray> {
    const full = await this.cache.getOrLoad(this.file, async () => {
      const png = await decodeGreyPng(this.file);
      if (png.width !== this.width || png.height !== this.height || png.dtype !== this.dtype) {
        throw new AppError('UNSUPPORTED', `${this.file} is ${png.height}x${png.width} ${png.dtype} but the first section is ${this.height}x${this.width} ${this.dtype}; a stack needs equal sections`);
      }
      return png.data;
    });
    const w = x1 - x0;
    const out = allocate(this.dtype, (y1 - y0) * w);
    const src = full as Uint8Array;
    const dst = out as Uint8Array;
    for (let y = y0; y < y1; y++) dst.set(src.subarray(y * this.width + x0, y * this.width + x1), (y - y0) * w);
    return out;
  }
}

async function decodeGreyPng(file: string): Promise<{ width: number; height: number; dtype: DType; data: VoxelArray }> {
  let png: ReturnType<typeof decodePng>;
  try {
    png = decodePng(await readFile(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AppError('NOT_FOUND', `cannot open ${file}: no such file`);
    throw new AppError('CORRUPT_FILE', `${file}: not a readable PNG (${(err as Error).message})`);
  }
  if (png.palette) throw new AppError('UNSUPPORTED', `${file} is a palette PNG; only greyscale PNGs (8 or 16 bit) are supported`);
  if (png.channels !== 1) throw new AppError('UNSUPPORTED', `${file} has ${png.channels} channels (colour or alpha); only greyscale PNGs are supported`);
  if (png.depth !== 8 && png.depth !== 16) throw new AppError('UNSUPPORTED', `${file} is a ${png.depth}-bit PNG; only 8 and 16 bit are supported`);
  const dtype: DType = png.depth === 16 ? 'uint16' : 'uint8';
  const data = png.data as Uint8Array | Uint16Array;
  if (data.length < png.width * png.height) throw new AppError('CORRUPT_FILE', `${file}: image data is truncated`);
  return { width: png.width, height: png.height, dtype, data };
}

/** A folder of per-section TIFF and/or PNG files, sorted naturally, stacked along z. */
export async function openImageFolder(dir: string): Promise<PageStackReader> {
  const files = listSectionFiles(dir);
  if (files.length === 0) throw new AppError('BAD_REQUEST', `${dir} holds no .tif, .tiff or .png section files`);
  return openSections(dir, files.map((f) => join(dir, f)));
}

/** A single PNG file: a volume of one section. */
export async function openSinglePng(path: string): Promise<PageStackReader> {
  return openSections(path, [path]);
}

async function openSections(label: string, paths: string[]): Promise<PageStackReader> {
  const pngCache = new LruCache<string, VoxelArray>(DECODED_PAGES_BYTES, (a) => a.byteLength);
  const tiffCache = new LruCache<string, Uint8Array>(DECODED_TIFF_BYTES, (b) => b.byteLength);
  const pages: Page[] = [];
  const labels: string[] = [];
  let resolution: Vec3 | null = null;
  try {
    for (const path of paths) {
      const name = basename(path);
      if (extname(name).toLowerCase() === '.png') {
        // fast-png has no header-only API: decode the first section now; the others are checked when decoded.
        if (pages.length === 0) {
          const first = await decodeGreyPng(path);
          pages.push(new PngPage(path, first.width, first.height, first.dtype, pngCache));
          pngCache.set(path, first.data);
        } else {
          const p0 = pages[0];
          pages.push(new PngPage(path, p0.width, p0.height, p0.dtype, pngCache));
        }
        labels.push(name);
      } else {
        const { pages: tp, file, firstEntries } = await openTiffPages(path, fileOpenedPerRead(path), tiffCache, `${name} `);
        if (resolution === null) resolution = await tiffResolution(file, firstEntries).catch(() => null);
        tp.forEach((p, i) => {
          pages.push(p);
          labels.push(tp.length > 1 ? `${name} page ${i}` : name);
        });
      }
    }
    assertUniformPages(
      label,
      pages.map((p, i) => ({ width: p.width, height: p.height, dtype: p.dtype, label: labels[i] })),
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AppError('NOT_FOUND', `${label}: a section file vanished (${(err as Error).message})`);
    throw err;
  }
  return new PageStackReader(label, 'image-folder', pages, resolution, { files: paths.length }, async () => {
    pngCache.clear();
    tiffCache.clear();
  });
}
