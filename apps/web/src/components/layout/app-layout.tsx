import { ActionIcon, AppShell, Avatar, Burger, Group, Menu, NavLink, Text, Tooltip, UnstyledButton, useComputedColorScheme, useMantineColorScheme } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQueryClient } from '@tanstack/react-query';
import { type ReactNode, Suspense } from 'react';
import { Link, Outlet, useLocation, useNavigate } from 'react-router';
import { signOut } from '../../api/session';
import { Icon, type IconName } from '../icons';
import { PageLoader } from '../page-loader';
import { useSession } from '../session/session-context';
import { markSignedIn } from '../session/session-expiry';

interface NavItem {
  to: string;
  label: string;
  icon: IconName;
  /** Paths that also light this item up. */
  prefixes: string[];
}

function ColorSchemeToggle(): ReactNode {
  const { setColorScheme } = useMantineColorScheme();
  const computed = useComputedColorScheme('light');
  const next = computed === 'dark' ? 'light' : 'dark';
  return (
    <Tooltip label={`Switch to ${next} mode`}>
      <ActionIcon variant="default" size="lg" onClick={() => setColorScheme(next)} aria-label={`Switch to ${next} mode`}>
        <Icon name={computed === 'dark' ? 'sun' : 'moon'} />
      </ActionIcon>
    </Tooltip>
  );
}

function UserMenu(): ReactNode {
  const { me } = useSession();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const leave = async (): Promise<void> => {
    try {
      await signOut();
    } finally {
      markSignedIn(false);
      queryClient.clear();
      void navigate('/sign-in', { replace: true });
    }
  };
  const name = me.displayName || me.username;
  return (
    <Menu position="bottom-end" width={220}>
      <Menu.Target>
        <UnstyledButton aria-label={`Account: ${name}`} data-testid="user-menu">
          <Group gap={8}>
            <Avatar size={30} radius="xl" color="blue">{name.slice(0, 2).toUpperCase()}</Avatar>
            <Text size="sm" visibleFrom="sm">{name}</Text>
          </Group>
        </UnstyledButton>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>Signed in as {me.username}</Menu.Label>
        <Menu.Item component={Link} to="/tokens" leftSection={<Icon name="key" size={16} />}>API tokens</Menu.Item>
        <Menu.Divider />
        <Menu.Item onClick={() => void leave()} leftSection={<Icon name="logout" size={16} />}>Sign out</Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}

/** The frame of every signed-in page: header, navigation (only what the user may use), content. */
export function AppLayout(): ReactNode {
  const [opened, { toggle, close }] = useDisclosure();
  const { can, permissions } = useSession();
  const location = useLocation();
  const items: NavItem[] = [{ to: '/', label: 'Catalog', icon: 'catalog', prefixes: ['/procedures'] }];
  if (can('read', 'Execution')) items.push({ to: '/executions', label: 'History', icon: 'history', prefixes: ['/executions'] });
  if (can('approve', 'Execution') || can('approve', 'Procedure')) items.push({ to: '/approvals', label: 'Approvals', icon: 'approvals', prefixes: [] });
  if (can('read', 'AuditEvent')) items.push({ to: '/audit', label: 'Audit log', icon: 'audit', prefixes: [] });
  if (permissions.isAdmin || can('read', 'User') || can('read', 'Team') || can('read', 'RoleBinding')) {
    items.push({ to: '/admin', label: 'Administration', icon: 'admin', prefixes: [] });
  }
  const isActive = (item: NavItem): boolean =>
    item.to === '/'
      ? location.pathname === '/' || item.prefixes.some((p) => location.pathname.startsWith(p))
      : location.pathname.startsWith(item.to) || item.prefixes.some((p) => location.pathname.startsWith(p));

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="lg">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="sm">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <UnstyledButton component={Link} to="/" aria-label="Switchboard home">
              <Group gap={8}>
                <img src="/favicon.svg" width={26} height={26} alt="" />
                <Text fw={700} size="lg">Switchboard</Text>
              </Group>
            </UnstyledButton>
          </Group>
          <Group gap="sm">
            <ColorSchemeToggle />
            <UserMenu />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        {items.map((item) => (
          <NavLink
            key={item.to}
            component={Link}
            to={item.to}
            label={item.label}
            leftSection={<Icon name={item.icon} />}
            active={isActive(item)}
            onClick={close}
            aria-current={isActive(item) ? 'page' : undefined}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <Suspense fallback={<PageLoader />}>
          <Outlet />
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}
