import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig, createRedisConnection, executionQueueName, QUEUE_PREFIX, waitAtMost } from '@switchboard/core';

/** How long a shutdown waits for adds still in flight. */
const ADD_DRAIN_MS = 5_000;

export interface ExecutionJobData {
  executionId: string;
}

/**
 * Puts executions on the BullMQ queue of their worker group. The job id is the execution id, so
 * enqueueing twice (a retry, the reconciler) never creates two jobs for one execution.
 */
@Injectable()
export class ExecutionQueue implements OnModuleDestroy {
  private readonly queues = new Map<string, Queue<ExecutionJobData>>();
  private connection: Redis | undefined;
  /** Adds of new runs not answered yet (the api does not wait for them); the shutdown lets them land first. */
  private readonly adding = new Set<Promise<unknown>>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  queueFor(workerGroup: string): Queue<ExecutionJobData> {
    let queue = this.queues.get(workerGroup);
    if (!queue) {
      this.connection ??= createRedisConnection(this.config.REDIS_URL, { name: 'switchboard-queue', forBullWorker: true });
      queue = new Queue<ExecutionJobData>(executionQueueName(workerGroup), { connection: this.connection, prefix: QUEUE_PREFIX });
      this.queues.set(workerGroup, queue);
    }
    return queue;
  }

  /**
   * The job id is the execution id; a retry after a lost worker appends the attempt, because the
   * dead worker's job stays locked in Redis until BullMQ notices it stalled (up to its lock time).
   * Either delivery is harmless: the engine claims an execution only while it is queued.
   */
  static jobId(executionId: string, attempt = 0): string {
    return attempt === 0 ? executionId : `${executionId}-r${attempt}`;
  }

  async enqueue(executionId: string, workerGroup: string, delayMs = 0, attempt = 0): Promise<void> {
    await this.tracked(this.queueFor(workerGroup).add('execute', { executionId }, jobOptions(executionId, delayMs, attempt)));
  }

  /** New runs of any groups, one Redis round trip per group (BullMQ addBulk). */
  async enqueueMany(runs: Array<{ executionId: string; workerGroup: string }>): Promise<void> {
    const byGroup = new Map<string, string[]>();
    for (const { executionId, workerGroup } of runs) {
      const ids = byGroup.get(workerGroup) ?? [];
      ids.push(executionId);
      byGroup.set(workerGroup, ids);
    }
    await Promise.all([...byGroup].map(([group, ids]) =>
      this.tracked(this.queueFor(group).addBulk(ids.map((executionId) => ({ name: 'execute', data: { executionId }, opts: jobOptions(executionId, 0, 0) }))))));
  }

  private tracked<T>(adding: Promise<T>): Promise<T> {
    this.adding.add(adding);
    const forget = (): void => {
      this.adding.delete(adding);
    };
    adding.then(forget, forget);
    return adding;
  }

  /** True when Redis holds a waiting, delayed or active job for the execution. */
  async hasLiveJob(executionId: string, workerGroup: string, attempt = 0): Promise<boolean> {
    const job = await this.queueFor(workerGroup).getJob(ExecutionQueue.jobId(executionId, attempt));
    if (!job) return false;
    const state = await job.getState();
    if (state === 'completed' || state === 'failed' || state === 'unknown') {
      await job.remove().catch(() => undefined);
      return false;
    }
    return true;
  }

  async remove(executionId: string, workerGroup: string): Promise<void> {
    const job = await this.queueFor(workerGroup).getJob(executionId);
    await job?.remove().catch(() => undefined); // an active job is locked by its worker; it checks the status itself
  }

  /** Moves a delayed job (waiting for a concurrency slot) to the front of the queue. */
  async promote(executionId: string, workerGroup: string, attempt = 0): Promise<void> {
    const job = await this.queueFor(workerGroup).getJob(ExecutionQueue.jobId(executionId, attempt));
    if (job && (await job.isDelayed())) await job.promote().catch(() => undefined);
  }

  async depth(workerGroup: string): Promise<Record<string, number>> {
    return this.queueFor(workerGroup).getJobCounts('waiting', 'active', 'delayed');
  }

  async onModuleDestroy(): Promise<void> {
    // Runs the api already answered for: their jobs go to Redis before the connection closes. With
    // Redis away, not for long: the reconciler enqueues whatever stayed queued in PostgreSQL.
    await waitAtMost(Promise.allSettled([...this.adding]), ADD_DRAIN_MS);
    await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
    this.connection?.disconnect();
  }
}

function jobOptions(executionId: string, delayMs: number, attempt: number) {
  return {
    jobId: ExecutionQueue.jobId(executionId, attempt),
    delay: delayMs,
    removeOnComplete: true,
    removeOnFail: { count: 1000 },
    attempts: 1,
  };
}
