import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { suiteDir } from '../../helpers/volumes';

const MB = 1024 * 1024;

describe('bounded memory', () => {
  const dir = suiteDir('tu-mem-');

  it('generates, exports, imports and reads a volume 10x the cache budget with flat peak RSS', () => {
    const params = { dir, shape: [24, 2048, 2048], cacheBytes: 8 * MB, blockBytes: 8 * MB };
    // A child process, so its resident memory is the volume code's alone.
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'helpers', 'volumes-memory-child.ts'), JSON.stringify(params)], {
      encoding: 'utf8',
      timeout: 150_000,
      cwd: join(__dirname, '..', '..', '..'),
    });
    expect(r.status, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      baseline: number;
      phases: Record<string, { quarter: number; end: number }>;
      volumeBytes: number;
      cacheMax: number;
      cacheBudget: number;
      mismatches: number;
      misses: number;
      seconds: number;
    };
    console.log(
      `memory test: volume ${(m.volumeBytes / MB).toFixed(0)} MiB, cache ${(m.cacheBudget / MB).toFixed(0)} MiB, baseline ${(m.baseline / MB).toFixed(0)} MiB, ` +
        Object.entries(m.phases)
          .map(([k, v]) => `${k} peak ${(v.quarter / MB).toFixed(0)} -> ${(v.end / MB).toFixed(0)} MiB`)
          .join(', ') +
        `, ${m.seconds.toFixed(1)} s`,
    );
    expect(m.volumeBytes).toBeGreaterThanOrEqual(10 * m.cacheBudget);
    expect(m.mismatches).toBe(0);
    expect(m.cacheMax).toBeLessThanOrEqual(m.cacheBudget);
    expect(m.misses).toBeGreaterThan(m.volumeBytes / m.cacheBudget); // the cache really cycled
    for (const [phase, p] of Object.entries(m.phases)) {
      // Three quarters of the phase's data went through after the first snapshot. Memory that
      // followed the data would grow by >= 0.75 x the volume; what remains is sub-phase noise
      // (the pyramid pass, GC timing).
      expect(p.end - p.quarter, phase).toBeLessThan(0.3 * m.volumeBytes);
    }
    const peak = Math.max(...Object.values(m.phases).map((p) => p.end));
    // cache + two source blocks + allocator/GC slack, whatever the volume's size
    expect(peak - m.baseline).toBeLessThan(m.cacheBudget + 2 * params.blockBytes + 160 * MB);
  }, 180_000);
});
