import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { api, type Query } from './client';
import { type Execution, type LogLine, type Page, type ProcedureStats, TERMINAL_STATUSES } from './types';

export interface HistoryFilter {
  procedure?: string;
  project?: string;
  status?: string[];
  triggeredBy?: string;
}

export const executionKeys = {
  all: ['executions'] as const,
  detail: (id: string) => ['executions', id] as const,
  history: (filter: HistoryFilter) => ['executions', 'history', filter] as const,
  recent: (procedureId: string) => ['executions', 'recent', procedureId] as const,
  stats: (procedureId: string) => ['executions', 'stats', procedureId] as const,
};

export function useExecution(id: string) {
  return useQuery({
    queryKey: executionKeys.detail(id),
    queryFn: ({ signal }) => api.get<Execution>(`/executions/${id}`, undefined, signal),
    // The live stream announces status changes; polling slowly also keeps step times fresh.
    refetchInterval: (query) => (query.state.data && TERMINAL_STATUSES.has(query.state.data.status) ? false : 2000),
  });
}

export function useHistory(filter: HistoryFilter, pageSize = 50) {
  return useInfiniteQuery({
    queryKey: executionKeys.history(filter),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) => api.get<Page<Execution>>('/executions', { ...(filter as Query), limit: pageSize, cursor: pageParam }, signal),
    getNextPageParam: (page) => page.nextCursor,
  });
}

/** The last runs of a procedure, for the catalog's "last runs" and success rate. */
export function useRecentRuns(procedureId: string, enabled = true) {
  return useQuery({
    queryKey: executionKeys.recent(procedureId),
    queryFn: ({ signal }) => api.get<Page<Execution>>('/executions', { procedure: procedureId, limit: 20 }, signal),
    enabled,
    staleTime: 15_000,
  });
}

/** Runs, success rate, durations and toil saved over the last 30 days (of the runs the caller may read). */
export function useProcedureStats(procedureId: string, enabled = true) {
  return useQuery({
    queryKey: executionKeys.stats(procedureId),
    queryFn: ({ signal }) => api.get<ProcedureStats>(`/procedures/${procedureId}/stats`, undefined, signal),
    enabled,
    staleTime: 15_000,
    retry: false,
  });
}

/** Reads every stored line of an execution, page by page (for the download). */
export async function fetchAllLogLines(id: string, onProgress?: (count: number) => void): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  let after = 0;
  for (;;) {
    const page = await api.get<Page<LogLine>>(`/executions/${id}/logs`, { after, limit: 5000 });
    lines.push(...page.items);
    onProgress?.(lines.length);
    if (!page.nextCursor || page.items.length === 0) return lines;
    after = Number(page.nextCursor);
  }
}
