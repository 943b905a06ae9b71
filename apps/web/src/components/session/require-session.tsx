import { Button, Center, Loader, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { type ReactNode, useEffect } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { ApiError, describeError, setUnauthenticatedHandler } from '../../api/client';
import { useMe, usePermissions } from '../../api/session';
import { SessionProvider } from './session-context';
import { markSignedIn, wasSignedIn } from './session-expiry';

/**
 * Watches for the session ending (idle or absolute expiry, sign-out in another tab): the next
 * request answered 401 takes the user to sign-in, keeping the page they were on to return to.
 */
export function SessionExpiryWatcher(): null {
  const navigate = useNavigate();
  useEffect(() => {
    let redirecting = false;
    setUnauthenticatedHandler(() => {
      const here = `${window.location.pathname}${window.location.search}`;
      if (redirecting || here.startsWith('/sign-in')) return;
      redirecting = true;
      if (wasSignedIn()) {
        notifications.show({ id: 'session-ended', color: 'yellow', title: 'Your session has ended', message: 'Sign in again to continue where you were.' });
      }
      markSignedIn(false);
      void navigate(`/sign-in?next=${encodeURIComponent(here)}`, { replace: true });
      setTimeout(() => {
        redirecting = false;
      }, 1000);
    });
    return () => setUnauthenticatedHandler(null);
  }, [navigate]);
  return null;
}

/** Renders its children only for a signed-in user, with their permissions at hand. */
export function RequireSession({ children }: { children: ReactNode }): ReactNode {
  const location = useLocation();
  const me = useMe();
  const permissions = usePermissions();
  useEffect(() => {
    if (me.data) markSignedIn(true);
  }, [me.data]);
  const error = me.error ?? permissions.error;
  if (error instanceof ApiError && error.status === 401) {
    return <Navigate to={`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  }
  if (error) {
    return (
      <Center h="100vh">
        <Stack align="center">
          <Text>Switchboard could not load your session: {describeError(error)}</Text>
          <Button onClick={() => { void me.refetch(); void permissions.refetch(); }}>Try again</Button>
        </Stack>
      </Center>
    );
  }
  if (!me.data || !permissions.data) {
    return (
      <Center h="100vh">
        <Loader aria-label="Loading" />
      </Center>
    );
  }
  return <SessionProvider me={me.data} permissions={permissions.data}>{children}</SessionProvider>;
}
