import { describe, expect, it } from 'vitest';
import { mapLimit } from '../../../src/main/volumes/concurrency';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mapLimit', () => {
  it('keeps at most `limit` calls in flight and resolves in input order', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (x) => {
      most = Math.max(most, ++inFlight);
      await sleep(x);
      inFlight--;
      return x * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });

  it('after a failure starts nothing new and rejects only when the calls in flight have settled', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const run = mapLimit([0, 1, 2, 3, 4, 5], 3, async (i) => {
      started.push(i);
      if (i === 0) {
        await sleep(1);
        throw new Error('disk full');
      }
      await sleep(30);
      finished.push(i);
      return i;
    });
    await expect(run).rejects.toThrow('disk full');
    // 1 and 2 were in flight when 0 failed: both finished before the rejection; 3.. never started.
    expect(started).toEqual([0, 1, 2]);
    expect(finished.sort()).toEqual([1, 2]);
  });
});
