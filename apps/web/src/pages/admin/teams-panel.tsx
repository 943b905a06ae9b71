import { ActionIcon, Badge, Button, Card, Group, Select, SimpleGrid, Stack, Text, TextInput, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { adminKeys, useTeams, useUsers } from '../../api/admin';
import { api, describeError } from '../../api/client';
import type { Team } from '../../api/types';
import { QueryState } from '../../components/query-state';
import { useSession } from '../../components/session/session-context';

function TeamCard({ team, mayUpdate, userOptions }: { team: Team; mayUpdate: boolean; userOptions: Array<{ value: string; label: string }> }): ReactNode {
  const queryClient = useQueryClient();
  const [adding, setAdding] = useState<string | null>(null);
  const change = useMutation({
    mutationFn: ({ userId, add }: { userId: string; add: boolean }) => (add ? api.post(`/teams/${team.id}/members/${userId}`) : api.delete(`/teams/${team.id}/members/${userId}`)),
    onSuccess: () => {
      setAdding(null);
      void queryClient.invalidateQueries({ queryKey: adminKeys.teams });
    },
    onError: (error) => notifications.show({ color: 'red', title: 'Could not change the team', message: describeError(error) }),
  });
  const memberIds = new Set(team.members.map((m) => m.id));
  return (
    <Card withBorder radius="md" padding="md" component="section" aria-label={`Team ${team.name}`}>
      <Stack gap="xs">
        <Group justify="space-between"><Text fw={600}>{team.name}</Text><Badge variant="light" color="gray">{team.members.length} members</Badge></Group>
        {team.description && <Text size="sm" c="dimmed">{team.description}</Text>}
        <Group gap={6}>
          {team.members.map((member) => (
            <Badge key={member.id} variant="outline" rightSection={mayUpdate ? (
              <Tooltip label={`Remove ${member.username}`}>
                <ActionIcon size="xs" variant="transparent" aria-label={`Remove ${member.username} from ${team.name}`} onClick={() => change.mutate({ userId: member.id, add: false })}>×</ActionIcon>
              </Tooltip>
            ) : undefined}>
              {member.username}
            </Badge>
          ))}
          {team.members.length === 0 && <Text size="sm" c="dimmed">No members.</Text>}
        </Group>
        {mayUpdate && (
          <Group gap="xs" align="flex-end">
            <Select
              aria-label={`Add a member to ${team.name}`}
              placeholder="Add a member…"
              data={userOptions.filter((o) => !memberIds.has(o.value))}
              value={adding}
              onChange={setAdding}
              searchable
              size="xs"
              style={{ flex: 1 }}
            />
            <Button size="xs" disabled={!adding} loading={change.isPending} onClick={() => adding && change.mutate({ userId: adding, add: true })}>Add</Button>
          </Group>
        )}
      </Stack>
    </Card>
  );
}

export function TeamsPanel(): ReactNode {
  const { can } = useSession();
  const teams = useTeams();
  const users = useUsers('', can('read', 'User'));
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: () => api.post<Team>('/teams', { name }),
    onSuccess: () => {
      setName('');
      void queryClient.invalidateQueries({ queryKey: adminKeys.teams });
    },
  });
  const userOptions = (users.data?.items ?? []).map((u) => ({ value: u.id, label: `${u.username}${u.displayName && u.displayName !== u.username ? ` (${u.displayName})` : ''}` }));
  return (
    <Stack>
      {can('create', 'Team') && (
        <Group align="flex-end" component="form" onSubmit={(e) => { e.preventDefault(); create.mutate(); }}>
          <TextInput label="New team" placeholder="payments-devs" value={name} onChange={(e) => setName(e.currentTarget.value)} error={create.error ? describeError(create.error) : undefined} />
          <Button type="submit" disabled={!name.trim()} loading={create.isPending}>Create team</Button>
        </Group>
      )}
      <QueryState query={teams}>
        {() => (
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            {(teams.data?.items ?? []).map((team) => <TeamCard key={team.id} team={team} mayUpdate={can('update', 'Team')} userOptions={userOptions} />)}
          </SimpleGrid>
        )}
      </QueryState>
    </Stack>
  );
}
