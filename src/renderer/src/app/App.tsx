import { Center, Loader } from '@mantine/core';
import { useState } from 'react';
import type { ProjectInfo } from '@shared/api/projects';
import { useApiEvent, useApiQuery } from '../api/context';
import { ProjectBrowser } from '../features/projects/ProjectBrowser';
import { Workspace } from '../features/workspace/Workspace';

/** Top level: the project browser when no project is open, the workspace otherwise. */
export function App() {
  const current = useApiQuery('projects.current', {});
  const [project, setProject] = useState<ProjectInfo | null | undefined>(undefined);
  useApiEvent('project.changed', (p) => setProject(p));
  const shown = project !== undefined ? project : current.data;
  if (shown === undefined) {
    return (
      <Center h="100%">
        <Loader />
      </Center>
    );
  }
  return shown ? <Workspace project={shown} /> : <ProjectBrowser />;
}
