import { Alert, Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { RecentProject } from '@shared/api/projects';
import { useApi } from '../../api/context';

/** Deleting a project removes its folder, so the user types the project's name to confirm. */
export function DeleteProjectModal({ project, onClose }: { project: RecentProject | null; onClose: () => void }) {
  const api = useApi();
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setTyped('');
    setError(null);
  }, [project]);
  if (!project) return null;

  const remove = async () => {
    setBusy(true);
    try {
      await api.call('projects.delete', { path: project.path, confirmName: typed });
      onClose();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened onClose={onClose} title={`Delete project “${project.name}”?`}>
      <Stack>
        <Text size="sm">
          This deletes the folder <span className="mono">{project.path}</span> with its database, volumes and models. It cannot be undone.
        </Text>
        {error && <Alert color="red">{error}</Alert>}
        <TextInput label={`Type “${project.name}” to confirm`} value={typed} onChange={(e) => setTyped(e.currentTarget.value)} data-testid="delete-confirm" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Keep it
          </Button>
          <Button color="red" onClick={remove} loading={busy} disabled={typed !== project.name} data-testid="delete-submit">
            Delete
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
