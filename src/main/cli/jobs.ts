import { AppError } from '../errors';
import { jobError, JobRunner } from '../jobs/runner';
import type { Project } from '../store/project';
import type { CliIO } from './io';

/**
 * Runs a job from the command line with a progress bar. Ctrl+C asks the job to stop
 * (tasks save what they must, e.g. a training checkpoint) and the command exits cleanly;
 * a second Ctrl+C exits at once.
 */
export async function runJob<R>(project: Project | null, kind: string, params: unknown, io: CliIO, title?: string): Promise<R> {
  const runner = new JobRunner(1);
  const info = runner.start(project, kind, params, { title });
  runner.on('updated', (job) => {
    if (job.id === info.id) io.progress(job);
  });
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      io.err('\ninterrupted: stopping the job (press Ctrl+C again to quit at once)');
      runner.cancel(info.id);
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', onSigint);
  try {
    const done = await runner.wait(info.id);
    if (done.state === 'succeeded') return done.result as R;
    if (done.state === 'cancelled') throw new AppError('CANCELLED', `${done.title} stopped by the user; run the command again to resume where possible`);
    const err = jobError(done);
    throw new AppError(err.code, `${done.title} failed: ${err.message}`);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
