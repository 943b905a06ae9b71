import { Anchor, Badge, Button, Group, Tabs } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link, Outlet, useLocation, useNavigate, useOutletContext, useParams } from 'react-router';
import { ApiError } from '../../api/client';
import { useProcedure } from '../../api/procedures';
import type { ProcedureDetail } from '../../api/types';
import { PageHeader } from '../../components/page-header';
import { QueryState } from '../../components/query-state';
import { NotFoundPage } from '../not-found-page';

export function useProcedureContext(): ProcedureDetail {
  return useOutletContext<ProcedureDetail>();
}

/** A procedure's pages (run, runs, definition, versions, edit) under one header with tabs. */
export function ProcedureLayout(): ReactNode {
  const { procedureId = '' } = useParams();
  const procedure = useProcedure(procedureId);
  const location = useLocation();
  const navigate = useNavigate();
  if (procedure.error instanceof ApiError && procedure.error.status === 404) return <NotFoundPage what="procedure" />;
  const base = `/procedures/${procedureId}`;
  const rest = location.pathname.slice(base.length).split('/')[1] ?? '';
  const tab = rest === '' ? 'run' : rest;
  return (
    <QueryState query={procedure}>
      {() => {
        const p = procedure.data as ProcedureDetail;
        const tabs: Array<[string, string]> = [];
        if (p.permissions.run) tabs.push(['run', 'Run']);
        tabs.push(['runs', 'Runs']);
        if (p.permissions.read) tabs.push(['definition', 'Definition'], ['versions', 'Versions']);
        if (p.permissions.update) tabs.push(['edit', 'Propose a change']);
        return (
          <>
            <PageHeader
              eyebrow={
                <Group gap="xs">
                  <Anchor component={Link} to="/" size="sm" c="dimmed">Catalog</Anchor>
                  <span aria-hidden="true">/</span>
                  <Badge variant="outline" color="gray" size="sm" tt="none">{p.projectName}</Badge>
                  {p.version !== null && <Badge variant="light" size="sm" tt="none">active v{p.version}</Badge>}
                  {p.archived && <Badge color="red" size="sm">archived</Badge>}
                  {p.tags.map((tag) => <Badge key={tag} variant="dot" size="sm">{tag}</Badge>)}
                </Group>
              }
              title={p.name}
              description={p.description}
              actions={!p.permissions.run && p.permissions.read ? <Button variant="default" disabled>Read only</Button> : undefined}
            />
            <Tabs value={tab} onChange={(value) => void navigate(value === 'run' ? base : `${base}/${value}`)} mb="lg" keepMounted={false}>
              <Tabs.List>
                {tabs.map(([value, label]) => <Tabs.Tab key={value} value={value}>{label}</Tabs.Tab>)}
              </Tabs.List>
            </Tabs>
            <Outlet context={p} />
          </>
        );
      }}
    </QueryState>
  );
}
