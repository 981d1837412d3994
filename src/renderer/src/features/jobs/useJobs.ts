import { useEffect, useState } from 'react';
import type { JobInfo } from '@shared/api/jobs';
import { useApi, useApiEvent } from '../../api/context';

/** This session's jobs, kept live from job.updated events, newest first. */
export function useJobs(): JobInfo[] {
  const api = useApi();
  const [jobs, setJobs] = useState<Map<string, JobInfo>>(new Map());
  useEffect(() => {
    void api.call('jobs.list', {}).then((list) => setJobs(new Map(list.map((j) => [j.id, j]))));
  }, [api]);
  useApiEvent('job.updated', (job) => setJobs((prev) => new Map(prev).set(job.id, job)));
  return [...jobs.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

export const isActive = (j: JobInfo) => j.state === 'running' || j.state === 'queued';
