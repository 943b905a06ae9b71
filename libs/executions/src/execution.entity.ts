import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ProcedureEntity, ProcedureVersionEntity } from '@switchboard/procedures';
import type { ExecutionStatus } from './execution-state';

export type ExecutionTrigger = 'api' | 'web' | 'cli' | 'webhook' | 'schedule' | 'rerun';

export interface ExecutionStepRecord {
  name: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'canceled' | 'timed_out';
  exitCode: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  reason?: string;
}

/** One run of a pinned procedure version. PostgreSQL is the source of truth; the queue only carries the id. */
@Entity({ name: 'executions' })
@Index('executions_procedure_idx', ['procedureId', 'queuedAt'])
@Index('executions_project_idx', ['projectId', 'queuedAt'])
@Index('executions_triggered_by_idx', ['triggeredBy', 'queuedAt'])
@Index('executions_queued_at_idx', ['queuedAt'])
/*
 * executions_active_idx holds the runs that are not over: the reconciler, the concurrency count and
 * the queue's look-ups read it. A statement that finds its rows by id and checks their state (a
 * claim, an end, a cancel) writes that check as `(status = 'queued') IS TRUE`: the same test, but
 * one the planner cannot answer from this index, so the primary key finds the row. With a plain
 * `status = 'queued'`, statistics gathered while nothing was queued (a quiet moment, any night)
 * made the planner prefer this small index and read every queued run to find one: each claim then
 * cost time in proportion to the backlog (0.44 ms against 0.15 with 1,000 queued, and a claim of
 * four 2.1 ms against 0.22; test/schema.e2e-spec.ts shows both plans).
 */
@Index('executions_active_idx', ['status', 'procedureId'], { where: "status IN ('pending_approval', 'queued', 'running')" })
export class ExecutionEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'procedure_id', type: 'uuid' })
  procedureId: string;

  @Column({ name: 'project_id', type: 'uuid' })
  projectId: string;

  @Column({ name: 'version_id', type: 'uuid' })
  versionId: string;

  @Column({ type: 'int' })
  version: number;

  @Column({ type: 'text' })
  status: ExecutionStatus;

  @Column({ name: 'status_reason', type: 'text', nullable: true })
  statusReason: string | null;

  /** Parameters with secret values replaced by "***". */
  @Column({ type: 'jsonb' })
  params: Record<string, unknown>;

  /** Secret parameter values, encrypted (AES-256-GCM); only the worker decrypts them. */
  @Column({ name: 'secret_params', type: 'text', nullable: true })
  secretParams: string | null;

  @Column({ type: 'text' })
  trigger: ExecutionTrigger;

  @Column({ name: 'triggered_by', type: 'uuid', nullable: true })
  triggeredBy: string | null;

  @Column({ name: 'triggered_by_name', type: 'text' })
  triggeredByName: string;

  @Column({ name: 'rerun_of', type: 'uuid', nullable: true })
  rerunOf: string | null;

  @Column({ name: 'worker_group', type: 'text' })
  workerGroup: string;

  @Column({ name: 'worker_id', type: 'text', nullable: true })
  workerId: string | null;

  @Column({ type: 'int', default: 0 })
  attempt: number;

  @Column({ name: 'queued_at', type: 'timestamptz' })
  queuedAt: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  /** How many distinct approvers must approve before the run is queued (0: no approval needed). */
  @Column({ name: 'approvals_required', type: 'int', default: 0 })
  approvalsRequired: number;

  /** A run still waiting for approval at this time is rejected as expired. */
  @Column({ name: 'approval_expires_at', type: 'timestamptz', nullable: true })
  approvalExpiresAt: Date | null;

  @Column({ name: 'cancel_requested_at', type: 'timestamptz', nullable: true })
  cancelRequestedAt: Date | null;

  @Column({ name: 'cancel_requested_by', type: 'text', nullable: true })
  cancelRequestedBy: string | null;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  steps: ExecutionStepRecord[];

  @Column({ type: 'jsonb', default: () => "'{}'" })
  outputs: Record<string, Record<string, string>>;

  /** Sequence number of the last stored log line. */
  @Column({ name: 'log_seq', type: 'int', default: 0 })
  logSeq: number;

  @Column({ name: 'log_bytes', type: 'bigint', default: 0 })
  logBytes: string;

  @ManyToOne(() => ProcedureEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'procedure_id', foreignKeyConstraintName: 'executions_procedure_fk' })
  procedure?: ProcedureEntity;

  @ManyToOne(() => ProcedureVersionEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'version_id', foreignKeyConstraintName: 'executions_version_fk' })
  pinnedVersion?: ProcedureVersionEntity;
}
