import type { LayerInfo } from '@shared/api/volumes';
import { useApi } from '../../api/context';
import { ConfirmByNameModal } from '../../ui/ConfirmByNameModal';

/** Deleting a layer removes its stored voxels: the user types its name to confirm. */
export function DeleteLayerModal({ layer, onClose }: { layer: LayerInfo | null; onClose: () => void }) {
  const api = useApi();
  return (
    <ConfirmByNameModal
      name={layer?.name ?? null}
      title={`Delete layer “${layer?.name}”?`}
      consequence={
        layer?.source === 'store'
          ? 'Its voxels in the project store are deleted. This cannot be undone.'
          : `The layer is removed from the project; the files at ${layer?.uri} are left alone.`
      }
      confirmLabel="Delete layer"
      testId="delete-layer"
      onConfirm={async (confirmName) => void (await api.call('layers.delete', { layerId: layer!.id, confirmName }))}
      onClose={onClose}
    />
  );
}
