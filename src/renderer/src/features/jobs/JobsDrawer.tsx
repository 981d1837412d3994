import { Badge, Button, Drawer, Group, Progress, Stack, Text } from '@mantine/core';
import type { JobInfo } from '@shared/api/jobs';
import { useApi } from '../../api/context';
import { isActive } from './useJobs';

const STATE_COLOR: Record<JobInfo['state'], string> = {
  queued: 'gray',
  running: 'blue',
  succeeded: 'teal',
  failed: 'red',
  cancelled: 'yellow',
  interrupted: 'orange',
};

function formatEta(s: number | null): string {
  if (s === null) return '';
  if (s < 60) return `${Math.ceil(s)} s left`;
  return `${Math.floor(s / 60)} min ${Math.ceil(s % 60)} s left`;
}

export function JobRow({ job }: { job: JobInfo }) {
  const api = useApi();
  return (
    <Stack gap={4} data-testid="job-row" data-job-state={job.state}>
      <Group justify="space-between" wrap="nowrap">
        <Text fw={500} size="sm" truncate>
          {job.title}
        </Text>
        <Badge color={STATE_COLOR[job.state]} variant="light">
          {job.state}
        </Badge>
      </Group>
      <Progress value={job.progress * 100} animated={job.state === 'running'} color={STATE_COLOR[job.state]} />
      <Group justify="space-between" wrap="nowrap">
        <Text size="xs" c="dimmed" truncate>
          {job.error ?? job.message} {job.state === 'running' && formatEta(job.etaSeconds)}
        </Text>
        {isActive(job) && (
          <Button size="compact-xs" variant="subtle" color="red" onClick={() => void api.call('jobs.cancel', { id: job.id })}>
            Cancel
          </Button>
        )}
      </Group>
    </Stack>
  );
}

export function JobsDrawer({ opened, onClose, jobs }: { opened: boolean; onClose: () => void; jobs: JobInfo[] }) {
  const api = useApi();
  return (
    <Drawer opened={opened} onClose={onClose} position="right" title="Jobs" size="md" data-testid="jobs-drawer">
      <Stack>
        {jobs.length === 0 && <Text c="dimmed">No jobs in this session yet.</Text>}
        {jobs.map((j) => (
          <JobRow key={j.id} job={j} />
        ))}
        <Group justify="flex-end">
          <Button size="xs" variant="default" onClick={() => void api.call('jobs.selfTest', { seconds: 3 })} data-testid="job-self-test">
            Run job self-test
          </Button>
        </Group>
      </Stack>
    </Drawer>
  );
}
