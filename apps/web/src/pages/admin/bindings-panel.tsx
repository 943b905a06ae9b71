import { ActionIcon, Badge, Button, Group, Paper, SegmentedControl, Select, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { adminKeys, useBindings, useRoles, useTeams, useUsers } from '../../api/admin';
import { api, describeError } from '../../api/client';
import { useCatalog, useProjects } from '../../api/procedures';
import type { RoleBinding } from '../../api/types';
import { QueryState } from '../../components/query-state';
import { useSession } from '../../components/session/session-context';
import { TimeText } from '../../components/time-text';

function GrantForm(): ReactNode {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const roles = useRoles();
  const users = useUsers('', can('read', 'User'));
  const teams = useTeams(can('read', 'Team'));
  const projects = useProjects();
  const catalog = useCatalog('');
  const [subjectType, setSubjectType] = useState<'user' | 'team'>('user');
  const [subjectId, setSubjectId] = useState<string | null>(null);
  const [role, setRole] = useState<string | null>(null);
  const [scopeType, setScopeType] = useState<'global' | 'project' | 'procedure'>('project');
  const [scopeId, setScopeId] = useState<string | null>(null);
  const grant = useMutation({
    mutationFn: () => api.post<RoleBinding>('/role-bindings', {
      subject: { type: subjectType, id: subjectId },
      role,
      scope: scopeType === 'global' ? { type: 'global' } : { type: scopeType, id: scopeId },
    }),
    onSuccess: () => {
      notifications.show({ color: 'green', message: 'Role granted.' });
      setSubjectId(null);
      void queryClient.invalidateQueries({ queryKey: adminKeys.bindings });
    },
  });
  const subjects = subjectType === 'user'
    ? (users.data?.items ?? []).map((u) => ({ value: u.id, label: u.username }))
    : (teams.data?.items ?? []).map((t) => ({ value: t.id, label: t.name }));
  const scopes = scopeType === 'project'
    ? (projects.data ?? []).map((p) => ({ value: p.id, label: p.name }))
    : (catalog.data ?? []).map((p) => ({ value: p.id, label: `${p.projectName} / ${p.name}` }));
  const ready = subjectId && role && (scopeType === 'global' || scopeId);
  return (
    <Paper withBorder p="md" radius="md" component="form" aria-label="Grant a role" onSubmit={(e) => { e.preventDefault(); grant.mutate(); }}>
      <Title order={2} fz="md" mb="sm">Grant a role</Title>
      <Group align="flex-end" gap="sm" wrap="wrap">
        <Stack gap={4}>
          <Text size="sm" fw={500}>To</Text>
          <SegmentedControl size="xs" value={subjectType} onChange={(v) => { setSubjectType(v as 'user' | 'team'); setSubjectId(null); }} data={[{ value: 'user', label: 'User' }, { value: 'team', label: 'Team' }]} />
        </Stack>
        <Select label={subjectType === 'user' ? 'User' : 'Team'} data={subjects} value={subjectId} onChange={setSubjectId} searchable w={200} />
        <Select label="Role" data={(roles.data?.items ?? []).map((r) => ({ value: r.name, label: r.name }))} value={role} onChange={setRole} w={150} />
        <Stack gap={4}>
          <Text size="sm" fw={500}>Scope</Text>
          <SegmentedControl size="xs" value={scopeType} onChange={(v) => { setScopeType(v as 'global' | 'project' | 'procedure'); setScopeId(null); }} data={['global', 'project', 'procedure']} />
        </Stack>
        {scopeType !== 'global' && <Select label={scopeType === 'project' ? 'Project' : 'Procedure'} data={scopes} value={scopeId} onChange={setScopeId} searchable w={240} />}
        <Button type="submit" disabled={!ready} loading={grant.isPending}>Grant</Button>
      </Group>
      {role && <Text size="xs" c="dimmed" mt="xs">{roles.data?.items.find((r) => r.name === role)?.description}</Text>}
      {grant.error && <Text c="red" size="sm" mt="xs" role="alert">{describeError(grant.error)}</Text>}
    </Paper>
  );
}

export function BindingsPanel(): ReactNode {
  const { can } = useSession();
  const bindings = useBindings();
  const queryClient = useQueryClient();
  const revoke = useMutation({
    mutationFn: (id: string) => api.delete(`/role-bindings/${id}`),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: adminKeys.bindings }),
    onError: (error) => notifications.show({ color: 'red', title: 'Could not revoke', message: describeError(error) }),
  });
  const mayGrant = can('grant', 'RoleBinding');
  return (
    <Stack>
      {mayGrant && <GrantForm />}
      <QueryState query={bindings}>
        {() => (
          <Table.ScrollContainer minWidth={640}>
            <Table highlightOnHover>
              <Table.Thead>
                <Table.Tr><Table.Th>Who</Table.Th><Table.Th>Role</Table.Th><Table.Th>Where</Table.Th><Table.Th>Since</Table.Th><Table.Th /></Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {(bindings.data?.items ?? []).map((binding) => (
                  <Table.Tr key={binding.id}>
                    <Table.Td><Badge size="xs" variant="light" color={binding.subject.type === 'team' ? 'grape' : 'blue'} mr={6}>{binding.subject.type}</Badge>{binding.subject.name ?? binding.subject.id}</Table.Td>
                    <Table.Td fw={600}>{binding.role}</Table.Td>
                    <Table.Td>{binding.scope.type === 'global' ? 'everywhere' : `${binding.scope.type} ${binding.scope.name ?? binding.scope.id}`}</Table.Td>
                    <Table.Td><TimeText iso={binding.createdAt} /></Table.Td>
                    <Table.Td>
                      {mayGrant && (
                        <Tooltip label="Revoke">
                          <ActionIcon variant="subtle" color="red" aria-label={`Revoke ${binding.role} from ${binding.subject.name ?? binding.subject.id}`} onClick={() => revoke.mutate(binding.id)}>×</ActionIcon>
                        </Tooltip>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryState>
    </Stack>
  );
}
