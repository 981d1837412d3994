import { AppShell, Badge, Button, Group, Paper, Stack, Tabs, Text, Title, Tooltip } from '@mantine/core';
import { useState } from 'react';
import type { ProjectInfo } from '@shared/api/projects';
import { useApi } from '../../api/context';
import { JobsDrawer } from '../jobs/JobsDrawer';
import { isActive, useJobs } from '../jobs/useJobs';

/**
 * The workspace frame: header (project, jobs), left panel (layers), viewer area, right panel
 * (segments, tools), status bar. Each feature fills its own slot.
 */
export function Workspace({ project }: { project: ProjectInfo }) {
  const api = useApi();
  const jobs = useJobs();
  const [jobsOpen, setJobsOpen] = useState(false);
  const active = jobs.filter(isActive).length;

  return (
    <AppShell header={{ height: 48 }} navbar={{ width: 260, breakpoint: 0 }} aside={{ width: 300, breakpoint: 0 }} footer={{ height: 28 }} padding={0}>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="sm">
            <Title order={5}>TokenUnify Studio</Title>
            <Text c="dimmed" size="sm" data-testid="project-name">
              {project.name}
            </Text>
          </Group>
          <Group gap="xs">
            <Button size="xs" variant="light" onClick={() => setJobsOpen(true)} data-testid="open-jobs" rightSection={active ? <Badge size="xs">{active}</Badge> : null}>
              Jobs
            </Button>
            <Tooltip label="Close the project and return to the project browser">
              <Button size="xs" variant="default" onClick={() => void api.call('projects.close', {})} data-testid="close-project">
                Close
              </Button>
            </Tooltip>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        <Title order={6} mb="xs">
          Layers
        </Title>
        <Text size="xs" c="dimmed">
          No layers yet.
        </Text>
      </AppShell.Navbar>
      <AppShell.Main style={{ height: '100vh' }}>
        <Paper h="100%" radius={0} bg="dark.8" data-testid="viewer-area">
          <Stack h="100%" align="center" justify="center">
            <Text c="dimmed">Viewer</Text>
          </Stack>
        </Paper>
      </AppShell.Main>
      <AppShell.Aside p="xs">
        <Tabs defaultValue="segments">
          <Tabs.List>
            <Tabs.Tab value="segments">Segments</Tabs.Tab>
            <Tabs.Tab value="tools">Tools</Tabs.Tab>
          </Tabs.List>
        </Tabs>
      </AppShell.Aside>
      <AppShell.Footer px="sm">
        <Group h="100%" gap="md">
          <Text size="xs" c="dimmed" className="mono">
            {project.path}
          </Text>
        </Group>
      </AppShell.Footer>
      <JobsDrawer opened={jobsOpen} onClose={() => setJobsOpen(false)} jobs={jobs} />
    </AppShell>
  );
}
