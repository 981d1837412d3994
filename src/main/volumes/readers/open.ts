import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AppError } from '../../errors';
import { openImageFolder, openSinglePng } from './image-folder';
import { isHdf5, openHdf5 } from './hdf5';
import { isN5, openN5 } from './n5';
import { isPrecomputed, openPrecomputed } from './precomputed';
import { openTiffStack } from './tiff';
import type { VolumeFormat, VolumeReader } from './types';
import { isZarr, openZarr } from './zarr';

export type SourceFormat = Exclude<VolumeFormat, 'memory' | 'store' | 'ome-zarr'> | 'png';

function magic(path: string, n: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(n);
    readSync(fd, b, 0, n, 0);
    return b;
  } finally {
    closeSync(fd);
  }
}

/** What a path holds, judged by content (magic bytes, metadata files), not by its name. */
export function detectFormat(path: string): SourceFormat {
  const p = resolve(path);
  if (!existsSync(p)) throw new AppError('NOT_FOUND', `${p} does not exist`);
  if (statSync(p).isDirectory()) {
    if (isPrecomputed(p)) return 'precomputed';
    if (isZarr(p)) return 'zarr';
    if (isN5(p) || existsSync(join(p, 'attributes.json'))) return 'n5';
    return 'image-folder';
  }
  const head = magic(p, 8);
  if ((head[0] === 0x49 && head[1] === 0x49) || (head[0] === 0x4d && head[1] === 0x4d)) return 'tiff';
  if (isHdf5(p)) return 'hdf5';
  if (head[0] === 0x89 && head[1] === 0x50 && head[2] === 0x4e && head[3] === 0x47) return 'png';
  throw new AppError('UNSUPPORTED', `${p} is not a format TokenUnify reads (TIFF, PNG, HDF5, or a Zarr/N5/precomputed folder)`);
}

export interface OpenVolumeOptions {
  /** Dataset / array path inside an HDF5, Zarr or N5 container. */
  dataset?: string;
  /** Picks CREMI's default HDF5 dataset when none is given. */
  kind?: 'image' | 'labels';
}

/** Opens any supported source for reading. The caller closes it. */
export async function openVolume(path: string, opts: OpenVolumeOptions = {}): Promise<VolumeReader> {
  const p = resolve(path);
  const format = detectFormat(p);
  switch (format) {
    case 'tiff':
      return openTiffStack(p);
    case 'png':
      return openSinglePng(p);
    case 'image-folder':
      return openImageFolder(p);
    case 'hdf5':
      return openHdf5(p, opts.dataset, opts.kind === 'labels' ? 'labels' : 'image');
    case 'zarr':
      return openZarr(p, opts.dataset);
    case 'n5':
      return openN5(p, opts.dataset);
    case 'precomputed':
      return openPrecomputed(p);
  }
}
