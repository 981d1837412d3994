import { Alert, Badge, Button, Container, Group, Paper, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import type { RecentProject } from '@shared/api/projects';
import { useApi, useApiQuery } from '../../api/context';
import { CreateProjectModal } from './CreateProjectModal';
import { DeleteProjectModal } from './DeleteProjectModal';

/** Recent projects, open by path, create, delete (with confirmation). */
export function ProjectBrowser() {
  const api = useApi();
  const recent = useApiQuery('projects.recent', {});
  const [openPath, setOpenPath] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<RecentProject | null>(null);

  const open = async (path: string) => {
    setError(null);
    setBusy(true);
    try {
      await api.call('projects.open', { path });
    } catch (e) {
      setError((e as Error).message);
      recent.reload();
    } finally {
      setBusy(false);
    }
  };

  return (
    <Container size="md" py="xl" h="100%" style={{ overflow: 'auto' }}>
      <Stack gap="lg">
        <div>
          <Title order={2}>TokenUnify Studio</Title>
          <Text c="dimmed">Browse EM volumes, proofread neuron segmentations, fine-tune TokenUnify models.</Text>
        </div>
        {error && (
          <Alert color="red" title="Could not open the project" withCloseButton onClose={() => setError(null)} data-testid="project-error">
            {error}
          </Alert>
        )}
        <Paper withBorder p="md">
          <Group justify="space-between" mb="sm">
            <Title order={4}>Recent projects</Title>
            <Button onClick={() => setCreating(true)} data-testid="new-project">
              New project
            </Button>
          </Group>
          {recent.data && recent.data.length > 0 ? (
            <Table highlightOnHover data-testid="recent-projects">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Folder</Table.Th>
                  <Table.Th>Last opened</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {recent.data.map((p) => (
                  <Table.Tr key={p.path}>
                    <Table.Td>
                      {p.name} {!p.exists && <Badge color="gray">missing</Badge>}
                    </Table.Td>
                    <Table.Td className="mono">{p.path}</Table.Td>
                    <Table.Td>{new Date(p.lastOpened).toLocaleString()}</Table.Td>
                    <Table.Td>
                      <Group gap="xs" justify="flex-end" wrap="nowrap">
                        <Button size="xs" disabled={!p.exists || busy} onClick={() => open(p.path)}>
                          Open
                        </Button>
                        <Button size="xs" variant="subtle" color="red" disabled={!p.exists} onClick={() => setDeleting(p)} data-testid="delete-project">
                          Delete
                        </Button>
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          ) : (
            <Text c="dimmed">{recent.loading ? 'Loading…' : 'No recent projects yet. Create one, or open a project folder below.'}</Text>
          )}
        </Paper>
        <Paper withBorder p="md">
          <Title order={4} mb="sm">
            Open a project folder
          </Title>
          <Group align="flex-end">
            <TextInput
              style={{ flex: 1 }}
              label="Folder"
              placeholder="/data/projects/my-volume"
              value={openPath}
              onChange={(e) => setOpenPath(e.currentTarget.value)}
              data-testid="open-path"
            />
            <Button onClick={() => open(openPath)} disabled={!openPath.trim() || busy} data-testid="open-project">
              Open
            </Button>
          </Group>
        </Paper>
      </Stack>
      <CreateProjectModal opened={creating} onClose={() => setCreating(false)} />
      <DeleteProjectModal
        project={deleting}
        onClose={() => {
          setDeleting(null);
          recent.reload();
        }}
      />
    </Container>
  );
}
