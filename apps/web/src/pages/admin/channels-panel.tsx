import { ActionIcon, Alert, Badge, Button, Code, CopyButton, Group, Modal, MultiSelect, Paper, Select, Stack, Table, Text, TextInput, Title, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { adminKeys, useChannels } from '../../api/admin';
import { api, ApiError, describeError } from '../../api/client';
import { useProjects } from '../../api/procedures';
import { type Channel, NOTIFICATION_EVENTS } from '../../api/types';
import { useSession } from '../../components/session/session-context';

function CreateChannel({ projectId }: { projectId: string }): ReactNode {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [type, setType] = useState<'email' | 'webhook' | 'slack'>('email');
  const [target, setTarget] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const [secret, setSecret] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () => api.post<Channel & { secret?: string }>(`/projects/${projectId}/channels`, {
      name, type, events,
      config: type === 'email' ? { to: target.split(/[,\s]+/).filter(Boolean) } : { url: target },
    }),
    onSuccess: (channel) => {
      setName('');
      setTarget('');
      if (channel.secret) setSecret(channel.secret);
      else notifications.show({ color: 'green', message: `Channel ${channel.name} created.` });
      void queryClient.invalidateQueries({ queryKey: adminKeys.channels(projectId) });
    },
  });
  const errors = create.error instanceof ApiError ? create.error.errors : [];
  return (
    <Paper withBorder p="md" radius="md" component="form" aria-label="New channel" onSubmit={(e) => { e.preventDefault(); create.mutate(); }}>
      <Title order={2} fz="md" mb="sm">New channel</Title>
      <Group align="flex-start" gap="sm" wrap="wrap">
        <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} placeholder="ops-mail" error={errors.find((e) => e.field === 'name')?.message} w={180} />
        <Select label="Type" data={['email', 'webhook', 'slack']} value={type} onChange={(v) => setType((v ?? 'email') as 'email' | 'webhook' | 'slack')} allowDeselect={false} w={120} />
        <TextInput
          label={type === 'email' ? 'Recipients' : type === 'webhook' ? 'URL' : 'Slack incoming-webhook URL'}
          description={type === 'email' ? 'Comma-separated addresses' : undefined}
          value={target}
          onChange={(e) => setTarget(e.currentTarget.value)}
          error={errors.find((e) => e.field.startsWith('config'))?.message}
          w={320}
        />
        <MultiSelect label="Project-wide events" description="Sent for every procedure; leave empty to notify only where a procedure names this channel" data={[...NOTIFICATION_EVENTS]} value={events} onChange={setEvents} w={300} clearable />
      </Group>
      <Group mt="sm">
        <Button type="submit" disabled={!name || !target} loading={create.isPending}>Create channel</Button>
        {create.error && errors.length === 0 && <Text c="red" size="sm" role="alert">{describeError(create.error)}</Text>}
      </Group>
      <Modal opened={secret !== null} onClose={() => setSecret(null)} title="Webhook signing secret">
        <Stack>
          <Alert color="yellow">This is the only time the secret is shown. Receivers use it to verify the X-Switchboard-Signature header.</Alert>
          <Code block>{secret}</Code>
          <CopyButton value={secret ?? ''}>{({ copied, copy }) => <Button onClick={copy} color={copied ? 'teal' : 'blue'}>{copied ? 'Copied' : 'Copy secret'}</Button>}</CopyButton>
        </Stack>
      </Modal>
    </Paper>
  );
}

export function ChannelsPanel(): ReactNode {
  const { can } = useSession();
  const projects = useProjects();
  const [projectId, setProjectId] = useState<string | null>(null);
  const selected = projectId ?? projects.data?.[0]?.id ?? null;
  const channels = useChannels(selected);
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: (id: string) => api.delete(`/projects/${selected}/channels/${id}`),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: adminKeys.channels(selected ?? '') }),
    onError: (error) => notifications.show({ color: 'red', title: 'Could not delete', message: describeError(error) }),
  });
  return (
    <Stack>
      <Select label="Project" data={(projects.data ?? []).map((p) => ({ value: p.id, label: p.name }))} value={selected} onChange={setProjectId} searchable w={260} allowDeselect={false} />
      {selected && can('create', 'Channel', { projectId: selected }) && <CreateChannel projectId={selected} />}
      {channels.error instanceof ApiError && channels.error.isMissingRoute ? (
        <Alert color="gray">This server does not offer notification channels yet.</Alert>
      ) : channels.error ? (
        <Alert color="red">{describeError(channels.error)}</Alert>
      ) : (
        <Table.ScrollContainer minWidth={640}>
          <Table>
            <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Type</Table.Th><Table.Th>Target</Table.Th><Table.Th>Events</Table.Th><Table.Th /></Table.Tr></Table.Thead>
            <Table.Tbody>
              {(channels.data?.items ?? []).map((channel) => (
                <Table.Tr key={channel.id}>
                  <Table.Td fw={600}>{channel.name}</Table.Td>
                  <Table.Td><Badge variant="light">{channel.type}</Badge></Table.Td>
                  <Table.Td fz="sm" style={{ overflowWrap: 'anywhere' }}>{Array.isArray(channel.config.to) ? channel.config.to.join(', ') : String(channel.config.url ?? '')}</Table.Td>
                  <Table.Td fz="sm">{channel.events.length ? channel.events.join(', ') : 'where procedures name it'}</Table.Td>
                  <Table.Td>
                    {can('delete', 'Channel', { projectId: channel.projectId }) && (
                      <Tooltip label="Delete"><ActionIcon variant="subtle" color="red" aria-label={`Delete channel ${channel.name}`} onClick={() => remove.mutate(channel.id)}>×</ActionIcon></Tooltip>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
              {channels.data?.items.length === 0 && <Table.Tr><Table.Td colSpan={5}><Text c="dimmed" size="sm">No channels in this project.</Text></Table.Td></Table.Tr>}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
