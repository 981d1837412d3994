import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statfsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../../src/main/cli/command';
import type { CliIO } from '../../../src/main/cli/io';
import { Project } from '../../../src/main/store/project';
import type { Vec3 } from '../../../src/main/volumes/box';
import { exportCliCommand } from '../../../src/main/exports/cli';
import { createLayerFromArray } from '../../../src/main/volumes/create-layer';
import { NO_SPACE_PREFIX } from '../../../src/main/exports/atomic';
import { EXPORTERS, exportLayer, registerExporter } from '../../../src/main/exports/index';
import { newProject, suiteDir } from '../../helpers/volumes';
import { fragmentProject, randomVolume } from './helpers';

const FORMATS = ['tiff', 'hdf5', 'zarr', 'n5', 'precomputed'] as const;
const SHAPE: Vec3 = [16, 256, 256];

/** A 1 MiB tmpfs, when this process may mount one (root in a permissive container); else null. */
function mountTinyDisk(at: string): boolean {
  mkdirSync(at, { recursive: true });
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  return spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', at]).status === 0;
}

describe('exports never leave a file that looks complete', () => {
  const dir = suiteDir('tu-exatomic-');
  const disk = join(dir, 'tiny');
  let mounted = false;
  let project: Project;
  let fragProject: Project;

  beforeAll(async () => {
    project = newProject(dir);
    // Random bytes do not compress: every format needs more than the tiny disk holds.
    await createLayerFromArray(project, { name: 'noise', kind: 'image', dtype: 'uint8', data: randomVolume('uint8', SHAPE, 9), shape: SHAPE, resolution: [40, 4, 4] });
    fragProject = newProject(dir);
    await fragmentProject(fragProject, [8, 40, 48], [40, 8, 8]);
    mounted = mountTinyDisk(disk);
    if (!mounted) console.warn('SKIPPED full-disk exports on a real file system: cannot mount a 1 MiB tmpfs here (needs root); the injected ENOSPC test still runs');
  });

  afterAll(() => {
    if (mounted) spawnSync('umount', [disk]);
  });

  it('a cancelled export (mid-write, every format) leaves nothing, not even a temporary', async () => {
    for (const format of FORMATS) {
      const abort = new AbortController();
      let calls = 0;
      const out = join(dir, `cancelled-${format}`);
      await expect(
        exportLayer(project, 'noise', out, {
          format,
          signal: abort.signal,
          blockBytes: 256 * 1024,
          chunkShape: [4, 64, 64],
          progress: () => {
            if (++calls === 2) abort.abort();
          },
        }),
      ).rejects.toMatchObject({ code: 'CANCELLED' });
      expect(calls, format).toBeGreaterThanOrEqual(2);
    }
    // Fragments exports with their side file too.
    const abort = new AbortController();
    abort.abort();
    await expect(exportLayer(fragProject, 'frags', join(dir, 'cancelled-frags.tif'), { format: 'tiff', mapping: 'fragments', signal: abort.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(readdirSync(dir).filter((n) => n.startsWith('cancelled') || n.includes('.partial-'))).toEqual([]);
  });

  it('a write failing with ENOSPC becomes NO_SPACE naming the file, and the partial output is removed', async () => {
    registerExporter({
      format: 'half-written',
      description: 'test exporter: writes part of its output, then the disk is full',
      folder: false,
      extensions: [],
      write: async (_src, path) => {
        await writeFile(path, 'the first half');
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
    });
    try {
      const out = join(dir, 'full.bin');
      const err = await exportLayer(fragProject, 'frags', out, { format: 'half-written', mapping: 'fragments' }).catch((e) => e);
      expect(err).toMatchObject({ code: 'NO_SPACE', message: expect.stringContaining(out) });
      expect(err.message.startsWith(NO_SPACE_PREFIX)).toBe(true);
      expect(readdirSync(dir).filter((n) => n.startsWith('full.bin') || n.includes('.partial-'))).toEqual([]);
    } finally {
      EXPORTERS.delete('half-written');
    }
  });

  it('on a full disk (1 MiB tmpfs) every format fails with NO_SPACE and the disk is left empty', async (ctx) => {
    if (!mounted) ctx.skip();
    for (const format of FORMATS) {
      const out = join(disk, `noise-${format}`);
      const err = await exportLayer(project, 'noise', out, { format }).catch((e) => e);
      expect(err, format).toMatchObject({ code: 'NO_SPACE', message: expect.stringContaining(out) });
      expect(readdirSync(disk), format).toEqual([]);
    }
    const s = statfsSync(disk);
    expect(Number(s.bavail) * Number(s.bsize)).toBeGreaterThan(900 * 1024);
  });

  it('the CLI reports a full disk as NO_SPACE (the job runs in a worker thread)', async (ctx) => {
    if (!mounted) ctx.skip();
    const io: CliIO = { out: () => undefined, err: () => undefined, json: () => undefined, progress: () => undefined };
    // The CLI opens (and locks) its project itself: give it one of its own.
    const cliProject = Project.create(join(dir, 'cli-project'));
    await createLayerFromArray(cliProject, { name: 'noise', kind: 'image', dtype: 'uint8', data: randomVolume('uint8', SHAPE, 5), shape: SHAPE, resolution: [40, 4, 4] });
    cliProject.close();
    const argv = [join(dir, 'cli-project'), 'noise', join(disk, 'cli.h5')];
    await expect(exportCliCommand.run(parseCommandArgs(exportCliCommand, argv), io)).rejects.toMatchObject({ code: 'NO_SPACE' });
    expect(readdirSync(disk)).toEqual([]);
  });
});
