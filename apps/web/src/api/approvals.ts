import { useQuery } from '@tanstack/react-query';
import { api } from './client';
import type { Page, PendingApproval } from './types';

export const approvalKeys = { pending: ['approvals', 'pending'] as const };

export function usePendingApprovals(enabled = true) {
  return useQuery({
    queryKey: approvalKeys.pending,
    queryFn: ({ signal }) => api.get<Page<PendingApproval>>('/approvals', { state: 'pending' }, signal),
    enabled,
    retry: false,
    refetchInterval: 15_000,
  });
}

export type Decision = 'approve' | 'reject';

export function decideExecution(executionId: string, decision: Decision, comment: string): Promise<unknown> {
  return api.post(`/executions/${executionId}/${decision}`, comment ? { comment } : {});
}

export function decideVersion(procedureId: string, version: number, decision: Decision, comment: string): Promise<unknown> {
  return api.post(`/procedures/${procedureId}/versions/${version}/${decision}`, comment ? { comment } : {});
}

export function submitVersion(procedureId: string, version: number): Promise<unknown> {
  return api.post(`/procedures/${procedureId}/versions/${version}/submit`, {});
}
