import { Button, Center, Text } from '@mantine/core';
import { useIntersection } from '@mantine/hooks';
import { type ReactNode, useEffect } from 'react';

interface Props {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage(): unknown;
  count: number;
  noun: string;
}

/** Infinite scroll: the next page loads when this comes into view; the button does it by keyboard. */
export function LoadMore({ hasNextPage, isFetchingNextPage, fetchNextPage, count, noun }: Props): ReactNode {
  const { ref, entry } = useIntersection({ rootMargin: '300px' });
  useEffect(() => {
    if (entry?.isIntersecting && hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [entry?.isIntersecting, hasNextPage, isFetchingNextPage, fetchNextPage]);
  return (
    <Center ref={ref} py="md">
      {hasNextPage ? (
        <Button variant="subtle" loading={isFetchingNextPage} onClick={() => void fetchNextPage()}>Load more</Button>
      ) : (
        <Text size="sm" c="dimmed" role="status">{count === 0 ? `No ${noun}.` : `${count.toLocaleString()} ${noun}, all loaded.`}</Text>
      )}
    </Center>
  );
}
