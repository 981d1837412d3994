import type { TaskFn } from './types';

/** A job that only waits, reporting progress: exercises the runner (tests, diagnostics). */
export const sleepTask: TaskFn<{ seconds: number; failAt?: number }, { slept: number }> = async (params, ctx) => {
  const steps = Math.max(1, Math.round(params.seconds * 20));
  for (let i = 0; i < steps; i++) {
    ctx.throwIfCancelled();
    if (params.failAt !== undefined && i / steps >= params.failAt) throw new Error('failing on purpose');
    await new Promise((r) => setTimeout(r, 50));
    ctx.progress((i + 1) / steps, `step ${i + 1}/${steps}`);
  }
  return { slept: params.seconds };
};
