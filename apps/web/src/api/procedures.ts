import { useQuery } from '@tanstack/react-query';
import { api } from './client';
import type { CatalogItem, Page, ProcedureDetail, Project, VersionDetail, VersionSummary } from './types';

export const procedureKeys = {
  catalog: (q: string) => ['procedures', 'catalog', q] as const,
  detail: (id: string) => ['procedures', id] as const,
  versions: (id: string) => ['procedures', id, 'versions'] as const,
  version: (id: string, n: number) => ['procedures', id, 'versions', n] as const,
  export: (id: string) => ['procedures', id, 'export'] as const,
  projects: ['projects'] as const,
};

/** The whole catalog the caller may see (read or run), following cursors. */
async function fetchCatalog(q: string, signal: AbortSignal): Promise<CatalogItem[]> {
  const items: CatalogItem[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<CatalogItem> = await api.get<Page<CatalogItem>>('/procedures', { q, limit: 500, cursor }, signal);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

export function useCatalog(q: string) {
  return useQuery({ queryKey: procedureKeys.catalog(q), queryFn: ({ signal }) => fetchCatalog(q, signal), placeholderData: (previous) => previous });
}

export function useProcedure(id: string | undefined) {
  return useQuery({
    queryKey: procedureKeys.detail(id ?? ''),
    queryFn: ({ signal }) => api.get<ProcedureDetail>(`/procedures/${id}`, undefined, signal),
    enabled: Boolean(id),
  });
}

export function useVersions(id: string) {
  return useQuery({ queryKey: procedureKeys.versions(id), queryFn: ({ signal }) => api.get<Page<VersionSummary>>(`/procedures/${id}/versions`, undefined, signal) });
}

export function useVersion(id: string, n: number) {
  return useQuery({ queryKey: procedureKeys.version(id, n), queryFn: ({ signal }) => api.get<VersionDetail>(`/procedures/${id}/versions/${n}`, undefined, signal) });
}

export function useExport(id: string, enabled = true) {
  return useQuery({ queryKey: procedureKeys.export(id), queryFn: ({ signal }) => api.get<string>(`/procedures/${id}/export`, undefined, signal), enabled, staleTime: 0 });
}

export function useProjects() {
  return useQuery({
    queryKey: procedureKeys.projects,
    queryFn: async ({ signal }) => {
      const items: Project[] = [];
      let cursor: string | null = null;
      do {
        const page: Page<Project> = await api.get<Page<Project>>('/projects', { limit: 500, cursor }, signal);
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return items;
    },
    staleTime: 60_000,
  });
}
