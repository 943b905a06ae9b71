import { Badge, Group, Paper, SimpleGrid, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { stringify } from 'yaml';
import type { DefinitionChange } from '../../api/types';

const KIND_COLOR = { added: 'green', removed: 'red', changed: 'blue' } as const;

function asText(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

/** A unified diff, each line coloured by whether it was added or removed; text only. */
export function UnifiedDiff({ diff }: { diff: string }): ReactNode {
  return (
    <pre className="diff-block" aria-label="Line diff">
      {diff.replace(/\n$/, '').split('\n').map((line, index) => {
        const kind = line.startsWith('@@') ? 'diff-hunk' : line.startsWith('+') ? 'diff-added' : line.startsWith('-') ? 'diff-removed' : '';
        return <span key={index} className={`diff-line ${kind}`}>{line || ' '}</span>;
      })}
    </pre>
  );
}

function ValueBlock({ label, value, kind }: { label: string; value: unknown; kind: 'diff-added' | 'diff-removed' }): ReactNode {
  return (
    <Stack gap={2}>
      <Text size="xs" c="dimmed">{label}</Text>
      <pre className={`diff-block ${kind}`}><span className="diff-line">{asText(value) || ' '}</span></pre>
    </Stack>
  );
}

/** What a version changes against the active one, field by field (steps by name). */
export function DefinitionDiff({ changes }: { changes: DefinitionChange[] }): ReactNode {
  if (changes.length === 0) return <Text c="dimmed">No differences from the active version.</Text>;
  return (
    <Stack gap="sm" data-testid="definition-diff">
      {changes.map((change) => (
        <Paper key={`${change.kind}:${change.path}`} withBorder p="sm" radius="md" component="section" aria-label={`${change.kind} ${change.path}`}>
          <Group gap="xs" mb="xs">
            <Badge color={KIND_COLOR[change.kind]} variant="light" size="sm">{change.kind}</Badge>
            <Text ff="monospace" fz="sm" fw={600}>{change.path || '(definition)'}</Text>
          </Group>
          {change.diff ? (
            <UnifiedDiff diff={change.diff} />
          ) : (
            <SimpleGrid cols={{ base: 1, md: change.kind === 'changed' ? 2 : 1 }} spacing="xs">
              {change.kind !== 'added' && <ValueBlock label="before" value={change.before} kind="diff-removed" />}
              {change.kind !== 'removed' && <ValueBlock label="after" value={change.after} kind="diff-added" />}
            </SimpleGrid>
          )}
        </Paper>
      ))}
    </Stack>
  );
}
