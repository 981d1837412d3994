import { z } from 'zod';
import { method, NoParams } from './method';

export const JobState = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted']);

export const JobInfo = z.object({
  id: z.string(),
  kind: z.string(),
  title: z.string(),
  state: JobState,
  progress: z.number(),
  message: z.string(),
  etaSeconds: z.number().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  error: z.string().nullable(),
  errorCode: z.string().nullable(),
  result: z.unknown(),
});
export type JobInfo = z.infer<typeof JobInfo>;

const JobId = z.object({ id: z.string().uuid() }).strict();

export const jobsApi = {
  'jobs.list': method(NoParams, z.array(JobInfo)),
  'jobs.cancel': method(JobId, JobInfo),
  /** A job that only waits and reports progress: lets a user (and the tests) check the job system. */
  'jobs.selfTest': method(z.object({ seconds: z.number().min(0.05).max(600) }).strict(), JobInfo),
};
