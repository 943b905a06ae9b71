import { useQuery } from '@tanstack/react-query';
import { api } from './client';
import type { ApiToken, Channel, Page, Role, RoleBinding, Team, User } from './types';

export const adminKeys = {
  users: (q: string) => ['users', q] as const,
  teams: ['teams'] as const,
  roles: ['roles'] as const,
  bindings: ['role-bindings'] as const,
  tokens: ['tokens'] as const,
  channels: (projectId: string) => ['channels', projectId] as const,
};

export function useUsers(q = '', enabled = true) {
  return useQuery({
    queryKey: adminKeys.users(q),
    queryFn: ({ signal }) => api.get<Page<User>>('/users', { q, limit: 500 }, signal),
    enabled,
    placeholderData: (previous) => previous,
  });
}

export function useTeams(enabled = true) {
  return useQuery({ queryKey: adminKeys.teams, queryFn: ({ signal }) => api.get<Page<Team>>('/teams', undefined, signal), enabled });
}

export function useRoles(enabled = true) {
  return useQuery({ queryKey: adminKeys.roles, queryFn: ({ signal }) => api.get<Page<Role>>('/roles', undefined, signal), enabled, staleTime: 60_000 });
}

export function useBindings(enabled = true) {
  return useQuery({ queryKey: adminKeys.bindings, queryFn: ({ signal }) => api.get<Page<RoleBinding>>('/role-bindings', undefined, signal), enabled });
}

export function useTokens() {
  return useQuery({ queryKey: adminKeys.tokens, queryFn: ({ signal }) => api.get<Page<ApiToken>>('/tokens', undefined, signal) });
}

export function useChannels(projectId: string | null) {
  return useQuery({
    queryKey: adminKeys.channels(projectId ?? ''),
    queryFn: ({ signal }) => api.get<Page<Channel>>(`/projects/${projectId}/channels`, undefined, signal),
    enabled: Boolean(projectId),
    retry: false,
  });
}
