import { Anchor, Group, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useRecentRuns } from '../api/executions';
import { StatusBadge } from './status-badge';
import { TimeText } from './time-text';

/** The last few runs of a procedure, as a compact list beside the run form. */
export function RecentRunsTable({ procedureId }: { procedureId: string }): ReactNode {
  const runs = useRecentRuns(procedureId);
  const items = runs.data?.items.slice(0, 8) ?? [];
  if (runs.isPending) return null;
  if (items.length === 0) return <Text size="sm" c="dimmed">No runs yet.</Text>;
  return (
    <Stack gap={6}>
      {items.map((run) => (
        <Group key={run.id} justify="space-between" wrap="nowrap">
          <Group gap="xs" wrap="nowrap">
            <StatusBadge status={run.status} size="xs" />
            <Anchor component={Link} to={`/executions/${run.id}`} size="sm">{run.triggeredBy.name}</Anchor>
          </Group>
          <Text size="xs" c="dimmed"><TimeText iso={run.queuedAt} /></Text>
        </Group>
      ))}
      <Anchor component={Link} to={`/procedures/${procedureId}/runs`} size="sm">All runs →</Anchor>
    </Stack>
  );
}
