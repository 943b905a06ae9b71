import { lookup } from 'node:dns/promises';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { isIP } from 'node:net';
import { Inject, Injectable, type OnModuleDestroy, Optional } from '@nestjs/common';
import { NotificationEmitter } from '@switchboard/notifications';
import { executionEvent } from './execution-notification';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { type Actor, APP_CONFIG, type AppConfig, LOGGER, type Logger, REDIS, SecretBox, StatementBatcher, TransactionRunner, queryPrepared, rowsOf } from '@switchboard/core';
import { type AuditRecord, AuditWriter } from '@switchboard/audit';
import type { ProcedureDefinition, StepDefinition } from '@switchboard/procedures';
import { ExecutionWorkspace, OutputBudget, runHttpStep, runShellStep, StepLauncher, type StepLine, type StepResult } from '@switchboard/runner';
import type { ExecutionEntity, ExecutionStepRecord } from './execution.entity';
import { auditActionFor, type ExecutionStatus } from './execution-state';
import type { LogLine } from './execution-events';
import { ExecutionLogWriter, logLineArrays } from './execution-log-writer';

/** `done-limited`: finished a run of a procedure with a concurrency limit, so a waiting run may go now. */
export type ProcessResult = 'done' | 'done-limited' | 'busy' | 'skipped';

type RunnableExecution = Pick<
  ExecutionEntity,
  'id' | 'status' | 'procedureId' | 'projectId' | 'versionId' | 'version' | 'workerGroup' | 'secretParams' | 'attempt' | 'logSeq' | 'triggeredBy' | 'triggeredByName' | 'params'
> & {
  definition: ProcedureDefinition;
  procedureName: string;
};

const RUNNABLE_COLUMNS = `e.id, e.status, e.procedure_id, e.project_id, e.version_id, e.version, e.worker_group, e.secret_params, e.attempt, e.log_seq,
  e.triggered_by, e.triggered_by_name, e.params, v.definition, p.name AS procedure_name`;

interface RunnableRow {
  id: string; status: ExecutionStatus; procedure_id: string; project_id: string; version_id: string; version: number; worker_group: string;
  secret_params: string | null; attempt: number; log_seq: number; triggered_by: string | null; triggered_by_name: string;
  params: Record<string, unknown>; definition: ProcedureDefinition; procedure_name: string;
}

/**
 * An array parameter of a batch statement, behind a scalar subquery so that the planner does not
 * see its length. Once a custom plan substitutes the value, PostgreSQL estimates unnest() of an
 * array from its length, so for the 2-4 runs of a batch a custom plan always looked cheaper than
 * the generic one (which assumes 10 elements) and the statement was planned on every call: 700
 * plans for 696 batch claims at concurrency 4, 0.43 ms each, and 0.34 ms per batch end. Behind
 * the subquery both plans assume the same, and the generic plan is kept after the first
 * executions on a connection (bench/README.md, "Sixteenth session").
 */
const unsized = (param: number, type: string): string => `(SELECT $${param}::${type})`;

/** Whether runs of this version wait for a slot: `concurrency` above 0, as the claim statement reads it. */
function hasConcurrencyLimit(definition: Pick<ProcedureDefinition, 'concurrency'>): boolean {
  return Number(definition.concurrency ?? 0) > 0;
}

function runnableFrom(row: RunnableRow | undefined): RunnableExecution | undefined {
  if (!row) return undefined;
  return {
    id: row.id, status: row.status, procedureId: row.procedure_id, projectId: row.project_id, versionId: row.version_id, version: row.version,
    workerGroup: row.worker_group, secretParams: row.secret_params, attempt: row.attempt, logSeq: row.log_seq,
    triggeredBy: row.triggered_by, triggeredByName: row.triggered_by_name, params: row.params,
    definition: row.definition, procedureName: row.procedure_name,
  };
}

interface RunOutcome {
  status: Extract<ExecutionStatus, 'succeeded' | 'failed' | 'canceled' | 'timed_out'>;
  reason: string | null;
}

/** A run whose steps are over: what its end records, and the workspaces to remove after it. */
interface FinishedRun {
  outcome: RunOutcome;
  steps: ExecutionStepRecord[];
  outputs: Record<string, Record<string, string>>;
  log: ExecutionLogWriter;
  workspaces: ExecutionWorkspace[];
}

/** A claim as the claim batcher carries it. */
interface RunClaim {
  executionId: string;
  workerId: string;
}

/** What the end of one run writes, as the end batcher carries it. */
interface RunEnd {
  execution: RunnableExecution;
  workerId: string;
  outcome: RunOutcome;
  steps: ExecutionStepRecord[];
  outputs: Record<string, Record<string, string>>;
  /** The lines not stored yet (at least the closing one), the last seq and their bytes. */
  lines: LogLine[];
  lastSeq: number;
  bytes: number;
}

/** The claim's event says what was claimed: its details come from the claimed row (the `claimed` CTE). */
const CLAIM_DETAILS_SQL = `jsonb_build_object('procedure', claimed.procedure_name, 'version', claimed.version, 'attempt', claimed.attempt)`;

/** The claim's event; its project and the claimed procedure, version and attempt come from the claimed row (CLAIM_DETAILS_SQL). */
function claimRecord({ executionId, workerId }: RunClaim): AuditRecord {
  return { action: auditActionFor('running'), outcome: 'succeeded', resourceType: 'execution', resourceId: executionId, details: { workerId } };
}

/** The end's event. */
function endRecord({ execution, outcome, steps }: RunEnd): AuditRecord {
  return {
    action: auditActionFor(outcome.status), outcome: outcome.status === 'succeeded' ? 'succeeded' : 'failed',
    resourceType: 'execution', resourceId: execution.id, projectId: execution.projectId, reason: outcome.reason,
    details: { procedure: execution.procedureName, version: execution.version, steps: steps.map((s) => ({ name: s.name, status: s.status, exitCode: s.exitCode })) },
  };
}

/**
 * Runs one execution on a worker: claims it with a conditional update (a job delivered twice never
 * runs twice), runs its steps in order as supervised child processes or HTTP requests, streams
 * and stores their output, and records the end state with its audit event in one statement.
 */
@Injectable()
export class ExecutionEngine implements OnModuleDestroy {
  /** Executions running in this process, by id, with the controller that cancels them. */
  readonly running = new Map<string, AbortController>();
  /** Ends being recorded for runs whose steps are over; each resolves, never rejects. */
  private readonly ending = new Set<Promise<void>>();
  /** Makes the steps' files and processes: forking this large process for every step would cost more. */
  private readonly launcher: StepLauncher;
  /**
   * Group commit of claims and ends, as the api does for triggers: one goes at once while fewer
   * than two are being written, so a worker that is not busy waits for nothing; under load, those
   * that arrive meanwhile share the next statement and its commit, each with its own audit event.
   * A batch of one keeps the single-run statement (positional parameters, a primary-key lookup),
   * so an idle worker runs exactly what it ran before batching.
   */
  private readonly claims = new StatementBatcher<RunClaim, RunnableExecution | undefined>({
    maxInFlight: 2, maxBatch: 64,
    run: async (claims) => (claims.length === 1 ? [await this.claimOne(claims[0])] : this.claimMany(claims)),
  });
  private readonly ends = new StatementBatcher<RunEnd, boolean>({
    maxInFlight: 2, maxBatch: 64,
    run: (ends) => this.retryWhileDatabaseDown(ends.map((end) => end.execution.id), async () => (ends.length === 1 ? [await this.endOne(ends[0])] : this.endMany(ends))),
  });

  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditWriter,
    private readonly secrets: SecretBox,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() private readonly notifications?: NotificationEmitter,
  ) {
    this.launcher = new StepLauncher({
      program: config.SWITCHBOARD_STEP_LAUNCHER, warmShellsBy: config.SWITCHBOARD_WARM_SHELLS_BY, logger,
      // Forked shells come in batches of half the pool (docs/procedures.md): a larger pool makes fewer, larger batches.
      warmShells: config.SWITCHBOARD_WARM_SHELLS ?? (config.SWITCHBOARD_WARM_SHELLS_BY === 'fork' ? 8 : 2),
      ...(config.SWITCHBOARD_STEP_LAUNCHER_PYTHON ? { python: config.SWITCHBOARD_STEP_LAUNCHER_PYTHON } : {}),
    });
  }

  workerActor(workerId: string): Actor {
    return { type: 'system', id: null, name: `worker:${workerId}` };
  }

  /**
   * Claims and runs one execution. It returns once its steps are over: the end is recorded after
   * that, so the worker's slot takes its next job while the end statement commits (see `ending`).
   * A run of a procedure with a concurrency limit returns only once its end is committed, as the
   * next claim of that procedure counts its running runs.
   */
  async process(executionId: string, workerId: string): Promise<ProcessResult> {
    const claim = await this.claim(executionId, workerId);
    if (claim === 'busy' || claim === 'skipped') return claim;
    const execution = claim;
    void this.notifications?.emit(executionEvent('started', execution, execution.procedureName, { status: 'running' }));
    const controller = new AbortController();
    this.running.set(executionId, controller);
    let finished: FinishedRun;
    try {
      finished = await this.run(execution, controller);
    } finally {
      this.running.delete(executionId);
    }
    const ending = this.recordEnd(execution, workerId, finished);
    if (hasConcurrencyLimit(execution.definition)) {
      await ending;
      return 'done-limited';
    }
    await this.endInBackground(ending);
    return 'done';
  }

  /**
   * Resolves once every end this worker is still recording is committed (or has given up): the
   * drain on SIGTERM waits for it before the worker says it stopped.
   */
  async settled(): Promise<void> {
    while (this.ending.size > 0) await Promise.all([...this.ending]);
  }

  /**
   * Keeps an end that is being recorded. At most `SWITCHBOARD_WORKER_CONCURRENCY` are in flight;
   * past that the slot waits for its own, so a slow database holds the worker back instead of
   * piling up finished runs in memory.
   */
  private async endInBackground(ending: Promise<void>): Promise<void> {
    this.ending.add(ending);
    void ending.finally(() => this.ending.delete(ending));
    if (this.ending.size > this.config.SWITCHBOARD_WORKER_CONCURRENCY) await ending;
  }

  /** Asks a running execution of this worker to stop; its step's process group is killed. */
  cancel(executionId: string, reason: string): boolean {
    const controller = this.running.get(executionId);
    if (!controller || controller.signal.aborted) return false;
    controller.abort(reason);
    return true;
  }

  /** Makes the workspace directory if it is configured and missing, and starts the step launcher before the first execution needs it. */
  prepare(): void {
    const base = this.config.SWITCHBOARD_WORKSPACE_DIR;
    if (base) {
      mkdirSync(base, { recursive: true, mode: 0o700 });
      accessSync(base, constants.W_OK | constants.X_OK);
    }
    this.launcher.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.settled();
    await this.launcher.close();
  }

  /**
   * queued → running with its audit event, atomically, and the execution with its pinned
   * definition as it was claimed. A procedure without a concurrency limit is claimed by one
   * conditional UPDATE that also returns what the run needs and writes the event (one round trip,
   * shared with other claims under load); one with a limit goes through claimLimited.
   */
  private async claim(executionId: string, workerId: string): Promise<RunnableExecution | 'busy' | 'skipped'> {
    return (await this.claims.submit({ executionId, workerId })) ?? this.claimLimited(executionId, workerId);
  }

  /**
   * The common case, one autocommit statement: the claim, what the run needs, and its audit event,
   * whose project and details come from the claimed row. The row is found by its primary key
   * whatever the statistics say (the `IS TRUE` state tests here: see executions_active_idx).
   */
  private async claimOne(claim: RunClaim): Promise<RunnableExecution | undefined> {
    const audit = this.audit.statement(this.workerActor(claim.workerId), claimRecord(claim), {
      firstParam: 3, from: 'claimed', sql: { projectId: 'claimed.project_id', details: CLAIM_DETAILS_SQL },
    });
    return runnableFrom((await queryPrepared<RunnableRow>(this.dataSource, 'execution_claim',
      `WITH claimed AS (
         UPDATE executions e SET status = 'running', started_at = now(), worker_id = $2, attempt = e.attempt + 1, status_reason = NULL
           FROM procedure_versions v, procedures p
          WHERE e.id = $1 AND (e.status = 'queued') IS TRUE AND v.id = e.version_id AND p.id = e.procedure_id
            AND coalesce((v.definition->>'concurrency')::numeric, 0) <= 0
         RETURNING ${RUNNABLE_COLUMNS}
       ), audited AS (${audit.sql})
       SELECT * FROM claimed`,
      [claim.executionId, claim.workerId, ...audit.params],
    ))[0]);
  }

  /**
   * Several claims in one statement, under the same condition as alone; an event is written for
   * each run that was claimed. A run named twice is claimed for the first only (the other gets
   * nothing and goes on to claimLimited, which finds it no longer queued).
   */
  private async claimMany(claims: RunClaim[]): Promise<Array<RunnableExecution | undefined>> {
    const first = new Map<string, RunClaim>();
    for (const claim of claims) if (!first.has(claim.executionId)) first.set(claim.executionId, claim);
    const distinct = [...first.values()];
    const audit = this.audit.batchStatement(distinct.map((claim) => ({ actor: this.workerActor(claim.workerId), record: claimRecord(claim) })), {
      param: 3, join: { from: 'claimed', idColumn: 'id', projectId: 'claimed.project_id', details: CLAIM_DETAILS_SQL },
    });
    const rows = await queryPrepared<RunnableRow>(this.dataSource, 'execution_claim_many',
      `WITH claimed AS (
         UPDATE executions e SET status = 'running', started_at = now(), worker_id = c.worker_id, attempt = e.attempt + 1, status_reason = NULL
           FROM unnest(${unsized(1, 'uuid[]')}, ${unsized(2, 'text[]')}) AS c(id, worker_id), procedure_versions v, procedures p
          WHERE e.id = c.id AND (e.status = 'queued') IS TRUE AND v.id = e.version_id AND p.id = e.procedure_id
            AND coalesce((v.definition->>'concurrency')::numeric, 0) <= 0
         RETURNING ${RUNNABLE_COLUMNS}
       ), audited AS (${audit.sql})
       SELECT * FROM claimed`,
      [distinct.map((c) => c.executionId), distinct.map((c) => c.workerId), ...audit.params],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    return claims.map((claim) => (first.get(claim.executionId) === claim ? runnableFrom(byId.get(claim.executionId)) : undefined));
  }

  /**
   * The claim of a procedure with a concurrency limit (or of a run no longer queued): an advisory
   * lock on the procedure serializes its claims across workers, so the count of its running
   * executions cannot race; the claim and its audit event commit together.
   */
  private async claimLimited(executionId: string, workerId: string): Promise<RunnableExecution | 'busy' | 'skipped'> {
    return this.tx.run(async (manager) => {
      const execution = runnableFrom(rowsOf<RunnableRow>(await manager.query(
        `SELECT ${RUNNABLE_COLUMNS} FROM executions e JOIN procedure_versions v ON v.id = e.version_id JOIN procedures p ON p.id = e.procedure_id
          WHERE e.id = $1 AND (e.status = 'queued') IS TRUE`,
        [executionId],
      ))[0]);
      if (!execution) return 'skipped';
      // Also reached without a limit, when the run became queued again (a retry) between the two claims.
      if (hasConcurrencyLimit(execution.definition)) {
        await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [execution.procedureId]);
        const [{ count }] = (await manager.query(
          `SELECT count(*)::int AS count FROM executions WHERE procedure_id = $1 AND status = 'running'`, [execution.procedureId],
        )) as Array<{ count: number }>;
        if (count >= (execution.definition.concurrency ?? 0)) return 'busy';
      }
      const claimed = rowsOf<{ attempt: number }>(await manager.query(
        `UPDATE executions SET status = 'running', started_at = now(), worker_id = $2, attempt = attempt + 1, status_reason = NULL
          WHERE id = $1 AND (status = 'queued') IS TRUE RETURNING attempt`,
        [executionId, workerId],
      ));
      if (claimed.length === 0) return 'skipped';
      execution.attempt = claimed[0].attempt;
      await this.audit.record(manager, this.workerActor(workerId), {
        action: auditActionFor('running'), outcome: 'succeeded', resourceType: 'execution', resourceId: execution.id, projectId: execution.projectId,
        details: { procedure: execution.procedureName, version: execution.version, attempt: execution.attempt, workerId },
      });
      return execution;
    });
  }

  /** Runs the steps; resolves when they are over, with what the end records. */
  private async run(execution: RunnableExecution, controller: AbortController): Promise<FinishedRun> {
    const definition = execution.definition;
    const secretValues = execution.secretParams ? (JSON.parse(this.secrets.open(execution.secretParams)) as Record<string, unknown>) : {};
    const params = { ...execution.params, ...secretValues };
    const steps: ExecutionStepRecord[] = definition.steps.map((s) => ({ name: s.name, status: 'pending', exitCode: null, startedAt: null, finishedAt: null }));
    const outputs: Record<string, Record<string, string>> = {};
    const log = new ExecutionLogWriter(
      execution.id, execution.logSeq,
      async (lines, lastSeq, bytes) => {
        await queryPrepared(this.dataSource, 'execution_logs',
          `WITH inserted AS (
             INSERT INTO execution_logs (execution_id, seq, ts, stream, step, text)
             SELECT $1, * FROM unnest($2::int[], $3::timestamptz[], $4::text[], $5::text[], $6::text[])
           )
           UPDATE executions SET log_seq = $7, log_bytes = log_bytes + $8, steps = $9 WHERE id = $1`,
          [execution.id, ...logLineArrays(lines), lastSeq, bytes, JSON.stringify(steps)],
        );
      },
      this.redis,
      Object.values(secretValues).filter((v): v is string => typeof v === 'string'),
    );
    log.publishStatusSoon('running');

    // The procedure's timeout bounds the whole run, retries included.
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(`timed out after ${definition.timeout} s`);
    }, definition.timeout * 1000);
    // The step launcher removes the workspace right after the last step (nothing waits for it). Where it
    // could not (a step left processes behind, no launcher, an earlier step failed), it is removed here
    // once the end is recorded, not before: the end comes sooner.
    const workspaces: ExecutionWorkspace[] = [];
    let outcome: RunOutcome;
    try {
      outcome = await this.runWithRetries(execution, definition, params, steps, outputs, log, controller.signal, workspaces);
    } catch (error) {
      this.logger.error({ executionId: execution.id, err: error }, 'execution failed inside the worker');
      log.add('system', null, '[switchboard] internal error while running this execution; see the worker log');
      outcome = { status: 'failed', reason: 'internal error in the worker' };
    } finally {
      clearTimeout(timer);
    }
    if (timedOut) outcome = { status: 'timed_out', reason: `the procedure's timeout of ${definition.timeout} s was reached` };
    return { outcome, steps, outputs, log, workspaces };
  }

  /** Records the end of a run whose steps are over, then removes what is left of its workspaces. Never rejects. */
  private async recordEnd(execution: RunnableExecution, workerId: string, run: FinishedRun): Promise<void> {
    try {
      await this.finish(execution, workerId, run.outcome, run.steps, run.outputs, run.log);
    } catch (error) {
      // The database stayed away past the retries, or refused the statement; the job is over either way.
      this.logger.error({ executionId: execution.id, err: error }, 'could not record the end of an execution');
    } finally {
      await removeWorkspaces(run.workspaces);
    }
  }

  private async runWithRetries(
    execution: RunnableExecution, definition: ProcedureDefinition, params: Record<string, unknown>,
    steps: ExecutionStepRecord[], outputs: Record<string, Record<string, string>>, log: ExecutionLogWriter, signal: AbortSignal,
    workspaces: ExecutionWorkspace[],
  ): Promise<RunOutcome> {
    const budget = new OutputBudget(this.config.SWITCHBOARD_OUTPUT_LIMIT_BYTES);
    for (let attempt = 0; ; attempt += 1) {
      const outcome = await this.runSteps(execution, definition, params, steps, outputs, log, signal, budget, workspaces);
      if (outcome.status !== 'failed' || attempt >= definition.retries || signal.aborted) return outcome;
      await removeWorkspaces(workspaces);
      const delay = definition.retry_delay * 1000 * 2 ** attempt;
      log.add('system', null, `[switchboard] attempt ${attempt + 1} failed (${outcome.reason ?? 'failed'}); retrying in ${Math.round(delay / 1000)} s`);
      await abortableDelay(delay, signal);
      if (signal.aborted) return { status: 'canceled', reason: String(signal.reason ?? 'canceled') };
      for (const step of steps) Object.assign(step, { status: 'pending', exitCode: null, startedAt: null, finishedAt: null, reason: undefined });
      for (const key of Object.keys(outputs)) delete outputs[key];
    }
  }

  private async runSteps(
    execution: RunnableExecution, definition: ProcedureDefinition, params: Record<string, unknown>,
    steps: ExecutionStepRecord[], outputs: Record<string, Record<string, string>>, log: ExecutionLogWriter, signal: AbortSignal, budget: OutputBudget,
    workspaces: ExecutionWorkspace[],
  ): Promise<RunOutcome> {
    // Made by the launcher with the first shell step's process (one request instead of two).
    const workspace = ExecutionWorkspace.plan({ executionId: execution.id, params, host: this.launcher, baseDir: this.config.SWITCHBOARD_WORKSPACE_DIR });
    workspaces.push(workspace);
    let failure: RunOutcome | null = null;
    for (const [index, step] of definition.steps.entries()) {
      const record = steps[index];
      if (failure) {
        record.status = 'skipped';
        continue;
      }
      record.status = 'running';
      record.startedAt = new Date().toISOString();
      const result = await this.runStep(step, workspace, params, outputs, log, signal, budget, index === definition.steps.length - 1);
      record.finishedAt = result.finishedAt.toISOString();
      record.exitCode = result.exitCode;
      if (result.reason) record.reason = result.reason;
      outputs[step.name] = result.outputs;
      if (result.outcome === 'succeeded') {
        record.status = 'succeeded';
      } else if (result.outcome === 'failed' && step.continue_on_error) {
        record.status = 'failed';
        log.add('system', step.name, `[switchboard] step ${step.name} failed (${result.reason ?? `exit code ${result.exitCode}`}); continuing (continue_on_error)`);
      } else {
        record.status = result.outcome === 'failed' ? 'failed' : result.outcome === 'timed_out' ? 'timed_out' : 'canceled';
        failure = result.outcome === 'canceled'
          ? { status: 'canceled', reason: result.reason ?? 'canceled' }
          : result.outcome === 'timed_out'
            ? { status: 'timed_out', reason: `step ${step.name} timed out` }
            : { status: 'failed', reason: `step ${step.name} failed${result.exitCode !== null ? ` with exit code ${result.exitCode}` : ''}${result.reason ? `: ${result.reason}` : ''}` };
      }
    }
    return failure ?? { status: 'succeeded', reason: null };
  }

  private async runStep(
    step: StepDefinition, workspace: ExecutionWorkspace, params: Record<string, unknown>, outputs: Record<string, Record<string, string>>,
    log: ExecutionLogWriter, signal: AbortSignal, budget: OutputBudget, isLastStep: boolean,
  ): Promise<StepResult> {
    const onLine = (line: StepLine): void => log.add(line.stream, step.name, line.text);
    const timeoutMs = step.timeout ? step.timeout * 1000 : undefined;
    if (step.kind === 'run') {
      return runShellStep({
        workspace, stepName: step.name, shell: step.shell, run: step.run, previousOutputs: outputs, secretEnv: step.env,
        onLine, signal, timeoutMs, outputBudget: budget, killGraceMs: this.killGraceMs(), isLastStep,
      });
    }
    if (step.kind === 'http') {
      return runHttpStep({
        method: step.http.method, url: step.http.url, headers: step.http.headers,
        body: step.http.body as string | Record<string, unknown> | undefined, expectedStatus: step.http.expect_status,
        timeoutMs: timeoutMs ?? 30_000, params, previousOutputs: outputs, checkTarget: refuseMetadataTargets, onLine, signal, outputBudget: budget,
      });
    }
    const now = new Date();
    onLine({ stream: 'system', text: `[switchboard] calling procedure ${step.procedure} is not supported by this worker yet`, continued: false });
    return { outcome: 'failed', exitCode: null, signal: null, reason: 'procedure steps are not supported yet', outputs: {}, startedAt: now, finishedAt: now };
  }

  /**
   * The end state must be recorded even if PostgreSQL is restarting at that moment: retry for a
   * while (the reconciler would otherwise call a finished run worker_lost).
   */
  private async retryWhileDatabaseDown<T>(executionIds: string[], work: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + 5 * 60_000;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await work();
      } catch (error) {
        if (Date.now() > deadline || !isConnectionError(error)) throw error;
        this.logger.warn({ executionIds, attempt }, 'database unavailable while recording the end of an execution; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(200 * 2 ** attempt, 5_000)));
      }
    }
  }

  private killGraceMs(): number {
    return this.config.SWITCHBOARD_KILL_GRACE_MS;
  }

  /** running → terminal: remaining log lines, steps, outputs, the state and its audit event in one statement (shared with other ends under load). */
  private async finish(
    execution: RunnableExecution, workerId: string, outcome: RunOutcome, steps: ExecutionStepRecord[],
    outputs: Record<string, Record<string, string>>, log: ExecutionLogWriter,
  ): Promise<void> {
    const tail = `[switchboard] ${outcome.status}${outcome.reason ? `: ${outcome.reason}` : ''}`;
    log.add('system', null, tail);
    const remaining = await log.takeRemaining();
    // Nothing is recorded if the run already ended elsewhere (the reconciler): its verdict stands.
    const ended = await this.ends.submit({ execution, workerId, outcome, steps, outputs, lines: remaining.lines, lastSeq: log.lastSeq, bytes: remaining.bytes });
    if (ended) {
      // Live viewers read the lines stored with the end from PostgreSQL when they get `end`; they need not be published too.
      // Not awaited: the job is done once the end is committed, and a worker at concurrency 1 takes its next job a Redis
      // round trip sooner (publish failures are ignored anyway; ioredis still sends it before the connection quits).
      void log.publish({ type: 'end', status: outcome.status, lastSeq: log.lastSeq });
      void this.notifications?.emit(executionEvent(outcome.status, execution, execution.procedureName, { reason: outcome.reason }));
    } else if (remaining.lines.length > 0) {
      await log.publish({ type: 'lines', lines: remaining.lines });
    }
  }

  /** One end: the remaining lines, the end state and its audit event as one autocommit statement, so one round trip. */
  private async endOne(end: RunEnd): Promise<boolean> {
    const { execution, outcome } = end;
    const params: unknown[] = [
      execution.id, outcome.status, outcome.reason, JSON.stringify(end.steps), JSON.stringify(end.outputs), end.lastSeq, end.bytes, end.workerId,
      ...logLineArrays(end.lines),
    ];
    const audit = this.audit.statement(this.workerActor(end.workerId), endRecord(end), { firstParam: params.length + 1, from: 'updated' });
    return (await queryPrepared<{ id: string }>(this.dataSource, 'execution_end',
      `WITH inserted AS (
         INSERT INTO execution_logs (execution_id, seq, ts, stream, step, text)
         SELECT $1, * FROM unnest($9::int[], $10::timestamptz[], $11::text[], $12::text[], $13::text[])
       ), updated AS (
         UPDATE executions SET status = $2, status_reason = $3, finished_at = now(), steps = $4, outputs = $5, log_seq = $6, log_bytes = log_bytes + $7
          WHERE id = $1 AND (status = 'running') IS TRUE AND worker_id = $8 RETURNING id
       ), audited AS (${audit.sql})
       SELECT id FROM updated`,
      [...params, ...audit.params],
    )).length > 0;
  }

  /** Several ends in one statement, each under the same condition as alone; an event is written for each run that ended here. */
  private async endMany(ends: RunEnd[]): Promise<boolean[]> {
    const lines = ends.flatMap((end) => end.lines.map((line) => ({ id: end.execution.id, line })));
    const audit = this.audit.batchStatement(ends.map((end) => ({ actor: this.workerActor(end.workerId), record: endRecord(end) })), {
      param: 15, join: { from: 'updated', idColumn: 'id' },
    });
    const updated = await queryPrepared<{ id: string }>(this.dataSource, 'execution_end_many',
      `WITH inserted AS (
         INSERT INTO execution_logs (execution_id, seq, ts, stream, step, text)
         SELECT * FROM unnest(${unsized(9, 'uuid[]')}, ${unsized(10, 'int[]')}, ${unsized(11, 'timestamptz[]')}, ${unsized(12, 'text[]')},
                              ${unsized(13, 'text[]')}, ${unsized(14, 'text[]')})
       ), updated AS (
         UPDATE executions e SET status = x.status, status_reason = x.reason, finished_at = now(), steps = x.steps, outputs = x.outputs,
                log_seq = x.log_seq, log_bytes = e.log_bytes + x.log_bytes
           FROM unnest(${unsized(1, 'uuid[]')}, ${unsized(2, 'text[]')}, ${unsized(3, 'text[]')}, ${unsized(4, 'jsonb[]')}, ${unsized(5, 'jsonb[]')},
                       ${unsized(6, 'int[]')}, ${unsized(7, 'bigint[]')}, ${unsized(8, 'text[]')})
                AS x(id, status, reason, steps, outputs, log_seq, log_bytes, worker_id)
          WHERE e.id = x.id AND (e.status = 'running') IS TRUE AND e.worker_id = x.worker_id
         RETURNING e.id
       ), audited AS (${audit.sql})
       SELECT id FROM updated`,
      [
        ends.map((end) => end.execution.id), ends.map((end) => end.outcome.status), ends.map((end) => end.outcome.reason),
        ends.map((end) => JSON.stringify(end.steps)), ends.map((end) => JSON.stringify(end.outputs)), ends.map((end) => end.lastSeq),
        ends.map((end) => end.bytes), ends.map((end) => end.workerId),
        lines.map((l) => l.id), ...logLineArrays(lines.map((l) => l.line)), ...audit.params,
      ],
    );
    const ids = new Set(updated.map((row) => row.id));
    return ends.map((end) => ids.has(end.execution.id));
  }
}

async function removeWorkspaces(workspaces: ExecutionWorkspace[]): Promise<void> {
  await Promise.all(workspaces.splice(0).map((workspace) => workspace.remove().catch(() => undefined)));
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Link-local and cloud metadata addresses are never reachable from a step, checked after DNS. */
async function refuseMetadataTargets(url: URL): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  for (const address of addresses) {
    if (/^169\.254\./.test(address) || /^fe80:/i.test(address) || /^fd00:ec2::254$/i.test(address)) {
      throw new Error(`refusing to call ${host}: link-local and metadata addresses are never allowed`);
    }
  }
}

/** Errors that mean "PostgreSQL is not reachable right now" rather than "this statement is wrong". */
function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code ?? '';
  const message = error instanceof Error ? error.message : String(error);
  return ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08000', '08003', '08006'].includes(code)
    || /Connection terminated|connection timeout|terminating connection|not queryable|the database system is (starting up|shutting down)/i.test(message);
}
