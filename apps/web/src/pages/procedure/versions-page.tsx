import { Anchor, Table, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link, useNavigate } from 'react-router';
import { useVersions } from '../../api/procedures';
import { QueryState } from '../../components/query-state';
import { StatusBadge } from '../../components/status-badge';
import { TimeText } from '../../components/time-text';
import { useProcedureContext } from './procedure-layout';

/** Edit history: every version, who proposed it, who decided, and how. */
export function VersionsPage(): ReactNode {
  const procedure = useProcedureContext();
  const versions = useVersions(procedure.id);
  const navigate = useNavigate();
  return (
    <QueryState query={versions}>
      {() => (
        <Table.ScrollContainer minWidth={640}>
          <Table highlightOnHover data-testid="versions-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Version</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Proposed by</Table.Th>
                <Table.Th>When</Table.Th>
                <Table.Th>Decision</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {[...(versions.data?.items ?? [])].sort((a, b) => b.version - a.version).map((version) => (
                <Table.Tr key={version.version} className="clickable-row" onClick={() => void navigate(`/procedures/${procedure.id}/versions/${version.version}`)}>
                  <Table.Td>
                    <Anchor component={Link} to={`/procedures/${procedure.id}/versions/${version.version}`} onClick={(e) => e.stopPropagation()}>v{version.version}</Anchor>
                  </Table.Td>
                  <Table.Td><StatusBadge status={version.status} /></Table.Td>
                  <Table.Td>{version.createdBy.name}</Table.Td>
                  <Table.Td><TimeText iso={version.createdAt} /></Table.Td>
                  <Table.Td>
                    {version.decidedAt ? (
                      <Text size="sm">
                        <TimeText iso={version.decidedAt} />
                        {version.decisionComment && <Text span c="dimmed"> — “{version.decisionComment}”</Text>}
                      </Text>
                    ) : '—'}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </QueryState>
  );
}
