import { ActionIcon, Alert, Button, Code, CopyButton, Group, Modal, Paper, Stack, Table, Text, TextInput, Title, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { adminKeys, useTokens } from '../api/admin';
import { api, describeError } from '../api/client';
import type { ApiToken } from '../api/types';
import { PageHeader } from '../components/page-header';
import { QueryState } from '../components/query-state';
import { TimeText } from '../components/time-text';

/** Personal API tokens for tools and the CLI; a new token's secret is shown exactly once. */
export default function TokensPage(): ReactNode {
  const tokens = useTokens();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [expires, setExpires] = useState('');
  const [created, setCreated] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const create = useMutation({
    mutationFn: () => api.post<ApiToken & { token: string }>('/tokens', { name, ...(expires ? { expiresAt: new Date(`${expires}T23:59:59`).toISOString() } : {}) }),
    onSuccess: (token) => {
      setCreated(token.token);
      setName('');
      setExpires('');
      void queryClient.invalidateQueries({ queryKey: adminKeys.tokens });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api.delete(`/tokens/${id}`),
    onSuccess: () => {
      setRevoking(null);
      notifications.show({ color: 'green', message: 'Token revoked.' });
      void queryClient.invalidateQueries({ queryKey: adminKeys.tokens });
    },
  });
  return (
    <>
      <PageHeader title="API tokens" description="Tokens let tools and the CLI act as you (never with more rights than you have). Revoke any you no longer use." />
      <Stack>
        <Paper withBorder p="md" radius="md" component="form" aria-label="New token" onSubmit={(e) => { e.preventDefault(); create.mutate(); }}>
          <Title order={2} fz="md" mb="sm">New token</Title>
          <Group align="flex-end" gap="sm" wrap="wrap">
            <TextInput label="Name" description="What will use it" placeholder="ci-deploys" value={name} onChange={(e) => setName(e.currentTarget.value)} w={240} required />
            <TextInput label="Expires" description="Optional" type="date" value={expires} onChange={(e) => setExpires(e.currentTarget.value)} w={180} />
            <Button type="submit" disabled={!name.trim()} loading={create.isPending}>Create token</Button>
          </Group>
          {create.error && <Text c="red" size="sm" mt="xs" role="alert">{describeError(create.error)}</Text>}
        </Paper>
        <QueryState query={tokens}>
          {() => (
            <Table.ScrollContainer minWidth={640}>
              <Table>
                <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Prefix</Table.Th><Table.Th>Created</Table.Th><Table.Th>Last used</Table.Th><Table.Th>Expires</Table.Th><Table.Th /></Table.Tr></Table.Thead>
                <Table.Tbody>
                  {(tokens.data?.items ?? []).map((token) => (
                    <Table.Tr key={token.id}>
                      <Table.Td fw={600}>{token.name}</Table.Td>
                      <Table.Td><Code>{token.prefix}…</Code></Table.Td>
                      <Table.Td><TimeText iso={token.createdAt} /></Table.Td>
                      <Table.Td><TimeText iso={token.lastUsedAt} /></Table.Td>
                      <Table.Td>{token.expiresAt ? <TimeText iso={token.expiresAt} /> : 'never'}</Table.Td>
                      <Table.Td><Tooltip label="Revoke"><ActionIcon variant="subtle" color="red" aria-label={`Revoke token ${token.name}`} onClick={() => setRevoking(token)}>×</ActionIcon></Tooltip></Table.Td>
                    </Table.Tr>
                  ))}
                  {tokens.data?.items.length === 0 && <Table.Tr><Table.Td colSpan={6}><Text c="dimmed" size="sm">No tokens yet.</Text></Table.Td></Table.Tr>}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </QueryState>
      </Stack>
      <Modal opened={created !== null} onClose={() => setCreated(null)} title="Your new token" closeOnClickOutside={false}>
        <Stack>
          <Alert color="yellow">Copy it now: this is the only time it is shown. Only a hash is kept.</Alert>
          <Code block data-testid="new-token" style={{ overflowWrap: 'anywhere', whiteSpace: 'pre-wrap' }}>{created}</Code>
          <Group justify="space-between">
            <CopyButton value={created ?? ''}>{({ copied, copy }) => <Button onClick={copy} color={copied ? 'teal' : 'blue'}>{copied ? 'Copied' : 'Copy token'}</Button>}</CopyButton>
            <Button variant="default" onClick={() => setCreated(null)}>Done</Button>
          </Group>
        </Stack>
      </Modal>
      <Modal opened={revoking !== null} onClose={() => setRevoking(null)} title="Revoke this token?">
        <Stack>
          <Text size="sm">Anything using “{revoking?.name}” stops working at once.</Text>
          {revoke.error && <Text c="red" size="sm">{describeError(revoke.error)}</Text>}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setRevoking(null)}>Keep it</Button>
            <Button color="red" loading={revoke.isPending} onClick={() => revoking && revoke.mutate(revoking.id)}>Revoke</Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
