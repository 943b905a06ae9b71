import { Group, Stack, Text, Title } from '@mantine/core';
import { type ReactNode, useEffect } from 'react';

/** A page's title (also the document title, for tabs and history) with optional actions. */
export function PageHeader({ title, description, actions, eyebrow, documentTitle }: {
  title: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
  eyebrow?: ReactNode;
  /** The tab's title when `title` is not plain text. */
  documentTitle?: string;
}): ReactNode {
  const plain = documentTitle ?? (typeof title === 'string' ? title : undefined);
  useEffect(() => {
    if (plain) document.title = `${plain} · Switchboard`;
  }, [plain]);
  return (
    <Group justify="space-between" align="flex-start" mb="lg" wrap="wrap" gap="md">
      <Stack gap={4} style={{ minWidth: 0, flex: '1 1 auto' }}>
        {eyebrow}
        <Title order={1} fz={26} style={{ overflowWrap: 'anywhere' }}>{title}</Title>
        {description && <Text c="dimmed" maw={760}>{description}</Text>}
      </Stack>
      {actions && <Group gap="sm">{actions}</Group>}
    </Group>
  );
}
