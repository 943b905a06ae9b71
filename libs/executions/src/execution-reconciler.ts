import { Inject, Injectable, Optional } from '@nestjs/common';
import { NotificationEmitter } from '@switchboard/notifications';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig, LOGGER, type Logger, SYSTEM_ACTOR, TransactionRunner, rowsOf } from '@switchboard/core';
import { AuditWriter } from '@switchboard/audit';
import { ExecutionQueue } from './execution-queue';
import { auditActionFor } from './execution-state';

const RECONCILER_LOCK = 7_216_312;
/** A queued execution younger than this may simply not have reached Redis yet. */
const ORPHAN_GRACE_SECONDS = 3;

interface LostRow {
  id: string;
  project_id: string;
  worker_id: string | null;
  worker_group: string;
  attempt: number;
  retries: number;
}

/**
 * Makes PostgreSQL's truth hold when Redis or a worker lost something. One reconciler at a time
 * (advisory lock): ends `running` executions whose worker's heartbeat is gone (or retries them
 * where the procedure allows), and re-enqueues `queued` executions that have no job in Redis.
 */
@Injectable()
export class ExecutionReconciler {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditWriter,
    private readonly queue: ExecutionQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() private readonly notifications?: NotificationEmitter,
  ) {}

  /**
   * One row's (or one step's) work in a savepoint: if it fails, only it is undone and the rest of
   * the pass still commits. One run that cannot be ended (a bug, a constraint) must not stop every
   * lost run from ending and every approval from expiring, on every worker, for good.
   */
  private async contained(manager: EntityManager, details: object, message: string, work: () => Promise<void>): Promise<boolean> {
    await manager.query('SAVEPOINT reconcile_item');
    try {
      await work();
      await manager.query('RELEASE SAVEPOINT reconcile_item');
      return true;
    } catch (error) {
      await manager.query('ROLLBACK TO SAVEPOINT reconcile_item');
      this.logger.error({ ...details, err: error }, message);
      return false;
    }
  }

  /** Back to queued for another attempt, or worker_lost with its unfinished steps canceled; with its audit event. */
  private async endLost(manager: EntityManager, row: LostRow, retry: boolean): Promise<void> {
    const reason = `worker ${row.worker_id ?? 'unknown'} stopped sending heartbeats`;
    if (retry) {
      await manager.query(`UPDATE executions SET status = 'queued', status_reason = $2, worker_id = NULL WHERE id = $1 AND (status = 'running') IS TRUE`, [row.id, `${reason}; retrying`]);
    } else {
      await manager.query(
        `UPDATE executions SET status = 'worker_lost', status_reason = $2, finished_at = now(),
                steps = (SELECT coalesce(jsonb_agg(CASE WHEN s->>'status' IN ('running', 'pending') THEN jsonb_set(s, '{status}', '"canceled"') ELSE s END), '[]')
                           FROM jsonb_array_elements(steps) s)
          WHERE id = $1 AND (status = 'running') IS TRUE`,
        [row.id, reason],
      );
    }
    await this.audit.record(manager, SYSTEM_ACTOR, {
      action: retry ? 'execution.retried' : auditActionFor('worker_lost'), outcome: retry ? 'succeeded' : 'failed',
      resourceType: 'execution', resourceId: row.id, projectId: row.project_id, reason, details: { workerId: row.worker_id, attempt: row.attempt },
    });
  }

  /** Rejects the runs whose approval request expired, each with its audit event; how many. */
  private async expireApprovals(manager: EntityManager): Promise<number> {
    const expired = rowsOf<{ id: string; project_id: string }>(await manager.query(
      `UPDATE executions SET status = 'rejected', status_reason = 'the approval request expired', finished_at = now()
        WHERE status = 'pending_approval' AND approval_expires_at <= now() RETURNING id, project_id`,
    ));
    for (const row of expired) {
      await this.audit.record(manager, SYSTEM_ACTOR, {
        action: 'execution.approval.expired', outcome: 'failed', resourceType: 'execution', resourceId: row.id, projectId: row.project_id,
        reason: 'the approval request expired',
      });
    }
    return expired.length;
  }

  async reconcile(): Promise<{ lost: number; retried: number; requeued: number; expired: number }> {
    const result = { lost: 0, retried: 0, requeued: 0, expired: 0 };
    const toEnqueue: Array<{ id: string; group: string; attempt: number }> = [];
    const lostIds: string[] = [];
    const ran = await this.tx.run(async (manager) => {
      const [{ locked }] = (await manager.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [RECONCILER_LOCK])) as Array<{ locked: boolean }>;
      if (!locked) return false;
      const lost: LostRow[] = await manager.query(
        `SELECT e.id, e.project_id, e.worker_id, e.worker_group, e.attempt, COALESCE((v.definition->>'retries')::int, 0) AS retries
           FROM executions e
           JOIN procedure_versions v ON v.id = e.version_id
           LEFT JOIN workers w ON w.id = e.worker_id
          WHERE e.status = 'running'
            AND (w.id IS NULL OR w.stopped_at IS NOT NULL OR w.last_seen_at < now() - make_interval(secs => $1))
          LIMIT 1000
          FOR UPDATE OF e SKIP LOCKED`,
        [this.config.SWITCHBOARD_WORKER_LOST_SECONDS],
      );
      for (const row of lost) {
        const retry = row.attempt <= row.retries;
        const handled = await this.contained(manager, { executionId: row.id }, 'could not end a run of a lost worker; the next pass tries again', () => this.endLost(manager, row, retry));
        if (!handled) continue;
        if (retry) {
          toEnqueue.push({ id: row.id, group: row.worker_group, attempt: row.attempt });
          result.retried += 1;
        } else {
          result.lost += 1;
          lostIds.push(row.id);
        }
      }
      await this.contained(manager, {}, 'could not expire approval requests; the next pass tries again', async () => {
        result.expired = await this.expireApprovals(manager);
      });
      return true;
    });
    if (!ran) return result;
    if (lostIds.length > 0 && this.notifications) {
      const rows = (await this.dataSource.query(
        `SELECT e.id, e.project_id, e.procedure_id, e.version_id, e.version, e.params, e.triggered_by_name, e.status_reason, p.name FROM executions e JOIN procedures p ON p.id = e.procedure_id WHERE e.id = ANY($1)`,
        [lostIds],
      )) as Array<{ id: string; project_id: string; procedure_id: string; version_id: string; version: number; params: Record<string, unknown>; triggered_by_name: string; status_reason: string; name: string }>;
      for (const r of rows) {
        void this.notifications.emit({
          key: `${r.id}:worker_lost`, type: 'worker_lost', occurredAt: new Date().toISOString(), projectId: r.project_id, procedureId: r.procedure_id, procedureName: r.name, versionId: r.version_id,
          execution: { id: r.id, status: 'worker_lost', reason: r.status_reason, params: r.params, triggeredBy: r.triggered_by_name, version: r.version },
        });
      }
    }
    const queued: Array<{ id: string; worker_group: string; attempt: number }> = await this.dataSource.query(
      `SELECT id, worker_group, attempt FROM executions WHERE status = 'queued' AND queued_at < now() - make_interval(secs => $1) ORDER BY queued_at LIMIT 1000`,
      [ORPHAN_GRACE_SECONDS],
    );
    for (const row of queued) {
      if (!(await this.queue.hasLiveJob(row.id, row.worker_group, row.attempt))) toEnqueue.push({ id: row.id, group: row.worker_group, attempt: row.attempt });
    }
    for (const item of toEnqueue) {
      await this.queue.enqueue(item.id, item.group, 0, item.attempt);
    }
    result.requeued = toEnqueue.length - result.retried;
    if (result.lost + result.retried + result.requeued + result.expired > 0) this.logger.info(result, 'reconciled executions');
    return result;
  }
}
