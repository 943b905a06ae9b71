import { Badge, type MantineColor } from '@mantine/core';
import type { ReactNode } from 'react';

const COLORS: Record<string, MantineColor> = {
  pending_approval: 'yellow',
  queued: 'gray',
  running: 'blue',
  succeeded: 'green',
  failed: 'red',
  canceled: 'orange',
  timed_out: 'red',
  worker_lost: 'grape',
  rejected: 'red',
  pending: 'gray',
  skipped: 'gray',
  draft: 'gray',
  in_review: 'yellow',
  active: 'green',
  superseded: 'gray',
  allowed: 'teal',
  denied: 'red',
};

export function statusColor(status: string): MantineColor {
  return COLORS[status] ?? 'gray';
}

/** A status in words (the same words as the API), coloured by meaning. */
export function StatusBadge({ status, size = 'sm' }: { status: string; size?: 'xs' | 'sm' | 'md' | 'lg' }): ReactNode {
  return (
    <Badge color={statusColor(status)} variant={status === 'running' ? 'filled' : 'light'} size={size} data-status={status}>
      {status.replace(/_/g, ' ')}
    </Badge>
  );
}
