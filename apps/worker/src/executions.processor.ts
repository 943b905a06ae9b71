import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DelayedError, type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import {
  APP_CONFIG, type AppConfig, CANCEL_CHANNEL, createRedisConnection, executionQueueName, LOGGER, type Logger, QUEUE_PREFIX, SYSTEM_ACTOR,
  TransactionRunner, waitAtMost,
} from '@switchboard/core';
import { AuditWriter } from '@switchboard/audit';
import { ExecutionEngine, type ExecutionJobData, ExecutionQueue, ExecutionReconciler, WorkerPresence } from '@switchboard/executions';
import { NotificationsProcessor } from './notifications.processor';

const BUSY_RETRY_MS = 1_000;
const CANCEL_POLL_MS = 2_000;

/**
 * The `executions-<group>` queues: takes jobs, hands them to the engine, listens for cancels,
 * beats the heart, runs the reconciler, and drains on SIGTERM.
 */
@Injectable()
export class ExecutionsProcessor {
  readonly workerId: string;
  private readonly workers: Array<Worker<ExecutionJobData>> = [];
  private subscriber: Redis | undefined;
  private timers: NodeJS.Timeout[] = [];
  private stopping = false;

  constructor(
    private readonly engine: ExecutionEngine,
    private readonly queue: ExecutionQueue,
    private readonly reconciler: ExecutionReconciler,
    private readonly presence: WorkerPresence,
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditWriter,
    private readonly notifications: NotificationsProcessor,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.workerId = config.SWITCHBOARD_WORKER_ID ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  }

  get groups(): string[] {
    return this.config.SWITCHBOARD_WORKER_GROUPS.split(',').map((g) => g.trim()).filter(Boolean);
  }

  async start(): Promise<void> {
    this.engine.prepare();
    await this.presence.start(this.workerId, this.groups);
    this.notifications.start();
    for (const group of this.groups) {
      const worker = new Worker<ExecutionJobData>(executionQueueName(group), (job, token) => this.handle(job, token), {
        connection: createRedisConnection(this.config.REDIS_URL, { forBullWorker: true, name: `switchboard-worker-${group}` }),
        prefix: QUEUE_PREFIX,
        concurrency: this.config.SWITCHBOARD_WORKER_CONCURRENCY,
        lockDuration: 30_000,
        stalledInterval: 15_000,
        maxStalledCount: 1,
        autorun: true,
      });
      worker.on('error', (error) => this.logger.warn({ err: error, group }, 'queue connection problem; retrying'));
      this.workers.push(worker);
    }
    this.subscriber = createRedisConnection(this.config.REDIS_URL, { name: 'switchboard-worker-cancel' });
    this.subscriber.on('message', (_channel: string, executionId: string) => this.cancelIfRunning(executionId));
    await this.subscriber.subscribe(CANCEL_CHANNEL);
    // Pub/sub can miss a message across a Redis restart; PostgreSQL has the request too.
    this.timers.push(setInterval(() => void this.pollCancels(), CANCEL_POLL_MS));
    const reconcileEvery = Math.max(1, Math.min(5, this.config.SWITCHBOARD_WORKER_LOST_SECONDS / 3)) * 1000;
    this.timers.push(setInterval(() => void this.reconcile(), reconcileEvery));
    void this.reconcile();
    this.logger.info({ workerId: this.workerId, groups: this.groups, concurrency: this.config.SWITCHBOARD_WORKER_CONCURRENCY }, 'worker started');
  }

  private async handle(job: Job<ExecutionJobData>, token?: string): Promise<void> {
    const { executionId } = job.data;
    const result = await this.engine.process(executionId, this.workerId);
    if (result === 'busy') {
      // The procedure is at its concurrency limit: wait in `queued`, try again shortly.
      await job.moveToDelayed(Date.now() + BUSY_RETRY_MS, token);
      throw new DelayedError();
    }
    if (result === 'done-limited') await this.promoteWaiting(executionId);
  }

  /** A finished run frees a concurrency slot: let the oldest waiting run of the procedure go now. */
  private async promoteWaiting(executionId: string): Promise<void> {
    const rows: Array<{ id: string; worker_group: string; attempt: number }> = await this.dataSource.query(
      `SELECT w.id, w.worker_group, w.attempt FROM executions e JOIN executions w ON w.procedure_id = e.procedure_id AND w.status = 'queued'
        WHERE e.id = $1 ORDER BY w.queued_at LIMIT 1`,
      [executionId],
    ).catch(() => []);
    for (const row of rows) await this.queue.promote(row.id, row.worker_group, row.attempt).catch(() => undefined);
  }

  private cancelIfRunning(executionId: string): void {
    if (this.engine.cancel(executionId, 'canceled on request')) this.logger.info({ executionId }, 'cancel requested');
  }

  private async pollCancels(): Promise<void> {
    const ids = [...this.engine.running.keys()];
    if (ids.length === 0) return;
    const rows: Array<{ id: string; cancel_requested_by: string }> = await this.dataSource
      .query('SELECT id, cancel_requested_by FROM executions WHERE id = ANY($1) AND cancel_requested_at IS NOT NULL', [ids])
      .catch(() => []);
    for (const row of rows) this.engine.cancel(row.id, `canceled by ${row.cancel_requested_by}`);
  }

  private async reconcile(): Promise<void> {
    if (this.stopping) return;
    await this.reconciler.reconcile().catch((error: unknown) => this.logger.warn({ err: error }, 'reconciler pass failed; next pass retries'));
  }

  /**
   * SIGTERM: take no new jobs, let running ones finish within the grace period, then end what
   * is left (retried elsewhere where the procedure allows, otherwise worker_lost) and stop.
   */
  async drain(): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    const grace = this.config.SWITCHBOARD_SHUTDOWN_GRACE_SECONDS * 1000;
    // Jobs end when their steps are over; the ends still being recorded are part of the drain too.
    const closing = Promise.allSettled(this.workers.map((worker) => worker.close())).then(() => this.engine.settled());
    if (!(await waitAtMost(closing, grace))) {
      this.logger.warn({ running: [...this.engine.running.keys()] }, 'drain grace period over; stopping remaining executions');
      for (const id of this.engine.running.keys()) this.engine.cancel(id, 'the worker is shutting down');
      await waitAtMost(closing, 15_000);
    }
    this.subscriber?.disconnect();
    await this.notifications.stop();
    await this.presence.stop(this.workerId);
    await this.tx.run((manager) =>
      this.audit.record(manager, { ...SYSTEM_ACTOR, name: `worker:${this.workerId}` }, { action: 'worker.stopped', outcome: 'succeeded', resourceType: 'worker', resourceId: this.workerId }),
    ).catch(() => undefined);
  }
}
