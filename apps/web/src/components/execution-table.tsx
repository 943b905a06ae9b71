import { Anchor, Table, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link, useNavigate } from 'react-router';
import { describeError } from '../api/client';
import { type HistoryFilter, useHistory } from '../api/executions';
import { LoadMore } from './load-more';
import { PageLoader } from './page-loader';
import { StatusBadge } from './status-badge';
import { durationBetween, formatDuration, TimeText } from './time-text';

/** Executions matching a filter, newest first, loading more as the reader scrolls. */
export function ExecutionTable({ filter, hideProcedure = false }: { filter: HistoryFilter; hideProcedure?: boolean }): ReactNode {
  const history = useHistory(filter);
  const navigate = useNavigate();
  if (history.isPending) return <PageLoader />;
  if (history.error) return <Text c="red" role="alert">{describeError(history.error)}</Text>;
  const rows = history.data.pages.flatMap((page) => page.items);
  return (
    <>
      <Table.ScrollContainer minWidth={720}>
        <Table highlightOnHover verticalSpacing="xs" data-testid="execution-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Status</Table.Th>
              {!hideProcedure && <Table.Th>Procedure</Table.Th>}
              <Table.Th>Version</Table.Th>
              <Table.Th>Triggered by</Table.Th>
              <Table.Th>Queued</Table.Th>
              <Table.Th>Duration</Table.Th>
              <Table.Th>Execution</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((execution) => (
              <Table.Tr key={execution.id} className="clickable-row" onClick={() => void navigate(`/executions/${execution.id}`)}>
                <Table.Td><StatusBadge status={execution.status} /></Table.Td>
                {!hideProcedure && <Table.Td>{execution.procedureName ?? execution.procedureId.slice(0, 8)}</Table.Td>}
                <Table.Td>v{execution.version}</Table.Td>
                <Table.Td>{execution.triggeredBy.name} <Text span size="xs" c="dimmed">via {execution.trigger}</Text></Table.Td>
                <Table.Td><TimeText iso={execution.queuedAt} /></Table.Td>
                <Table.Td>{formatDuration(execution.durationMs ?? durationBetween(execution.startedAt, execution.finishedAt))}</Table.Td>
                <Table.Td>
                  <Anchor component={Link} to={`/executions/${execution.id}`} ff="monospace" size="sm" onClick={(event) => event.stopPropagation()}>
                    {execution.id.slice(0, 8)}
                  </Anchor>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <LoadMore hasNextPage={history.hasNextPage} isFetchingNextPage={history.isFetchingNextPage} fetchNextPage={history.fetchNextPage} count={rows.length} noun="executions" />
    </>
  );
}
