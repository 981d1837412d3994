import { Alert, Button, Group, Modal, NumberInput, Progress, Select, Stack, Text, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { JobInfo } from '@shared/api/jobs';
import type { LibraryModel } from '@shared/api/studio-ml';
import { useApi, useApiEvent } from '../../api/context';
import { ConfirmByNameModal } from '../../ui/ConfirmByNameModal';
import { useStore } from '../viewer/state/store';
import { useViewer } from '../viewer/ViewerProvider';
import { useStudioMl } from './studio-context';
import { errorText, formatEta, imageLayers, useDevice } from './studio-data';

function useJob(): [JobInfo | null, (j: JobInfo | null) => void] {
  const [job, setJob] = useState<JobInfo | null>(null);
  useApiEvent('job.updated', (j) => setJob((cur) => (cur && cur.id === j.id ? j : cur)));
  return [job, setJob];
}

function JobProgress({ job }: { job: JobInfo | null }) {
  if (!job) return null;
  const running = job.state === 'running' || job.state === 'queued';
  return (
    <Stack gap={2}>
      <Progress value={job.progress * 100} animated={running} color={job.state === 'failed' ? 'red' : undefined} />
      <Text size="xs" c={job.state === 'failed' ? 'red' : 'dimmed'}>
        {job.error ?? job.message} {running ? formatEta(job.etaSeconds) : ''}
      </Text>
    </Stack>
  );
}

/** "Import checkpoint…": an official TokenUnify .pth or a .safetensors checkpoint into the library (a job). */
export function ImportModelDialog() {
  const api = useApi();
  const { ui } = useStudioMl();
  const opened = useStore(ui, (s) => s.importOpen);
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [job, setJob] = useJob();
  useEffect(() => {
    if (opened) {
      setJob(null);
      setError(null);
    }
  }, [opened, setJob]);
  useEffect(() => {
    if (job?.state === 'succeeded') ui.set({ importOpen: false, view: 'library' });
  }, [job, ui]);
  const running = !!job && (job.state === 'running' || job.state === 'queued');
  const start = async () => {
    setError(null);
    try {
      setJob(await api.call('studio.models.import', { path: path.trim(), ...(name.trim() ? { name: name.trim() } : {}) }));
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <Modal opened={opened} onClose={() => ui.set({ importOpen: false })} title="Import a checkpoint" size="md">
      <Stack gap="sm">
        <Text size="xs" c="dimmed">
          An official TokenUnify checkpoint (.pth, read without executing any code) or a TokenUnify Studio / safetensors checkpoint. The preset is recognised from the tensor shapes; missing and unexpected tensors are listed in the model's details.
        </Text>
        <TextInput label="File" placeholder="/path/to/tokenunify_tiny.pth" value={path} onChange={(e) => setPath(e.currentTarget.value)} data-testid="import-model-path" />
        <TextInput label="Name" placeholder="the file's name" value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <JobProgress job={job} />
        {error && <Alert color="red" p={6}>{error}</Alert>}
        <Group justify="flex-end">
          <Button variant="default" onClick={() => ui.set({ importOpen: false })}>
            Close
          </Button>
          <Button onClick={() => void start()} disabled={!path.trim() || running} loading={running} data-testid="import-model-start">
            Import
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** "Pretrain on this volume": TokenUnify self-supervised pretraining on an image layer (a job). */
export function PretrainDialog() {
  const api = useApi();
  const { ui } = useStudioMl();
  const { layers } = useViewer();
  const device = useDevice();
  const opened = useStore(ui, (s) => s.pretrainOpen);
  const [image, setImage] = useState<string | null>(null);
  const [steps, setSteps] = useState<number>(200);
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!opened) return;
    setImage(imageLayers(layers)[0]?.id ?? null);
    setError(null);
    setName('');
    if (device) setSteps(device.recommended.steps);
  }, [opened, layers, device]);
  const start = async () => {
    if (!image) return;
    setBusy(true);
    setError(null);
    try {
      await api.call('studio.pretrain', { image, steps, ...(name.trim() ? { name: name.trim() } : {}) });
      ui.set({ pretrainOpen: false, view: 'training', run: name.trim() || null });
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal opened={opened} onClose={() => ui.set({ pretrainOpen: false })} title="Pretrain on this volume" size="md">
      <Stack gap="sm">
        <Text size="xs" c="dimmed">
          TokenUnify's self-supervised mixture token prediction learns the look of your EM without labels; the resulting model is a better start for fine-tuning than random weights. Runs as a job; pause and resume it in the Models panel.
        </Text>
        <Select label="Image" data={imageLayers(layers).map((l) => ({ value: l.id, label: l.name }))} value={image} onChange={setImage} allowDeselect={false} />
        <Group grow>
          <NumberInput label="Steps" value={steps} min={1} onChange={(v) => setSteps(Number(v) || 1)} />
          <TextInput label="Model name" placeholder="pretrained-<image>-<preset>" value={name} onChange={(e) => setName(e.currentTarget.value)} />
        </Group>
        {device && (
          <Text size="xs" c="dimmed">
            {device.recommended.preset} preset, {device.recommended.crop.join('x')} crops on {device.summary}
          </Text>
        )}
        {error && <Alert color="red" p={6}>{error}</Alert>}
        <Group justify="flex-end">
          <Button variant="default" onClick={() => ui.set({ pretrainOpen: false })}>
            Close
          </Button>
          <Button onClick={() => void start()} disabled={!image} loading={busy}>
            Start pretraining
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** Deletes a model after its name is typed. */
export function DeleteModelModal({ model, onClose, onDeleted }: { model: LibraryModel | null; onClose: () => void; onDeleted: () => void }) {
  const api = useApi();
  return (
    <ConfirmByNameModal
      name={model?.name ?? null}
      title="Delete model"
      consequence={
        <>
          Deletes <b>{model?.name}</b> and its weights file. Training runs keep their checkpoints; layers it produced stay.
        </>
      }
      confirmLabel="Delete"
      cancelLabel="Keep it"
      testId="delete-model"
      onConfirm={async (confirmName) => {
        try {
          await api.call('studio.models.delete', { id: model!.id, confirmName });
        } catch (e) {
          throw new Error(errorText(e));
        }
        onDeleted();
      }}
      onClose={onClose}
    />
  );
}
