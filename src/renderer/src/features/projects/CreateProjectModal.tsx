import { Alert, Button, Checkbox, Group, Modal, Stack, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useApi } from '../../api/context';

export function CreateProjectModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const api = useApi();
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  const [demo, setDemo] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const create = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.call('projects.create', { path, name: name.trim() || undefined, demo });
      onClose();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened={opened} onClose={onClose} title="New project">
      <Stack>
        {error && <Alert color="red">{error}</Alert>}
        <TextInput
          label="Project folder"
          description="A new or empty folder; the project database and volumes are stored there."
          value={path}
          onChange={(e) => setPath(e.currentTarget.value)}
          data-testid="create-path"
          required
        />
        <TextInput label="Name" placeholder="defaults to the folder name" value={name} onChange={(e) => setName(e.currentTarget.value)} data-testid="create-name" />
        <Checkbox label="Fill with a synthetic demo volume and ground truth" checked={demo} onChange={(e) => setDemo(e.currentTarget.checked)} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={create} loading={busy} disabled={!path.trim()} data-testid="create-submit">
            Create
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
