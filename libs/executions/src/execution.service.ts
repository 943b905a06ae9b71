import { Inject, Injectable, Optional } from '@nestjs/common';
import { NotificationEmitter } from '@switchboard/notifications';
import { executionEvent } from './execution-notification';
import type { Redis } from 'ioredis';
import { DataSource, type EntityManager } from 'typeorm';
import {
  type Actor, APP_CONFIG, type AppConfig, CANCEL_CHANNEL, ConflictError, ForbiddenError, LOGGER, type Logger, NotFoundError, NotVisibleError, REDIS, SecretBox, TransactionRunner,
  StatementBatcher, UnprocessableError, queryPrepared, rowsOf, uuidV7, waitAtMost,
} from '@switchboard/core';
import { type AuditRecord, AuditWriter } from '@switchboard/audit';
import { accessFilter, type CallerAbility } from '@switchboard/access';
import {
  compileCondition, ConditionEvaluationError, type ProcedureDefinition, ProcedureService, ProcedureVersionEntity, redactParameters,
  validateParameters,
} from '@switchboard/procedures';
import { ExecutionEntity, type ExecutionTrigger } from './execution.entity';
import { ExecutionLogEntity } from './execution-log.entity';
import { auditActionFor, type ExecutionStatus, isTerminal, sourcesOf } from './execution-state';
import { ExecutionQueue } from './execution-queue';
import type { LogLine } from './execution-events';
import { type RunTarget, RunTargetCache } from './run-target-cache';

/** A run to insert (ExecutionService.record), as the trigger batcher carries it. */
interface RunInsert {
  actor: Actor;
  target: RunTarget;
  execution: ExecutionEntity;
  mustBeActive: boolean;
}

/** The executions columns a trigger writes, in order ($1… of the single insert), with their types (for jsonb_to_recordset). */
const INSERT_COLUMNS = [
  ['id', 'uuid'], ['procedure_id', 'uuid'], ['project_id', 'uuid'], ['version_id', 'uuid'], ['version', 'int'], ['status', 'text'],
  ['status_reason', 'text'], ['params', 'jsonb'], ['secret_params', 'text'], ['trigger', 'text'], ['triggered_by', 'uuid'],
  ['triggered_by_name', 'text'], ['rerun_of', 'uuid'], ['worker_group', 'text'], ['attempt', 'int'], ['queued_at', 'timestamptz'],
  ['approvals_required', 'int'], ['approval_expires_at', 'timestamptz'], ['steps', 'jsonb'], ['outputs', 'jsonb'], ['log_seq', 'int'],
  ['log_bytes', 'bigint'],
] as const;

type InsertColumn = (typeof INSERT_COLUMNS)[number][0];

/** A new run's values by column, as both insert statements write them. */
function insertRow(e: ExecutionEntity): Record<InsertColumn, unknown> {
  return {
    id: e.id, procedure_id: e.procedureId, project_id: e.projectId, version_id: e.versionId, version: e.version, status: e.status,
    status_reason: e.statusReason, params: e.params, secret_params: e.secretParams, trigger: e.trigger, triggered_by: e.triggeredBy,
    triggered_by_name: e.triggeredByName, rerun_of: e.rerunOf, worker_group: e.workerGroup, attempt: e.attempt, queued_at: e.queuedAt,
    approvals_required: e.approvalsRequired, approval_expires_at: e.approvalExpiresAt, steps: e.steps, outputs: e.outputs, log_seq: e.logSeq,
    log_bytes: e.logBytes,
  };
}

export interface ExecutionListFilter {
  procedureId?: string;
  projectId?: string;
  status?: ExecutionStatus[];
  triggeredBy?: string;
  limit: number;
  after?: { queuedAt: string; id: string } | null;
}

/**
 * How long an insert batch keeps its slot for its BullMQ add. The add takes well under a
 * millisecond; a Redis that is away then delays triggers by this much per batch, not forever.
 */
const ENQUEUE_HOLD_MS = 20;

const executionAttributes = (e: Pick<ExecutionEntity, 'projectId' | 'procedureId' | 'triggeredBy'>): Record<string, unknown> => ({
  projectId: e.projectId, procedureId: e.procedureId, ownerId: e.triggeredBy,
});

/** Starting, reading, cancelling and re-running executions (the api side of the engine). */
@Injectable()
export class ExecutionService {
  private readonly targets = new RunTargetCache();
  /**
   * Triggers that arrive while an insert is being written go together in the next one: one
   * statement and one commit for all of them, each with its own audit event (group commit). One
   * insert at a time: with two, the triggers of a busy api split over twice as many statements,
   * commits and adds. At 8 triggers in flight, one at a time cut the commits per trigger from
   * 0.44–0.50 to 0.31–0.36 at the same rate, and the CPU a trigger adds to a busy machine by a
   * fifth (bench/README.md, "Thirteenth session"). A lone trigger still goes at once.
   *
   * The caller has its answer once the insert committed; the jobs go to Redis after it. A queued
   * run is safe in PostgreSQL from then on (the reconciler enqueues any whose job never arrives),
   * so the 201 need not wait for Redis, and triggers are still accepted while Redis is away. The
   * batch keeps its slot while its add is in flight (for ENQUEUE_HOLD_MS at most), as it did when
   * the answer waited for the add: triggers that arrive meanwhile still share the next statement.
   */
  private readonly inserts = new StatementBatcher<RunInsert, boolean>({
    maxInFlight: 1, maxBatch: 64,
    run: async (runs) => (runs.length === 1 ? [await this.insertOne(runs[0])] : this.insertMany(runs)),
    after: async (runs, inserted) => {
      const adding = this.enqueueQuietly(runs.filter((run, i) => inserted[i] && run.execution.status === 'queued').map((run) => run.execution));
      await waitAtMost(adding, ENQUEUE_HOLD_MS);
    },
  });

  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditWriter,
    private readonly procedures: ProcedureService,
    private readonly queue: ExecutionQueue,
    private readonly secrets: SecretBox,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly notifications?: NotificationEmitter,
  ) {}

  /**
   * Validates parameters against the active version (or the given one, for a rerun), records the
   * execution (queued, or waiting for approval) with its audit event in one statement, then
   * enqueues it. Responds at once.
   *
   * The procedure and version usually come from memory (RunTargetCache): the insert itself checks
   * that the version is still the active one and the procedure not archived, and inserts nothing
   * otherwise; the target is then read (procedure and version in one statement) and the run tried
   * again.
   */
  async start(
    actor: Actor, ability: CallerAbility, procedureId: string, rawParams: unknown,
    trigger: ExecutionTrigger, options: { rerunOf?: string; versionId?: string; secretParams?: string | null } = {},
  ): Promise<ExecutionEntity> {
    let target = this.targets.guess(procedureId, options.versionId);
    for (let attempt = 0; ; attempt += 1) {
      target ??= await this.readRunTarget(procedureId, options.versionId);
      const execution = this.newExecution(actor, ability, target, rawParams, trigger, options);
      if (await this.record(actor, target, execution, options.versionId === undefined)) {
        // A queued run is enqueued with its batch, right after the commit (record), without this answer waiting for it.
        if (execution.status !== 'queued') void this.notifications?.emit(executionEvent('approval_requested', execution, target.name, { status: execution.status }));
        return execution;
      }
      this.targets.forgetActive(procedureId);
      target = undefined;
      if (attempt >= 2) throw new ConflictError('the procedure changed while the run was starting; try again');
    }
  }

  /** Checks the caller may run the target and the parameters are valid; the execution to insert. */
  private newExecution(
    actor: Actor, ability: CallerAbility, target: RunTarget, rawParams: unknown, trigger: ExecutionTrigger,
    options: { rerunOf?: string; secretParams?: string | null },
  ): ExecutionEntity {
    const attributes = { projectId: target.projectId, procedureId: target.procedureId };
    const mayRun = ability.can('run', 'Procedure', attributes);
    if (!mayRun && !ability.can('read', 'Procedure', attributes)) throw new NotVisibleError('procedure', 'procedure', target.procedureId);
    if (!mayRun) throw new ForbiddenError('you may not run this procedure');
    const { version } = target;
    if (!version) throw new ConflictError('the procedure has no active version to run');
    const definition = version.definition;
    let input: unknown = rawParams ?? {};
    if (options.secretParams && input && typeof input === 'object' && !Array.isArray(input)) {
      input = { ...input, ...(JSON.parse(this.secrets.open(options.secretParams)) as Record<string, unknown>) };
    }
    const validated = validateParameters(definition, input, { cacheKey: version.id });
    if (!validated.ok) {
      throw new UnprocessableError('parameters do not match the procedure', validated.errors.map((e) => ({ field: e.parameter ? `params.${e.parameter}` : 'params', message: e.message })));
    }
    const secretValues = secretParameterValues(definition, validated.params);
    const status: ExecutionStatus = needsApproval(definition, validated.params) ? 'pending_approval' : 'queued';
    return Object.assign(new ExecutionEntity(), {
      id: uuidV7(), procedureId: target.procedureId, projectId: target.projectId, versionId: version.id, version: version.version,
      status, statusReason: status === 'pending_approval' ? 'waiting for approval' : null,
      params: redactParameters(definition, validated.params),
      secretParams: Object.keys(secretValues).length > 0 ? this.secrets.seal(JSON.stringify(secretValues)) : null,
      trigger, triggeredBy: actor.id, triggeredByName: actor.name, rerunOf: options.rerunOf ?? null,
      workerGroup: definition.worker_group, workerId: null, attempt: 0, queuedAt: new Date(),
      startedAt: null, finishedAt: null, cancelRequestedAt: null, cancelRequestedBy: null,
      steps: definition.steps.map((s) => ({ name: s.name, status: 'pending' as const, exitCode: null, startedAt: null, finishedAt: null })),
      approvalsRequired: status === 'pending_approval' ? definition.approval?.approvers ?? 1 : 0,
      approvalExpiresAt: status === 'pending_approval'
        ? new Date(Date.now() + (definition.approval?.expires_after ?? this.config.SWITCHBOARD_APPROVAL_EXPIRY_HOURS * 3600) * 1000)
        : null,
      outputs: {}, logSeq: 0, logBytes: '0',
    } satisfies Omit<ExecutionEntity, 'procedure' | 'pinnedVersion'>);
  }

  /**
   * Inserts the execution and its audit event in one autocommit statement (atomic, one round
   * trip), provided the procedure is not archived and (unless a version was given) the version is
   * still the active one, and enqueues it once committed. False, with nothing written, when it is
   * not. Under load the statement is shared with other triggers (the `inserts` batcher).
   */
  private record(actor: Actor, target: RunTarget, execution: ExecutionEntity, mustBeActive: boolean): Promise<boolean> {
    return this.inserts.submit({ actor, target, execution, mustBeActive });
  }

  private async insertOne({ actor, target, execution, mustBeActive }: RunInsert): Promise<boolean> {
    const row = insertRow(execution);
    // Positional parameters: for one run PostgreSQL spends 0.1 ms less than through jsonb_to_recordset (bench/trigger-cost.ts).
    const params: unknown[] = [...INSERT_COLUMNS.map(([column, type]) => (type === 'jsonb' ? JSON.stringify(row[column]) : row[column])), mustBeActive];
    const audit = this.audit.statement(actor, triggerAuditRecord(target, execution), { firstParam: params.length + 1, from: 'inserted' });
    // A named prepared statement: PostgreSQL parses and plans it once per connection, not per run.
    const inserted = await queryPrepared<{ id: string }>(this.dataSource, 'execution_insert',
      `WITH inserted AS (
         INSERT INTO executions (${INSERT_COLUMNS.map(([column]) => column).join(', ')})
         SELECT ${INSERT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')}
           FROM procedures p
          WHERE p.id = $2 AND p.archived_at IS NULL AND (NOT $${INSERT_COLUMNS.length + 1} OR p.active_version_id = $4)
         RETURNING id
       ), audited AS (${audit.sql})
       SELECT id FROM inserted`,
      [...params, ...audit.params],
    );
    return inserted.length > 0;
  }

  /**
   * Several runs in one statement: the rows and their audit events as two JSON parameters, so the
   * text is the same for any batch and stays prepared. Each run is inserted under the same
   * condition as alone; an event is written only for a run that was.
   */
  private async insertMany(runs: RunInsert[]): Promise<boolean[]> {
    const rows = runs.map(({ execution, mustBeActive }) => ({ ...insertRow(execution), must_be_active: mustBeActive }));
    const audit = this.audit.batchStatement(
      runs.map(({ actor, target, execution }) => ({ actor, record: triggerAuditRecord(target, execution) })),
      { param: 2, join: { from: 'inserted', idColumn: 'id' } },
    );
    const columns = INSERT_COLUMNS.map(([column]) => column).join(', ');
    const inserted = await queryPrepared<{ id: string }>(this.dataSource, 'execution_insert_many',
      `WITH inserted AS (
         INSERT INTO executions (${columns})
         SELECT ${INSERT_COLUMNS.map(([column]) => `i.${column}`).join(', ')}
           FROM jsonb_to_recordset($1::jsonb) AS i(${INSERT_COLUMNS.map(([column, type]) => `${column} ${type}`).join(', ')}, must_be_active boolean)
           JOIN procedures p ON p.id = i.procedure_id
          WHERE p.archived_at IS NULL AND (NOT i.must_be_active OR p.active_version_id = i.version_id)
         RETURNING id
       ), audited AS (${audit.sql})
       SELECT id FROM inserted`,
      [JSON.stringify(rows), ...audit.params],
    );
    const ids = new Set(inserted.map((row) => row.id));
    return runs.map(({ execution }) => ids.has(execution.id));
  }

  /**
   * The procedure and its version (the active one unless given) in one statement; "not found" for
   * a missing or archived procedure. The definition comes along only when this process does not
   * know the version yet.
   */
  private async readRunTarget(procedureId: string, versionId?: string): Promise<RunTarget> {
    const known = this.targets.knownVersion(procedureId, versionId);
    const [row] = (await this.dataSource.query(
      `SELECT p.project_id, p.name, p.archived_at IS NOT NULL AS archived, v.id AS version_id, v.version,
              CASE WHEN v.id = $3 THEN NULL ELSE v.definition END AS definition
         FROM procedures p LEFT JOIN procedure_versions v ON v.id = coalesce($2::uuid, p.active_version_id) AND v.procedure_id = p.id
        WHERE p.id = $1`,
      [procedureId, versionId ?? null, known],
    )) as Array<{ project_id: string; name: string; archived: boolean; version_id: string | null; version: number | null; definition: ProcedureDefinition | null }>;
    if (!row || row.archived) throw new NotFoundError('procedure');
    const target: RunTarget = { procedureId, projectId: row.project_id, name: row.name, version: null };
    if (row.version_id && row.version !== null) {
      const definition = row.definition
        ?? this.targets.definition(row.version_id)
        // Forgotten between the two looks (the cache was full): read it again.
        ?? (await this.dataSource.getRepository(ProcedureVersionEntity).findOneByOrFail({ id: row.version_id })).definition;
      target.version = { id: row.version_id, version: row.version, definition };
    } else if (versionId) {
      throw new NotFoundError('version');
    }
    this.targets.remember(target, versionId === undefined);
    return target;
  }

  /**
   * Enqueue failures leave the executions queued in PostgreSQL; the reconciler enqueues them later.
   * Never throws: a batch whose insert committed must not be written again (StatementBatcher retries a failed batch).
   */
  private async enqueueQuietly(executions: ExecutionEntity[]): Promise<void> {
    if (executions.length === 0) return;
    try {
      if (executions.length === 1) await this.queue.enqueue(executions[0].id, executions[0].workerGroup);
      else await this.queue.enqueueMany(executions.map((e) => ({ executionId: e.id, workerGroup: e.workerGroup })));
    } catch (error) {
      this.logger.warn({ executionIds: executions.map((e) => e.id), err: error }, 'could not enqueue executions; the reconciler will');
    }
  }

  /** Loads an execution the caller may see; "not found" otherwise. */
  async load(ability: CallerAbility, id: string, manager: EntityManager = this.dataSource.manager): Promise<ExecutionEntity> {
    const execution = await manager.getRepository(ExecutionEntity).findOneBy({ id });
    if (!execution) throw new NotFoundError('execution');
    if (!ability.can('read', 'Execution', executionAttributes(execution))) throw new NotVisibleError('execution', 'execution', execution.id);
    return execution;
  }

  /** History, newest first, filtered in SQL by what the caller may read; keyset paging. */
  async list(ability: CallerAbility, filter: ExecutionListFilter): Promise<Array<ExecutionEntity & { procedureName: string }>> {
    const acl = accessFilter([ability.scopeFor('read', 'Execution')], { projectId: 'e.project_id', procedureId: 'e.procedure_id', ownerId: 'e.triggered_by' }, ability.userId);
    const query = this.dataSource.getRepository(ExecutionEntity).createQueryBuilder('e')
      .innerJoin('procedures', 'p', 'p.id = e.procedure_id')
      .addSelect('p.name', 'procedure_name')
      .where(acl.sql, acl.params)
      .orderBy('e.queued_at', 'DESC').addOrderBy('e.id', 'DESC')
      .limit(filter.limit);
    if (filter.procedureId) query.andWhere('e.procedure_id = :procedureId', { procedureId: filter.procedureId });
    if (filter.projectId) query.andWhere('e.project_id = :projectId', { projectId: filter.projectId });
    if (filter.status?.length) query.andWhere('e.status = ANY(:status)', { status: filter.status });
    if (filter.triggeredBy) query.andWhere('e.triggered_by = :triggeredBy', { triggeredBy: filter.triggeredBy });
    if (filter.after) query.andWhere('(e.queued_at, e.id) < (:afterAt, :afterId)', { afterAt: filter.after.queuedAt, afterId: filter.after.id });
    const { entities, raw } = await query.getRawAndEntities<{ procedure_name: string }>();
    return entities.map((entity, index) => Object.assign(entity, { procedureName: raw[index].procedure_name }));
  }

  async logs(ability: CallerAbility, id: string, after: number, limit: number): Promise<{ execution: ExecutionEntity; lines: LogLine[] }> {
    const execution = await this.load(ability, id);
    return { execution, lines: await this.storedLines(id, after, limit) };
  }

  async storedLines(executionId: string, after: number, limit: number): Promise<LogLine[]> {
    const rows = await this.dataSource.getRepository(ExecutionLogEntity).createQueryBuilder('l')
      .where('l.execution_id = :executionId AND l.seq > :after', { executionId, after })
      .orderBy('l.seq', 'ASC').limit(limit).getMany();
    return rows.map((row) => ({ seq: row.seq, ts: row.ts.toISOString(), stream: row.stream, step: row.step, text: row.text }));
  }

  /**
   * Cancels: a queued or waiting run ends at once; a running one is asked to stop and the worker
   * kills the step's process group. Runners may cancel their own runs; owners any in the project.
   */
  async cancel(actor: Actor, ability: CallerAbility, id: string): Promise<ExecutionEntity> {
    const execution = await this.load(ability, id);
    if (!ability.can('cancel', 'Execution', executionAttributes(execution))) throw new ForbiddenError('you may not cancel this execution');
    if (isTerminal(execution.status)) throw new ConflictError(`the execution already ended (${execution.status})`);
    const result = await this.tx.run(async (manager) => {
      const ended = rowsOf<{ id: string }>(await manager.query(
        `UPDATE executions SET status = 'canceled', status_reason = $2, finished_at = now(), cancel_requested_at = now(), cancel_requested_by = $3
          WHERE id = $1 AND (status = ANY($4)) IS TRUE RETURNING id`,
        [id, `canceled by ${actor.name} before it started`, actor.name, sourcesOf('canceled').filter((s) => s !== 'running')],
      ));
      if (ended.length === 0) {
        const requested = rowsOf<{ id: string }>(await manager.query(
          `UPDATE executions SET cancel_requested_at = now(), cancel_requested_by = $2 WHERE id = $1 AND (status = 'running') IS TRUE RETURNING id`,
          [id, actor.name],
        ));
        if (requested.length === 0) throw new ConflictError('the execution already ended');
      }
      await this.audit.record(manager, actor, {
        action: ended.length > 0 ? 'execution.canceled' : 'execution.cancel_requested', outcome: 'succeeded',
        resourceType: 'execution', resourceId: id, projectId: execution.projectId, details: { previousStatus: execution.status },
      });
      return ended.length > 0 ? 'ended' : 'requested';
    });
    if (result === 'ended') {
      await this.queue.remove(id, execution.workerGroup).catch(() => undefined);
      const [procedure] = (await this.dataSource.query('SELECT name FROM procedures WHERE id = $1', [execution.procedureId])) as Array<{ name: string }>;
      void this.notifications?.emit(executionEvent('canceled', execution, procedure?.name ?? '', { actor: actor.name, reason: `canceled by ${actor.name} before it started` }));
    }
    // Tell every worker; the one running it kills the process group. Workers also poll, in case this is lost.
    await this.redis.publish(CANCEL_CHANNEL, id).catch(() => undefined);
    return this.dataSource.getRepository(ExecutionEntity).findOneByOrFail({ id });
  }

  /** Runs the same version with the same parameters again; secret values are reused encrypted. */
  async rerun(actor: Actor, ability: CallerAbility, id: string, trigger: ExecutionTrigger = 'rerun'): Promise<ExecutionEntity> {
    const original = await this.load(ability, id);
    const version = await this.dataSource.getRepository(ProcedureVersionEntity).findOneByOrFail({ id: original.versionId });
    const visible = redactParameters(version.definition, original.params as Record<string, never>);
    const nonSecret = Object.fromEntries(Object.entries(visible).filter(([name]) => !isSecret(version.definition, name)));
    return this.start(actor, ability, original.procedureId, nonSecret, trigger, {
      rerunOf: original.id, versionId: original.versionId, secretParams: original.secretParams,
    });
  }

  /**
   * Usage of a procedure over a window: runs by outcome, success rate, duration percentiles and
   * the toil saved (runs that succeeded × the definition's toil_minutes). Counts only what the
   * caller may read.
   */
  async stats(ability: CallerAbility, procedureId: string, sinceDays: number): Promise<Record<string, unknown>> {
    const { procedure, version, permissions } = await this.procedures.load(ability, procedureId);
    const acl = accessFilter([ability.scopeFor('read', 'Execution')], { projectId: 'e.project_id', procedureId: 'e.procedure_id', ownerId: 'e.triggered_by' }, ability.userId);
    const [row] = (await this.dataSource.getRepository(ExecutionEntity).createQueryBuilder('e')
      .select([
        'count(*)::int AS runs',
        `count(*) FILTER (WHERE e.status = 'succeeded')::int AS succeeded`,
        `count(*) FILTER (WHERE e.status IN ('failed', 'timed_out', 'worker_lost'))::int AS failed`,
        `count(*) FILTER (WHERE e.status IN ('queued', 'running', 'pending_approval'))::int AS active`,
        `percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM e.finished_at - e.started_at) * 1000) FILTER (WHERE e.finished_at IS NOT NULL AND e.started_at IS NOT NULL) AS p50_ms`,
        `percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM e.finished_at - e.started_at) * 1000) FILTER (WHERE e.finished_at IS NOT NULL AND e.started_at IS NOT NULL) AS p95_ms`,
        'max(e.queued_at) AS last_run_at',
      ])
      .where('e.procedure_id = :procedureId', { procedureId })
      .andWhere(`e.queued_at > now() - make_interval(days => :days)`, { days: sinceDays })
      .andWhere(acl.sql, acl.params)
      .getRawMany()) as Array<{ runs: number; succeeded: number; failed: number; active: number; p50_ms: number | null; p95_ms: number | null; last_run_at: Date | null }>;
    const finished = row.succeeded + row.failed;
    const toil = version?.definition.toil_minutes ?? 0;
    return {
      procedureId: procedure.id, sinceDays, runs: row.runs, succeeded: row.succeeded, failed: row.failed, active: row.active,
      successRate: finished > 0 ? row.succeeded / finished : null,
      durationMs: { p50: row.p50_ms === null ? null : Math.round(row.p50_ms), p95: row.p95_ms === null ? null : Math.round(row.p95_ms) },
      lastRunAt: row.last_run_at ? new Date(row.last_run_at).toISOString() : null,
      toilMinutesSaved: row.succeeded * toil,
      visibleTo: permissions.read ? 'all runs you may read' : 'your runs',
    };
  }

}

function isSecret(definition: ProcedureDefinition, name: string): boolean {
  const parameter = definition.parameters[name];
  return parameter?.type === 'string' && parameter.secret === true;
}

function secretParameterValues(definition: ProcedureDefinition, params: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).filter(([name]) => isSecret(definition, name)));
}

/** Fail closed: a condition that cannot be evaluated (wrong types) means the run needs approval. */
function needsApproval(definition: ProcedureDefinition, params: Record<string, unknown>): boolean {
  if (!definition.approval) return false;
  if (!definition.approval.when) return true;
  try {
    return compileCondition(definition.approval.when, Object.keys(definition.parameters)).evaluate(params);
  } catch (error) {
    if (error instanceof ConditionEvaluationError) return true;
    throw error;
  }
}

/** The audit event of a new run (queued, or waiting for approval). */
function triggerAuditRecord(target: RunTarget, execution: ExecutionEntity): AuditRecord {
  return {
    action: auditActionFor(execution.status), outcome: 'succeeded', resourceType: 'execution', resourceId: execution.id, projectId: execution.projectId,
    details: {
      procedureId: execution.procedureId, procedure: target.name, version: execution.version, params: execution.params, trigger: execution.trigger,
      rerunOf: execution.rerunOf,
      ...(execution.status === 'pending_approval'
        ? { approvalsRequired: execution.approvalsRequired, approvalExpiresAt: execution.approvalExpiresAt?.toISOString() }
        : {}),
    },
  };
}
