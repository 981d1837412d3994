import { Alert, Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useEffect, useState, type ReactNode } from 'react';

export interface ConfirmByNameProps {
  /** The thing to delete; null closes the modal. */
  name: string | null;
  title: string;
  /** What deleting it does (and does not) remove. */
  consequence: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  /** data-testid prefix: `${testId}-modal`, `${testId}-confirm` (the name field), `${testId}-submit`. */
  testId: string;
  /** Performs the deletion with the typed name (the server checks it again); throws to show an error. */
  onConfirm: (typedName: string) => Promise<void>;
  onClose: () => void;
}

/** Irreversible deletions ask for the exact name to be typed, the habit of tools that delete data. */
export function ConfirmByNameModal({ name, title, consequence, confirmLabel, cancelLabel = 'Cancel', testId, onConfirm, onClose }: ConfirmByNameProps) {
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setTyped('');
    setError(null);
    setBusy(false);
  }, [name]);
  if (name === null) return null;
  const confirm = async () => {
    setBusy(true);
    try {
      await onConfirm(typed);
      onClose();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  };
  return (
    <Modal opened onClose={onClose} title={title} data-testid={`${testId}-modal`}>
      <Stack gap="sm">
        <Text size="sm">{consequence}</Text>
        <TextInput label={`Type ${name} to confirm`} value={typed} onChange={(e) => setTyped(e.currentTarget.value)} data-testid={`${testId}-confirm`} autoFocus />
        {error && <Alert color="red">{error}</Alert>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {cancelLabel}
          </Button>
          <Button color="red" disabled={typed !== name} loading={busy} onClick={() => void confirm()} data-testid={`${testId}-submit`}>
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
