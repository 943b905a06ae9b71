/** Shapes of the Switchboard HTTP API (API.md), as the web app reads them. */

export interface FieldError {
  field: string;
  message: string;
  line?: number;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
  requestId?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Me {
  id: string;
  username: string;
  displayName: string;
  email: string | null;
  serviceAccount: boolean;
  roles: Array<{ role: string; scope: { type: string; id: string | null }; via: { type: string; id: string } }>;
  teams: Array<{ id: string }>;
  authenticatedWith: string;
}

export interface AccessScope {
  everywhere: boolean;
  projectIds: string[];
  procedureIds: string[];
  own?: { everywhere: boolean; projectIds: string[]; procedureIds: string[] };
}

export interface GrantedPermission {
  action: string;
  subject: string;
  scope: AccessScope;
}

export interface PermissionsView {
  isAdmin: boolean;
  permissions: GrantedPermission[];
}

export interface ProcedurePermissions {
  read: boolean;
  run: boolean;
  update: boolean;
  archive: boolean;
  approve: boolean;
}

export interface CatalogItem {
  id: string;
  projectId: string;
  projectName: string;
  name: string;
  description: string;
  version: number | null;
  permissions: ProcedurePermissions;
  updatedAt: string;
}

export type ScalarValue = string | number | boolean;

export interface ParameterValueSchema {
  type: 'string' | 'number' | 'integer' | 'boolean';
  enum?: ScalarValue[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
}

export interface ParameterProperty {
  type: 'string' | 'number' | 'integer' | 'boolean' | 'array';
  title?: string;
  description?: string;
  default?: ScalarValue | ScalarValue[];
  enum?: ScalarValue[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: ParameterValueSchema;
  uniqueItems?: boolean;
  minItems?: number;
  maxItems?: number;
  writeOnly?: boolean;
  'x-secret'?: boolean;
  'x-multiline'?: boolean;
  'x-order'?: number;
}

export interface ParameterSchema {
  type: 'object';
  properties: Record<string, ParameterProperty>;
  required?: string[];
}

export interface ApprovalRule {
  when: string | null;
  approvers: number;
}

export interface ProcedureDetail {
  id: string;
  projectId: string;
  projectName: string;
  name: string;
  description: string;
  version: number | null;
  latestVersion: number;
  parameterSchema: ParameterSchema | null;
  approval: ApprovalRule | null;
  definition?: Record<string, unknown> | null;
  tags: string[];
  workerGroup?: string;
  permissions: ProcedurePermissions;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
}

export interface ProcedureStats {
  procedureId: string;
  sinceDays: number;
  runs: number;
  succeeded: number;
  failed: number;
  active: number;
  successRate: number | null;
  durationMs: { p50: number | null; p95: number | null };
  lastRunAt: string | null;
  toilMinutesSaved: number;
}

export type VersionStatus = 'draft' | 'in_review' | 'active' | 'rejected' | 'superseded';

export interface VersionSummary {
  version: number;
  status: VersionStatus;
  createdAt: string;
  createdBy: { id: string; name: string };
  decidedBy: string | null;
  decidedAt: string | null;
  decisionComment: string | null;
}

export interface DefinitionChange {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
  diff?: string;
}

export interface VersionDetail extends VersionSummary {
  id: string;
  definition: Record<string, unknown>;
  source: string;
  parameterSchema: ParameterSchema;
  diffAgainstActive: { activeVersion: number | null; changes: DefinitionChange[] };
}

export const EXECUTION_STATUSES = ['pending_approval', 'queued', 'running', 'succeeded', 'failed', 'canceled', 'timed_out', 'worker_lost', 'rejected'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['succeeded', 'failed', 'canceled', 'timed_out', 'worker_lost', 'rejected']);

export interface ExecutionStep {
  name: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'canceled' | 'timed_out';
  exitCode: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  reason?: string;
}

export interface Execution {
  id: string;
  procedureId: string;
  procedureName?: string;
  projectId: string;
  version: number;
  status: ExecutionStatus;
  statusReason: string | null;
  params: Record<string, unknown>;
  trigger: string;
  triggeredBy: { id: string | null; name: string };
  rerunOf: string | null;
  workerGroup: string;
  attempt: number;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  steps: ExecutionStep[];
  outputs: Record<string, Record<string, string>>;
  logLines: number;
  /** Present when the run needed approval: how many, until when, and who decided what. */
  approval?: {
    required: number;
    expiresAt: string | null;
    decisions: Array<{ by: { id: string | null; name: string }; decision: 'approved' | 'rejected'; comment: string | null; at: string }>;
  };
}

export type LogStream = 'stdout' | 'stderr' | 'system';

export interface LogLine {
  seq: number;
  ts: string;
  stream: LogStream;
  step: string | null;
  text: string;
}

export type AuditOutcome = 'allowed' | 'denied' | 'succeeded' | 'failed';

export interface AuditEvent {
  seq: string;
  id: string;
  occurredAt: string;
  actorType: string;
  actorId: string | null;
  actorName: string;
  ip: string | null;
  userAgent: string | null;
  tokenId: string | null;
  requestId: string | null;
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  projectId: string | null;
  outcome: AuditOutcome;
  reason: string | null;
  details: Record<string, unknown> | null;
  /** The event's link in the hash chain; null for a moment after commit, until it is sealed. */
  chainSeq: string | null;
  prevHash: string | null;
  hash: string | null;
}

export interface ChainCheck {
  ok: boolean;
  checked: number;
  pending?: number;
  firstBrokenId?: string;
}

export interface Project {
  id: string;
  name: string;
  description: string;
  requireReview: boolean;
  runnersSeeOwnRunsOnly: boolean;
  createdAt: string;
}

export interface User {
  id: string;
  username: string;
  displayName: string;
  email: string | null;
  serviceAccount: boolean;
  disabled: boolean;
  createdAt: string;
}

export interface Team {
  id: string;
  name: string;
  description: string;
  members: Array<{ id: string; username: string }>;
}

export interface Role {
  name: string;
  description: string;
  permissions: Array<{ action: string; subject: string }>;
  builtIn: boolean;
}

export interface RoleBinding {
  id: string;
  subject: { type: string; id: string; name: string | null };
  role: string;
  scope: { type: string; id: string | null; name: string | null };
  createdAt: string;
}

export interface ApiToken {
  id: string;
  name: string;
  prefix: string;
  scopes: Array<{ action: string; subject: string; id?: string }> | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
}

export interface Channel {
  id: string;
  projectId: string;
  name: string;
  type: 'email' | 'webhook' | 'slack';
  config: Record<string, unknown>;
  events: string[];
  createdAt: string;
}

/** An item of the approvals inbox: a run or a procedure version waiting for the caller's decision. */
export type PendingApproval =
  | {
    kind: 'execution';
    id: string;
    procedureId: string;
    procedureName: string;
    projectId: string;
    version: number;
    params: Record<string, unknown>;
    requestedBy: { id: string | null; name: string };
    requestedAt: string;
    approvalsRequired: number;
    approvals: number;
    expiresAt: string | null;
  }
  | {
    kind: 'version';
    procedureId: string;
    procedureName: string;
    projectId: string;
    version: number;
    author: { id: string | null; name: string };
    submittedAt: string;
  };

export const NOTIFICATION_EVENTS = [
  'started', 'succeeded', 'failed', 'timed_out', 'canceled', 'worker_lost', 'rejected',
  'approval_requested', 'approval_decided', 'version_submitted', 'version_approved',
] as const;
