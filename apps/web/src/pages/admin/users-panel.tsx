import { Badge, Button, Group, Modal, PasswordInput, Stack, Switch, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useState } from 'react';
import { useUsers } from '../../api/admin';
import { api, ApiError, describeError } from '../../api/client';
import type { User } from '../../api/types';
import { Icon } from '../../components/icons';
import { QueryState } from '../../components/query-state';
import { useSession } from '../../components/session/session-context';
import { TimeText } from '../../components/time-text';

function CreateUser({ onClose }: { onClose(): void }): ReactNode {
  const queryClient = useQueryClient();
  const [form, setForm] = useState({ username: '', password: '', displayName: '', email: '' });
  const create = useMutation({
    mutationFn: () => api.post<User>('/users', { username: form.username, password: form.password, ...(form.displayName ? { displayName: form.displayName } : {}), ...(form.email ? { email: form.email } : {}) }),
    onSuccess: (user) => {
      notifications.show({ color: 'green', message: `User ${user.username} created.` });
      void queryClient.invalidateQueries({ queryKey: ['users'] });
      onClose();
    },
  });
  const errorFor = (field: string): string | undefined =>
    create.error instanceof ApiError ? create.error.errors.find((e) => e.field === field)?.message : undefined;
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <form onSubmit={submit}>
      <Stack>
        <TextInput label="Username" required value={form.username} onChange={(e) => setForm({ ...form, username: e.currentTarget.value })} error={errorFor('username')} autoComplete="off" />
        <PasswordInput label="Password" required value={form.password} onChange={(e) => setForm({ ...form, password: e.currentTarget.value })} error={errorFor('password')} autoComplete="new-password" />
        <TextInput label="Display name" value={form.displayName} onChange={(e) => setForm({ ...form, displayName: e.currentTarget.value })} error={errorFor('displayName')} />
        <TextInput label="Email" type="email" value={form.email} onChange={(e) => setForm({ ...form, email: e.currentTarget.value })} error={errorFor('email')} />
        {create.error && !(create.error instanceof ApiError && create.error.errors.length > 0) && <Text c="red" size="sm" role="alert">{describeError(create.error)}</Text>}
        <Group justify="flex-end"><Button type="submit" loading={create.isPending}>Create user</Button></Group>
      </Stack>
    </form>
  );
}

export function UsersPanel(): ReactNode {
  const { can, me } = useSession();
  const [q, setQ] = useState('');
  const [debounced] = useDebouncedValue(q.trim(), 250);
  const users = useUsers(debounced);
  const [creating, setCreating] = useState(false);
  const queryClient = useQueryClient();
  const toggle = useMutation({
    mutationFn: (user: User) => api.patch<User>(`/users/${user.id}`, { disabled: !user.disabled }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['users'] }),
    onError: (error) => notifications.show({ color: 'red', title: 'Could not change the user', message: describeError(error) }),
  });
  const mayUpdate = can('update', 'User');
  return (
    <Stack>
      <Group justify="space-between">
        <TextInput placeholder="Search users" aria-label="Search users" value={q} onChange={(e) => setQ(e.currentTarget.value)} leftSection={<Icon name="search" size={16} />} w={280} />
        {can('create', 'User') && <Button leftSection={<Icon name="plus" size={16} />} onClick={() => setCreating(true)}>New user</Button>}
      </Group>
      <QueryState query={users}>
        {() => (
          <Table.ScrollContainer minWidth={640}>
            <Table highlightOnHover>
              <Table.Thead>
                <Table.Tr><Table.Th>Username</Table.Th><Table.Th>Name</Table.Th><Table.Th>Email</Table.Th><Table.Th>Created</Table.Th><Table.Th>Enabled</Table.Th></Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {(users.data?.items ?? []).map((user) => (
                  <Table.Tr key={user.id}>
                    <Table.Td>{user.username} {user.serviceAccount && <Badge size="xs" variant="light">service account</Badge>}</Table.Td>
                    <Table.Td>{user.displayName}</Table.Td>
                    <Table.Td>{user.email ?? '—'}</Table.Td>
                    <Table.Td><TimeText iso={user.createdAt} /></Table.Td>
                    <Table.Td>
                      <Switch
                        aria-label={`${user.username} enabled`}
                        checked={!user.disabled}
                        disabled={!mayUpdate || user.id === me.id}
                        onChange={() => toggle.mutate(user)}
                      />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryState>
      <Modal opened={creating} onClose={() => setCreating(false)} title="New user">
        <CreateUser onClose={() => setCreating(false)} />
      </Modal>
    </Stack>
  );
}
