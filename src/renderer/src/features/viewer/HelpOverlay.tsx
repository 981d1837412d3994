import { Group, Kbd, Modal, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { KEY_BINDINGS, MOUSE_BINDINGS } from './core/keymap';
import type { HelpSection } from './tools/registry';
import type { ViewerTool } from './tools/types';

/** Every key and gesture the viewer (and the registered tools) respond to, from the binding tables. */
export function HelpOverlay({ opened, onClose, tools, sections = [] }: { opened: boolean; onClose: () => void; tools: ViewerTool[]; sections?: readonly HelpSection[] }) {
  const groups = ['Navigate', 'View', 'Segments', 'Other'] as const;
  const toolRows = [...tools.flatMap((t) => (t.hotkey ? [{ keys: [t.hotkey], description: `${t.label} tool` }] : [])), ...toolShortcutRows(tools)];
  return (
    <Modal opened={opened} onClose={onClose} title={<Title order={4}>Viewer controls</Title>} size="xl" data-testid="help-overlay">
      <SimpleGrid cols={2} spacing="xl">
        <Stack gap="md">
          <Section title="Mouse" rows={MOUSE_BINDINGS.map((m) => ({ keys: [m.gesture], description: m.description }))} />
          {toolRows.length > 0 && <Section title="Tools" rows={toolRows} />}
          {sections.map((s) => (
            <Section key={s.title} title={s.title} rows={s.rows} />
          ))}
        </Stack>
        <Stack gap="md">
          {groups.map((g) => (
            <Section key={g} title={g} rows={KEY_BINDINGS.filter((b) => b.group === g)} />
          ))}
        </Stack>
      </SimpleGrid>
      <Text size="xs" c="dimmed" mt="md">
        Keys act on the view under the pointer (or the last one used). Press ? or H to open this help, Esc to close it.
      </Text>
    </Modal>
  );
}

function Section({ title, rows }: { title: string; rows: { keys: string[]; description: string }[] }) {
  return (
    <div>
      <Text fw={600} size="sm" mb={4} c="teal.3">
        {title}
      </Text>
      <Table verticalSpacing={3} horizontalSpacing="xs" withRowBorders={false}>
        <Table.Tbody>
          {rows.map((r) => (
            <Table.Tr key={r.description}>
              <Table.Td w={170}>
                <Group gap={4} wrap="nowrap">
                  {r.keys.map((k) => (
                    <Kbd key={k} size="xs">
                      {k}
                    </Kbd>
                  ))}
                </Group>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{r.description}</Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </div>
  );
}

/** Tool shortcuts, one row per key and meaning: "Brush, Eraser: smaller brush". */
function toolShortcutRows(tools: ViewerTool[]): { keys: string[]; description: string }[] {
  const rows = new Map<string, { key: string; description: string; tools: string[] }>();
  for (const t of tools)
    for (const s of t.shortcuts ?? []) {
      const id = `${s.label}\u0000${s.description}`;
      const row = rows.get(id) ?? { key: s.label, description: s.description, tools: [] };
      row.tools.push(t.label);
      rows.set(id, row);
    }
  return [...rows.values()].map((r) => ({ keys: [r.key], description: `${r.tools.join(', ')}: ${r.description}` }));
}
