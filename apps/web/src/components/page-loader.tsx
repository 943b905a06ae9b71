import { Center, Loader } from '@mantine/core';
import type { ReactNode } from 'react';

export function PageLoader(): ReactNode {
  return (
    <Center py="xl">
      <Loader aria-label="Loading" />
    </Center>
  );
}
