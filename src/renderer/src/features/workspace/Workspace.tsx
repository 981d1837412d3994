import { AppShell, Badge, Button, Group, Tabs, Text, Title, Tooltip } from '@mantine/core';
import { useState, useSyncExternalStore } from 'react';
import type { ProjectInfo } from '@shared/api/projects';
import { useApi } from '../../api/context';
import { JobsDrawer } from '../jobs/JobsDrawer';
import { isActive, useJobs } from '../jobs/useJobs';
import { LayersPanel } from '../layers/LayersPanel';
import { StudioMlProvider } from '../models/StudioMlProvider';
import { ProofreadingHud } from '../proofreading/ProofreadingHud';
import { ProofreadingProvider } from '../proofreading/ProofreadingProvider';
import { StatusBar } from '../viewer/StatusBar';
import { Viewer } from '../viewer/Viewer';
import { useViewer, ViewerProvider } from '../viewer/ViewerProvider';

/**
 * The workspace frame: header (project, jobs), left panel (layers), viewer area, right panel
 * (segments, tools), status bar. Each feature fills its own slot; the viewer's controller
 * (useViewer) is available to all of them.
 */
export function Workspace({ project }: { project: ProjectInfo }) {
  return (
    <ViewerProvider project={project}>
      <ProofreadingProvider>
        <StudioMlProvider>
          <WorkspaceFrame project={project} />
        </StudioMlProvider>
      </ProofreadingProvider>
    </ViewerProvider>
  );
}

/** Right-panel tabs features add (Segments, Tools, Notes, History, Models). */
export interface SidePanel {
  value: string;
  label: string;
  render: () => React.ReactNode;
}

const sidePanels: SidePanel[] = [];
const sidePanelListeners = new Set<() => void>();
let sidePanelVersion = 0;

/** Adds a tab to the right panel; returns a function removing it. */
export function registerSidePanel(panel: SidePanel): () => void {
  sidePanels.push(panel);
  sidePanelVersion++;
  sidePanelListeners.forEach((l) => l());
  return () => {
    const i = sidePanels.indexOf(panel);
    if (i >= 0) sidePanels.splice(i, 1);
    sidePanelVersion++;
    sidePanelListeners.forEach((l) => l());
  };
}

function WorkspaceFrame({ project }: { project: ProjectInfo }) {
  const api = useApi();
  const jobs = useJobs();
  const [jobsOpen, setJobsOpen] = useState(false);
  const [importOpen, setImportOpen] = useState(false);
  const active = jobs.filter(isActive).length;
  useViewer();
  useSyncExternalStore(
    (cb) => {
      sidePanelListeners.add(cb);
      return () => sidePanelListeners.delete(cb);
    },
    () => sidePanelVersion,
  );

  return (
    <AppShell header={{ height: 44 }} navbar={{ width: 300, breakpoint: 0 }} aside={{ width: 330, breakpoint: 0 }} footer={{ height: 28 }} padding={0}>
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
        <LayersPanel projectPath={project.path} importOpen={importOpen} setImportOpen={setImportOpen} />
      </AppShell.Navbar>
      <AppShell.Main style={{ height: '100vh', display: 'flex', flexDirection: 'column' }}>
        <div style={{ flex: 1, minHeight: 0, position: 'relative' }}>
          <Viewer onImport={() => setImportOpen(true)} />
          <ProofreadingHud />
        </div>
      </AppShell.Main>
      <AppShell.Aside p="xs">
        {sidePanels.length > 0 ? (
          <Tabs defaultValue={sidePanels[0].value} keepMounted={false}>
            {/* one row whatever the number of features: scrolls sideways instead of wrapping */}
            <Tabs.List grow style={{ flexWrap: 'nowrap', overflowX: 'auto', overflowY: 'hidden' }}>
              {sidePanels.map((p) => (
                <Tabs.Tab key={p.value} value={p.value} px={6} style={{ flexShrink: 0 }}>
                  {p.label}
                </Tabs.Tab>
              ))}
            </Tabs.List>
            {sidePanels.map((p) => (
              <Tabs.Panel key={p.value} value={p.value} pt="xs">
                {p.render()}
              </Tabs.Panel>
            ))}
          </Tabs>
        ) : (
          <Tabs defaultValue="segments">
            <Tabs.List>
              <Tabs.Tab value="segments">Segments</Tabs.Tab>
              <Tabs.Tab value="tools">Tools</Tabs.Tab>
            </Tabs.List>
          </Tabs>
        )}
      </AppShell.Aside>
      <AppShell.Footer px="sm">
        <StatusBar />
      </AppShell.Footer>
      <JobsDrawer opened={jobsOpen} onClose={() => setJobsOpen(false)} jobs={jobs} />
    </AppShell>
  );
}
