import type { NotificationEvent, NotificationEventType } from '@switchboard/notifications';

export interface NotifiableExecution {
  id: string;
  projectId: string;
  procedureId: string;
  /** The pinned version: its `notify` says who hears of the run. */
  versionId?: string;
  version: number;
  params: Record<string, unknown>;
  triggeredByName: string;
  attempt?: number;
}

/** The notification event for a run's state change; the key makes its delivery idempotent. */
export function executionEvent(
  type: NotificationEventType, execution: NotifiableExecution, procedureName: string, extra: { status?: string; reason?: string | null; actor?: string; comment?: string | null } = {},
): NotificationEvent {
  return {
    key: `${execution.id}:${type}${type === 'started' || type === 'approval_decided' ? `:${execution.attempt ?? 0}:${extra.actor ?? ''}` : ''}`,
    type,
    occurredAt: new Date().toISOString(),
    projectId: execution.projectId,
    procedureId: execution.procedureId,
    procedureName,
    versionId: execution.versionId,
    execution: {
      id: execution.id, status: extra.status ?? type, reason: extra.reason ?? null, params: execution.params,
      triggeredBy: execution.triggeredByName, version: execution.version,
    },
    actor: extra.actor,
    comment: extra.comment,
  };
}
