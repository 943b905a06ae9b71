import { Alert, Button, Stack } from '@mantine/core';
import type { ReactNode } from 'react';
import { describeError } from '../api/client';
import { PageLoader } from './page-loader';

interface Props {
  query: { isPending: boolean; error: unknown; refetch(): unknown };
  children: () => ReactNode;
}

/** Loading, error (with a retry) or the content: the three states every page has. */
export function QueryState({ query, children }: Props): ReactNode {
  if (query.error) {
    return (
      <Alert color="red" title="Could not load this" role="alert">
        <Stack gap="xs" align="flex-start">
          {describeError(query.error)}
          <Button size="xs" variant="light" onClick={() => void query.refetch()}>Try again</Button>
        </Stack>
      </Alert>
    );
  }
  if (query.isPending) return <PageLoader />;
  return children();
}
