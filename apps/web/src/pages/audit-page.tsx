import { Alert, Anchor, Badge, Button, Drawer, Group, Paper, Select, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { type ReactNode, useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { type AuditFilter, auditExportUrl, useAuditEvents, useChainCheck } from '../api/audit';
import { ApiError, describeError } from '../api/client';
import { useProjects } from '../api/procedures';
import type { AuditEvent } from '../api/types';
import { Icon } from '../components/icons';
import { LoadMore } from '../components/load-more';
import { PageHeader } from '../components/page-header';
import { PageLoader } from '../components/page-loader';
import { useSession } from '../components/session/session-context';
import { StatusBadge } from '../components/status-badge';
import { formatDateTime } from '../components/time-text';

const TEXT_FILTERS = ['actor', 'action', 'resourceType', 'resourceId'] as const;
const RESOURCE_TYPES = ['execution', 'procedure', 'project', 'user', 'team', 'role', 'role_binding', 'token', 'session', 'secret', 'channel', 'audit'];

/** `datetime-local` works in local time without a zone; the API wants ISO 8601 UTC. */
function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

function fromLocalInput(value: string): string | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function resourceLink(event: AuditEvent): string | null {
  if (!event.resourceId) return null;
  if (event.resourceType === 'execution') return `/executions/${event.resourceId}`;
  if (event.resourceType === 'procedure') return `/procedures/${event.resourceId}`;
  return null;
}

function Json({ value }: { value: unknown }): ReactNode {
  return <pre className="json-block">{value === undefined ? '—' : JSON.stringify(value, null, 2)}</pre>;
}

function EventDetail({ event, projectName }: { event: AuditEvent; projectName: string }): ReactNode {
  const details = event.details ?? {};
  const { before, after, ...rest } = details as { before?: unknown; after?: unknown } & Record<string, unknown>;
  const link = resourceLink(event);
  const rows: Array<[string, ReactNode]> = [
    ['When', formatDateTime(event.occurredAt)],
    ['Actor', `${event.actorName} (${event.actorType}${event.actorId ? ` ${event.actorId}` : ''})`],
    ['Action', <Text key="a" span ff="monospace" fz="sm">{event.action}</Text>],
    ['Outcome', <StatusBadge key="o" status={event.outcome} />],
    ['Resource', link ? <Anchor key="r" component={Link} to={link} fz="sm">{event.resourceType} {event.resourceId}</Anchor> : `${event.resourceType ?? '—'} ${event.resourceId ?? ''}`],
    ['Project', event.projectId ? `${projectName} (${event.projectId})` : '—'],
    ['Reason', event.reason ?? '—'],
    ['Source IP', event.ip ?? '—'],
    ['User agent', event.userAgent ?? '—'],
    ['Token', event.tokenId ?? '—'],
    ['Request id', event.requestId ?? '—'],
    ['Sequence', event.seq],
    ['Chain position', event.chainSeq ?? 'not sealed yet (the sealer links events a moment after they commit)'],
    ['Hash', <Text key="h" span ff="monospace" fz="xs" style={{ overflowWrap: 'anywhere' }}>{event.hash ?? '—'}</Text>],
    ['Previous hash', <Text key="p" span ff="monospace" fz="xs" style={{ overflowWrap: 'anywhere' }}>{event.prevHash ?? '—'}</Text>],
  ];
  return (
    <Stack gap="md">
      <Table withRowBorders={false} verticalSpacing={3}>
        <Table.Tbody>
          {rows.map(([label, value]) => (
            <Table.Tr key={label}>
              <Table.Td c="dimmed" fz="sm" w={120} style={{ verticalAlign: 'top' }}>{label}</Table.Td>
              <Table.Td fz="sm" style={{ overflowWrap: 'anywhere' }}>{value}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {(before !== undefined || after !== undefined) && (
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm" data-testid="before-after">
          <Stack gap={4}><Title order={3} fz="sm">Before</Title><Json value={before} /></Stack>
          <Stack gap={4}><Title order={3} fz="sm">After</Title><Json value={after} /></Stack>
        </SimpleGrid>
      )}
      {Object.keys(rest).length > 0 && (
        <Stack gap={4}><Title order={3} fz="sm">Details</Title><Json value={rest} /></Stack>
      )}
    </Stack>
  );
}

function ChainStatus({ enabled }: { enabled: boolean }): ReactNode {
  const check = useChainCheck(enabled);
  if (!enabled) return <Text size="sm" c="dimmed">Verifying the chain needs read access to the whole audit log.</Text>;
  return (
    <Group gap="sm" data-testid="chain-status">
      {check.isFetching && !check.data ? (
        <Text size="sm">Verifying the hash chain…</Text>
      ) : check.error ? (
        <Text size="sm" c="red">{check.error instanceof ApiError && check.error.status === 403 ? 'Verifying the chain needs read access to the whole audit log.' : describeError(check.error)}</Text>
      ) : check.data?.ok ? (
        <Badge color="green" variant="light" size="lg">Chain intact · {check.data.checked.toLocaleString()} events verified</Badge>
      ) : check.data ? (
        <Badge color="red" variant="filled" size="lg">Chain broken at event {check.data.firstBrokenId ?? '?'} ({check.data.checked.toLocaleString()} checked)</Badge>
      ) : null}
      <Button size="compact-sm" variant="subtle" onClick={() => void check.refetch()} loading={check.isFetching}>Verify again</Button>
    </Group>
  );
}

/** The auditor's view: every event, filtered, paged as you scroll, exportable, with chain verification. */
export default function AuditPage(): ReactNode {
  const [params, setParams] = useSearchParams();
  const { permissions, can } = useSession();
  const projects = useProjects();
  const [text, setText] = useState<Record<string, string>>(() => Object.fromEntries(TEXT_FILTERS.map((key) => [key, params.get(key) ?? ''])));
  const [debouncedText] = useDebouncedValue(text, 350);
  const [selected, setSelected] = useState<AuditEvent | null>(null);

  const set = (entries: Record<string, string | null>): void => {
    setParams((previous) => {
      const next = new URLSearchParams(previous);
      for (const [key, value] of Object.entries(entries)) {
        if (value) next.set(key, value);
        else next.delete(key);
      }
      return next;
    }, { replace: true });
  };

  useEffect(() => {
    set(Object.fromEntries(TEXT_FILTERS.map((key) => [key, debouncedText[key]?.trim() || null])));
  }, [debouncedText]);

  const filter: AuditFilter = useMemo(() => {
    const value: AuditFilter = {};
    for (const key of ['actor', 'action', 'resourceType', 'resourceId', 'project', 'outcome', 'from', 'to'] as const) {
      const entry = params.get(key);
      if (entry) value[key] = entry;
    }
    return value;
  }, [params]);

  const events = useAuditEvents(filter);
  const rows = events.data?.pages.flatMap((page) => page.items) ?? [];
  const readScope = permissions.permissions.find((p) => p.action === 'read' && p.subject === 'AuditEvent')?.scope;
  const wholeLog = permissions.isAdmin || readScope?.everywhere === true;
  const mayExport = can('export', 'AuditEvent');
  const projectName = (id: string | null): string => (id ? projects.data?.find((p) => p.id === id)?.name ?? id.slice(0, 8) : '—');
  const hasFilter = Object.keys(filter).length > 0;

  return (
    <>
      <PageHeader
        title="Audit log"
        description="Who did what, when, and with what outcome, newest first. Every change, run, approval, sign-in and refusal is here; the log is append-only and hash-chained."
        actions={mayExport && (
          <Group gap="xs">
            <Button component="a" href={auditExportUrl(filter, 'jsonl')} download variant="default" leftSection={<Icon name="download" size={16} />}>Export JSONL</Button>
            <Button component="a" href={auditExportUrl(filter, 'csv')} download variant="default" leftSection={<Icon name="download" size={16} />}>Export CSV</Button>
          </Group>
        )}
      />
      <Paper withBorder p="sm" radius="md" mb="md">
        <ChainStatus enabled={wholeLog} />
      </Paper>
      <Paper withBorder p="sm" radius="md" mb="md" component="form" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }} spacing="sm">
          <TextInput label="Actor" placeholder="name or user id" value={text.actor} onChange={(e) => setText({ ...text, actor: e.currentTarget.value })} />
          <TextInput label="Action" placeholder="execution.started or procedure.*" value={text.action} onChange={(e) => setText({ ...text, action: e.currentTarget.value })} />
          <Select
            label="Resource type"
            placeholder="any"
            data={RESOURCE_TYPES}
            value={text.resourceType || null}
            onChange={(value) => setText({ ...text, resourceType: value ?? '' })}
            searchable
            clearable
          />
          <TextInput label="Resource id" placeholder="exact id" value={text.resourceId} onChange={(e) => setText({ ...text, resourceId: e.currentTarget.value })} />
          <Select
            label="Project"
            placeholder="any"
            data={(projects.data ?? []).map((p) => ({ value: p.id, label: p.name }))}
            value={filter.project ?? null}
            onChange={(value) => set({ project: value })}
            searchable
            clearable
          />
          <Select
            label="Outcome"
            placeholder="any"
            data={['allowed', 'denied', 'succeeded', 'failed']}
            value={filter.outcome ?? null}
            onChange={(value) => set({ outcome: value })}
            clearable
          />
          <TextInput label="From" type="datetime-local" value={toLocalInput(filter.from ?? null)} onChange={(e) => set({ from: fromLocalInput(e.currentTarget.value) })} />
          <TextInput label="To" type="datetime-local" value={toLocalInput(filter.to ?? null)} onChange={(e) => set({ to: fromLocalInput(e.currentTarget.value) })} />
        </SimpleGrid>
        {hasFilter && (
          <Group mt="sm">
            <Button size="xs" variant="subtle" onClick={() => { setText({ actor: '', action: '', resourceType: '', resourceId: '' }); setParams(new URLSearchParams(), { replace: true }); }}>
              Clear filters
            </Button>
          </Group>
        )}
      </Paper>
      {events.isPending ? (
        <PageLoader />
      ) : events.error ? (
        <Alert color="red" role="alert">{describeError(events.error)}</Alert>
      ) : (
        <>
          <Table.ScrollContainer minWidth={900}>
            <Table highlightOnHover verticalSpacing={6} className="sticky-head" data-testid="audit-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Time</Table.Th>
                  <Table.Th>Actor</Table.Th>
                  <Table.Th>Action</Table.Th>
                  <Table.Th>Resource</Table.Th>
                  <Table.Th>Project</Table.Th>
                  <Table.Th>Outcome</Table.Th>
                  <Table.Th>Reason</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((event) => (
                  <Table.Tr
                    key={event.id}
                    className="clickable-row"
                    onClick={() => setSelected(event)}
                    onKeyDown={(e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); setSelected(event); } }}
                    tabIndex={0}
                    aria-label={`${event.action} by ${event.actorName}, ${event.outcome}`}
                    data-action={event.action}
                  >
                    <Table.Td fz="sm" style={{ whiteSpace: 'nowrap' }}><time dateTime={event.occurredAt}>{formatDateTime(event.occurredAt)}</time></Table.Td>
                    <Table.Td fz="sm">{event.actorName}</Table.Td>
                    <Table.Td fz="sm" ff="monospace">{event.action}</Table.Td>
                    <Table.Td fz="sm">{event.resourceType ?? '—'} <Text span ff="monospace" fz="xs" c="dimmed">{event.resourceId?.slice(0, 8)}</Text></Table.Td>
                    <Table.Td fz="sm">{projectName(event.projectId)}</Table.Td>
                    <Table.Td w={110}><StatusBadge status={event.outcome} size="xs" /></Table.Td>
                    <Table.Td fz="sm" c="dimmed" maw={260} style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>{event.reason ?? ''}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <LoadMore hasNextPage={events.hasNextPage} isFetchingNextPage={events.isFetchingNextPage} fetchNextPage={events.fetchNextPage} count={rows.length} noun="events" />
        </>
      )}
      <Drawer opened={selected !== null} onClose={() => setSelected(null)} position="right" size="xl" title={selected ? <Text fw={600} ff="monospace">{selected.action}</Text> : null}>
        {selected && <EventDetail event={selected} projectName={projectName(selected.projectId)} />}
      </Drawer>
    </>
  );
}
