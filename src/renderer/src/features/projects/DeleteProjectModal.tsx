import type { RecentProject } from '@shared/api/projects';
import { useApi } from '../../api/context';
import { ConfirmByNameModal } from '../../ui/ConfirmByNameModal';

/** Deleting a project removes its folder, so the user types the project's name to confirm. */
export function DeleteProjectModal({ project, onClose }: { project: RecentProject | null; onClose: () => void }) {
  const api = useApi();
  return (
    <ConfirmByNameModal
      name={project?.name ?? null}
      title={`Delete project “${project?.name}”?`}
      consequence={
        <>
          This deletes the folder <span className="mono">{project?.path}</span> with its database, volumes and models. It cannot be undone.
        </>
      }
      confirmLabel="Delete"
      cancelLabel="Keep it"
      testId="delete-project"
      onConfirm={async (confirmName) => void (await api.call('projects.delete', { path: project!.path, confirmName }))}
      onClose={onClose}
    />
  );
}
