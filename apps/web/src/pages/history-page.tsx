import { Checkbox, Group, MultiSelect, Select } from '@mantine/core';
import { type ReactNode, useMemo } from 'react';
import { useSearchParams } from 'react-router';
import type { HistoryFilter } from '../api/executions';
import { useCatalog, useProjects } from '../api/procedures';
import { EXECUTION_STATUSES } from '../api/types';
import { ExecutionTable } from '../components/execution-table';
import { PageHeader } from '../components/page-header';
import { useSession } from '../components/session/session-context';

/** Every execution the user may see, filtered by procedure, project, status and who ran it. */
export function HistoryPage(): ReactNode {
  const [params, setParams] = useSearchParams();
  const { me } = useSession();
  const catalog = useCatalog('');
  const projects = useProjects();
  const filter: HistoryFilter = useMemo(() => ({
    procedure: params.get('procedure') ?? undefined,
    project: params.get('project') ?? undefined,
    status: params.get('status')?.split(',').filter(Boolean) ?? undefined,
    triggeredBy: params.get('triggeredBy') ?? undefined,
  }), [params]);

  const set = (key: string, value: string | null): void => {
    setParams((previous) => {
      const next = new URLSearchParams(previous);
      if (value) next.set(key, value);
      else next.delete(key);
      return next;
    }, { replace: true });
  };

  return (
    <>
      <PageHeader title="History" description="Executions you may see, newest first. Filters are part of the address: bookmark or share them." />
      <Group mb="md" align="flex-end" gap="sm" wrap="wrap">
        <Select
          label="Procedure"
          placeholder="Any procedure"
          data={(catalog.data ?? []).map((p) => ({ value: p.id, label: `${p.projectName} / ${p.name}` }))}
          value={filter.procedure ?? null}
          onChange={(value) => set('procedure', value)}
          searchable
          clearable
          w={280}
        />
        <Select
          label="Project"
          placeholder="Any project"
          data={(projects.data ?? []).map((p) => ({ value: p.id, label: p.name }))}
          value={filter.project ?? null}
          onChange={(value) => set('project', value)}
          searchable
          clearable
          w={200}
        />
        <MultiSelect
          label="Status"
          placeholder={filter.status?.length ? undefined : 'Any status'}
          data={EXECUTION_STATUSES.map((status) => ({ value: status, label: status.replace(/_/g, ' ') }))}
          value={filter.status ?? []}
          onChange={(value) => set('status', value.join(','))}
          clearable
          w={300}
        />
        <Checkbox
          label="Only my runs"
          checked={filter.triggeredBy === me.id}
          onChange={(event) => set('triggeredBy', event.currentTarget.checked ? me.id : null)}
          mb={8}
        />
      </Group>
      <ExecutionTable filter={filter} />
    </>
  );
}
