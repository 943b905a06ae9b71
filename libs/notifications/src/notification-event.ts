/** What happened, as notifications describe it. Parameters are already redacted (secrets are "***"). */
export const NOTIFICATION_EVENTS = [
  'started', 'succeeded', 'failed', 'timed_out', 'canceled', 'worker_lost', 'rejected',
  'approval_requested', 'approval_decided', 'version_submitted', 'version_approved',
] as const;
export type NotificationEventType = (typeof NOTIFICATION_EVENTS)[number];

export interface NotificationEvent {
  /** Unique per occurrence: deliveries are idempotent per (key, target). */
  key: string;
  type: NotificationEventType;
  occurredAt: string;
  projectId: string;
  procedureId: string;
  procedureName: string;
  /** The procedure version whose `notify` applies: a run's pinned version. Without it, the active version's. */
  versionId?: string;
  execution?: {
    id: string;
    status: string;
    reason: string | null;
    params: Record<string, unknown>;
    triggeredBy: string;
    version: number;
  };
  version?: { number: number; author: string };
  actor?: string;
  comment?: string | null;
}

export const NOTIFICATIONS_DISPATCH_JOB = 'dispatch';
export const NOTIFICATIONS_DELIVER_JOB = 'deliver';
