import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { ApiError, describeError } from '../api/client';
import { signIn } from '../api/session';
import { markSignedIn, safeNextPath } from '../components/session/session-expiry';

export function SignInPage(): ReactNode {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = safeNextPath(params.get('next'));

  useEffect(() => {
    document.title = 'Sign in · Switchboard';
    // Whatever the previous session cached is not for the next user.
    queryClient.clear();
  }, [queryClient]);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setError(null);
    if (!username || !password) {
      setError('Enter your username and password.');
      return;
    }
    setBusy(true);
    try {
      await signIn(username, password);
      queryClient.clear();
      markSignedIn(true);
      void navigate(next, { replace: true });
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 401) setError('The username or password is not right.');
      else if (caught instanceof ApiError && caught.status === 429) setError('Too many attempts. Wait a few minutes, then try again.');
      else setError(describeError(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Center mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="xl" radius="lg" w={380} maw="100%">
        <form onSubmit={(event) => void submit(event)} aria-label="Sign in">
          <Stack>
            <Stack gap={4} align="center">
              <img src="/favicon.svg" width={40} height={40} alt="" />
              <Title order={1} fz={24}>Sign in to Switchboard</Title>
              {next !== '/' && <Text size="sm" c="dimmed">You will return to where you were.</Text>}
            </Stack>
            {error && <Alert color="red" role="alert">{error}</Alert>}
            <TextInput label="Username" autoComplete="username" value={username} onChange={(e) => setUsername(e.currentTarget.value)} autoFocus required />
            <PasswordInput label="Password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} required />
            <Button type="submit" loading={busy} fullWidth>Sign in</Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
