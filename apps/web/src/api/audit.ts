import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { api, apiUrl, type Query } from './client';
import type { AuditEvent, ChainCheck, Page } from './types';

export interface AuditFilter {
  actor?: string;
  action?: string;
  resourceType?: string;
  resourceId?: string;
  project?: string;
  outcome?: string;
  from?: string;
  to?: string;
}

export const auditKeys = {
  page: (filter: AuditFilter) => ['audit-events', filter] as const,
  verify: ['audit-events', 'verify'] as const,
};

export function useAuditEvents(filter: AuditFilter) {
  return useInfiniteQuery({
    queryKey: auditKeys.page(filter),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) => api.get<Page<AuditEvent>>('/audit-events', { ...(filter as Query), limit: 100, cursor: pageParam }, signal),
    getNextPageParam: (page) => page.nextCursor,
  });
}

export function useChainCheck(enabled: boolean) {
  return useQuery({
    queryKey: auditKeys.verify,
    queryFn: ({ signal }) => api.get<ChainCheck>('/audit-events/verify', undefined, signal),
    enabled,
    staleTime: 30_000,
    retry: false,
  });
}

/** The export of exactly the current filter, as a plain link (the browser streams it to a file). */
export function auditExportUrl(filter: AuditFilter, format: 'jsonl' | 'csv'): string {
  return apiUrl('/audit-events/export', { ...(filter as Query), format });
}
