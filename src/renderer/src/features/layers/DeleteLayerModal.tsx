import { Alert, Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { LayerInfo } from '@shared/api/volumes';
import { useApi } from '../../api/context';

/** Deleting a layer removes its stored voxels: the user types its name to confirm. */
export function DeleteLayerModal({ layer, onClose }: { layer: LayerInfo | null; onClose: () => void }) {
  const api = useApi();
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setTyped('');
    setError(null);
    setBusy(false);
  }, [layer]);
  if (!layer) return null;
  const remove = async () => {
    setBusy(true);
    try {
      await api.call('layers.delete', { layerId: layer.id, confirmName: typed });
      onClose();
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };
  return (
    <Modal opened onClose={onClose} title={`Delete layer “${layer.name}”?`} data-testid="delete-layer-modal">
      <Stack gap="sm">
        <Text size="sm">
          {layer.source === 'store'
            ? 'Its voxels in the project store are deleted. This cannot be undone.'
            : `The layer is removed from the project; the files at ${layer.uri} are left alone.`}
        </Text>
        <TextInput label={`Type ${layer.name} to confirm`} value={typed} onChange={(e) => setTyped(e.currentTarget.value)} data-testid="delete-layer-confirm" autoFocus />
        {error && <Alert color="red">{error}</Alert>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button color="red" disabled={typed !== layer.name} loading={busy} onClick={() => void remove()} data-testid="delete-layer-submit">
            Delete layer
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
