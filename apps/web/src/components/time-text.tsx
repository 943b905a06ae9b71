import { Tooltip } from '@mantine/core';
import type { ReactNode } from 'react';

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function formatRelative(iso: string, now = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return relative.format(seconds, 'second');
  if (abs < 45 * 60) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 22 * 3600) return relative.format(Math.round(seconds / 3600), 'hour');
  return relative.format(Math.round(seconds / 86400), 'day');
}

export function formatDateTime(iso: string): string {
  return absolute.format(new Date(iso));
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function durationBetween(from: string | null, to: string | null, now = Date.now()): number | null {
  if (!from) return null;
  return (to ? new Date(to).getTime() : now) - new Date(from).getTime();
}

/** A time shown relative ("3 minutes ago"), exact on hover, machine-readable in the markup. */
export function TimeText({ iso }: { iso: string | null | undefined }): ReactNode {
  if (!iso) return <span>—</span>;
  return (
    <Tooltip label={formatDateTime(iso)} openDelay={300}>
      <time dateTime={iso}>{formatRelative(iso)}</time>
    </Tooltip>
  );
}
