import { Button, Group, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link, Navigate } from 'react-router';
import { apiUrl } from '../../api/client';
import { useExport } from '../../api/procedures';
import { YamlEditor } from '../../components/definition/yaml-editor';
import { QueryState } from '../../components/query-state';
import { useProcedureContext } from './procedure-layout';

/** The active version's definition, read-only; only for those who may read it (not just run it). */
export default function DefinitionPage(): ReactNode {
  const procedure = useProcedureContext();
  const source = useExport(procedure.id, procedure.permissions.read);
  if (!procedure.permissions.read) return <Navigate to={`/procedures/${procedure.id}`} replace />;
  return (
    <QueryState query={source}>
      {() => (
        <Stack gap="sm">
          <Group justify="space-between">
            <Text size="sm" c="dimmed">Active version v{procedure.version}, exactly as it exports and re-imports.</Text>
            <Group gap="xs">
              <Button size="xs" variant="default" component="a" href={apiUrl(`/procedures/${procedure.id}/export`)} download={`${procedure.name}.yaml`}>Download YAML</Button>
              {procedure.permissions.update && <Button size="xs" component={Link} to={`/procedures/${procedure.id}/edit`}>Propose a change</Button>}
            </Group>
          </Group>
          <YamlEditor value={source.data ?? ''} readOnly label={`Definition of ${procedure.name}`} height="auto" />
        </Stack>
      )}
    </QueryState>
  );
}
