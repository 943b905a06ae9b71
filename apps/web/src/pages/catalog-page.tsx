import { Anchor, Badge, Button, Card, Group, Menu, SimpleGrid, Stack, Text, TextInput, Title, Tooltip } from '@mantine/core';
import { useDebouncedValue, useInViewport } from '@mantine/hooks';
import { type ReactNode, useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useProcedureStats, useRecentRuns } from '../api/executions';
import { useCatalog, useProjects } from '../api/procedures';
import type { CatalogItem, Execution } from '../api/types';
import { Icon } from '../components/icons';
import { PageHeader } from '../components/page-header';
import { QueryState } from '../components/query-state';
import { useSession } from '../components/session/session-context';
import { statusColor } from '../components/status-badge';
import { formatDuration, formatRelative } from '../components/time-text';

const FINISHED = new Set(['succeeded', 'failed', 'timed_out', 'worker_lost']);

/** Success rate over the last finished runs (canceled and rejected runs say nothing about the procedure). */
export function successRate(runs: Execution[]): { rate: number; finished: number } | null {
  const finished = runs.filter((run) => FINISHED.has(run.status));
  if (finished.length === 0) return null;
  return { rate: finished.filter((run) => run.status === 'succeeded').length / finished.length, finished: finished.length };
}

function formatToil(minutes: number): string {
  return minutes < 120 ? `${minutes} min` : `${Math.round(minutes / 60)} h`;
}

function RecentRuns({ procedureId }: { procedureId: string }): ReactNode {
  const { ref, inViewport } = useInViewport();
  const [seen, setSeen] = useState(false);
  useEffect(() => {
    if (inViewport) setSeen(true);
  }, [inViewport]);
  const runs = useRecentRuns(procedureId, seen);
  const stats = useProcedureStats(procedureId, seen);
  const items = runs.data?.items ?? [];
  // The stats endpoint covers 30 days of runs; without it, the last page of runs is the sample.
  const derived = successRate(items);
  const s = stats.data;
  const summary = s
    ? [
      s.successRate !== null ? `${Math.round(s.successRate * 100)}% succeeded` : null,
      `${s.runs} ${s.runs === 1 ? 'run' : 'runs'} in ${s.sinceDays} days`,
      s.durationMs.p50 !== null ? `median ${formatDuration(s.durationMs.p50)}` : null,
      s.toilMinutesSaved > 0 ? `${formatToil(s.toilMinutesSaved)} of toil saved` : null,
    ].filter(Boolean).join(' · ')
    : derived ? `${Math.round(derived.rate * 100)}% succeeded (last ${derived.finished})` : '';
  return (
    <Stack gap={4} ref={ref} mih={64}>
      {runs.isPending ? (
        <Text size="xs" c="dimmed">&nbsp;</Text>
      ) : items.length === 0 ? (
        <Text size="xs" c="dimmed">No runs yet</Text>
      ) : (
        <>
          <Group gap={3} aria-label="Last runs, newest first">
            {items.slice(0, 12).map((run) => (
              <Tooltip key={run.id} label={`${run.status.replace(/_/g, ' ')} · ${formatRelative(run.queuedAt)} · ${run.triggeredBy.name}`}>
                <Anchor component={Link} to={`/executions/${run.id}`} aria-label={`Run ${run.status.replace(/_/g, ' ')} ${formatRelative(run.queuedAt)}`}>
                  <span style={{ display: 'block', width: 10, height: 18, borderRadius: 3, background: `var(--mantine-color-${statusColor(run.status)}-filled)` }} />
                </Anchor>
              </Tooltip>
            ))}
          </Group>
          <Text size="xs" c="dimmed">Last run {formatRelative(items[0].queuedAt)}</Text>
          {summary && <Text size="xs" c="dimmed">{summary}</Text>}
        </>
      )}
    </Stack>
  );
}

function ProcedureCard({ item }: { item: CatalogItem }): ReactNode {
  return (
    <Card withBorder padding="md" radius="md" component="article" aria-labelledby={`procedure-${item.id}`} data-procedure={item.name}>
      <Stack gap="xs" h="100%">
        <Group justify="space-between" wrap="nowrap" align="flex-start">
          <Anchor component={Link} to={`/procedures/${item.id}`} fw={600} id={`procedure-${item.id}`} style={{ overflowWrap: 'anywhere' }}>
            {item.name}
          </Anchor>
          {item.version !== null && <Badge variant="light" color="gray" size="sm" tt="none">v{item.version}</Badge>}
        </Group>
        <Text size="sm" c="dimmed" lineClamp={2} style={{ flexGrow: 1 }}>{item.description || 'No description.'}</Text>
        <RecentRuns procedureId={item.id} />
        <Group gap="xs">
          {item.permissions.run ? (
            <Button component={Link} to={`/procedures/${item.id}`} size="xs" leftSection={<Icon name="play" size={14} />} aria-label={`Run ${item.name}`}>
              Run
            </Button>
          ) : (
            <Button component={Link} to={`/procedures/${item.id}/definition`} size="xs" variant="default">View</Button>
          )}
          {item.permissions.update && (
            <Button component={Link} to={`/procedures/${item.id}/edit`} size="xs" variant="subtle">Edit</Button>
          )}
        </Group>
      </Stack>
    </Card>
  );
}

/** The catalog: what the user may run or read, grouped by project, searchable. */
export function CatalogPage(): ReactNode {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const { can } = useSession();
  const [search, setSearch] = useState(params.get('q') ?? '');
  const [debounced] = useDebouncedValue(search.trim(), 250);
  const catalog = useCatalog(debounced);
  const canCreate = can('create', 'Procedure');
  const projects = useProjects();

  useEffect(() => {
    setParams((previous) => {
      const next = new URLSearchParams(previous);
      if (debounced) next.set('q', debounced);
      else next.delete('q');
      return next;
    }, { replace: true });
  }, [debounced, setParams]);

  const groups = useMemo(() => {
    const byProject = new Map<string, { name: string; items: CatalogItem[] }>();
    for (const item of catalog.data ?? []) {
      const group = byProject.get(item.projectId) ?? { name: item.projectName, items: [] };
      group.items.push(item);
      byProject.set(item.projectId, group);
    }
    return [...byProject.entries()].sort(([, a], [, b]) => a.name.localeCompare(b.name));
  }, [catalog.data]);

  const describe = (projectId: string): string | undefined => projects.data?.find((project) => project.id === projectId)?.description || undefined;
  const creatable = (projects.data ?? []).filter((project) => can('create', 'Procedure', { projectId: project.id }));

  return (
    <>
      <PageHeader
        title="Catalog"
        description="Procedures you may run or read. Pick one, fill in the form, and watch it run."
        actions={canCreate && creatable.length > 0 && (
          creatable.length === 1 ? (
            <Button leftSection={<Icon name="plus" size={16} />} onClick={() => void navigate(`/procedures/new?project=${creatable[0].id}`)}>New procedure</Button>
          ) : (
            <Menu position="bottom-end">
              <Menu.Target>
                <Button leftSection={<Icon name="plus" size={16} />}>New procedure</Button>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>In project</Menu.Label>
                {creatable.map((project) => (
                  <Menu.Item key={project.id} onClick={() => void navigate(`/procedures/new?project=${project.id}`)}>{project.name}</Menu.Item>
                ))}
              </Menu.Dropdown>
            </Menu>
          )
        )}
      />
      <TextInput
        leftSection={<Icon name="search" size={16} />}
        placeholder="Search by name or description"
        aria-label="Search procedures"
        value={search}
        onChange={(event) => setSearch(event.currentTarget.value)}
        mb="lg"
        maw={520}
        type="search"
      />
      <QueryState query={catalog}>
        {() =>
          groups.length === 0 ? (
            <Text c="dimmed">{debounced ? `No procedure matches “${debounced}”.` : 'There is nothing here for you yet. Ask an owner to grant you a procedure.'}</Text>
          ) : (
            <Stack gap="xl" data-testid="catalog">
              {groups.map(([projectId, group]) => (
                <section key={projectId} aria-labelledby={`project-${projectId}`}>
                  <Group gap="xs" mb="sm" align="baseline">
                    <Title order={2} fz="lg" id={`project-${projectId}`}>{group.name}</Title>
                    <Badge variant="outline" color="gray" size="sm">{group.items.length}</Badge>
                    {describe(projectId) && <Text size="sm" c="dimmed">{describe(projectId)}</Text>}
                  </Group>
                  <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="md">
                    {group.items.map((item) => <ProcedureCard key={item.id} item={item} />)}
                  </SimpleGrid>
                </section>
              ))}
            </Stack>
          )
        }
      </QueryState>
    </>
  );
}
