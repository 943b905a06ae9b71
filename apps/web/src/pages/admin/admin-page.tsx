import { Tabs } from '@mantine/core';
import type { ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { PageHeader } from '../../components/page-header';
import { useSession } from '../../components/session/session-context';
import { BindingsPanel } from './bindings-panel';
import { ChannelsPanel } from './channels-panel';
import { TeamsPanel } from './teams-panel';
import { UsersPanel } from './users-panel';

/** Administration: users, teams, role bindings and notification channels, as far as the user may see them. */
export default function AdminPage(): ReactNode {
  const { can } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const tabs: Array<[string, string, ReactNode]> = [];
  if (can('read', 'User')) tabs.push(['users', 'Users', <UsersPanel key="users" />]);
  if (can('read', 'Team')) tabs.push(['teams', 'Teams', <TeamsPanel key="teams" />]);
  if (can('read', 'RoleBinding')) tabs.push(['bindings', 'Role bindings', <BindingsPanel key="bindings" />]);
  if (can('read', 'Channel')) tabs.push(['channels', 'Channels', <ChannelsPanel key="channels" />]);
  const current = location.pathname.split('/')[2] ?? '';
  if (tabs.length === 0) return <PageHeader title="Administration" description="You have no administrative rights." />;
  return (
    <>
      <PageHeader title="Administration" description="Who may do what, where: users, teams, the roles bound to them, and where notifications go." />
      <Tabs value={current || tabs[0][0]} onChange={(value) => void navigate(`/admin/${value}`)} mb="lg">
        <Tabs.List>
          {tabs.map(([value, label]) => <Tabs.Tab key={value} value={value}>{label}</Tabs.Tab>)}
        </Tabs.List>
      </Tabs>
      <Routes>
        <Route index element={<Navigate to={`/admin/${tabs[0][0]}`} replace />} />
        {tabs.map(([value, , element]) => <Route key={value} path={value} element={element} />)}
        <Route path="*" element={<Navigate to={`/admin/${tabs[0][0]}`} replace />} />
      </Routes>
    </>
  );
}
