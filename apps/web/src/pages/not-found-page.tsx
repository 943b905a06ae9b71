import { Button, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link } from 'react-router';

export function NotFoundPage({ what = 'page' }: { what?: string }): ReactNode {
  return (
    <Stack align="flex-start" py="xl">
      <Title order={1} fz={26}>Not found</Title>
      <Text c="dimmed">This {what} does not exist, or you are not allowed to see it.</Text>
      <Button component={Link} to="/" variant="light">Back to the catalog</Button>
    </Stack>
  );
}
