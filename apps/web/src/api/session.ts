import { useQuery } from '@tanstack/react-query';
import { api } from './client';
import type { Me, PermissionsView } from './types';

export const sessionKeys = {
  me: ['me'] as const,
  permissions: ['me', 'permissions'] as const,
};

export function useMe() {
  return useQuery({ queryKey: sessionKeys.me, queryFn: ({ signal }) => api.get<Me>('/me', undefined, signal), staleTime: 60_000, retry: false });
}

export function usePermissions() {
  return useQuery({
    queryKey: sessionKeys.permissions,
    queryFn: ({ signal }) => api.get<PermissionsView>('/me/permissions', undefined, signal),
    staleTime: 60_000,
    retry: false,
  });
}

export function signIn(username: string, password: string): Promise<{ user: { id: string; username: string } }> {
  return api.post('/auth/login', { username, password });
}

export function signOut(): Promise<void> {
  return api.post('/auth/logout');
}
