import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';
import IORedis from 'ioredis';
import { AppProcess } from './app-process';
import type { AppRuntime } from './app-runtime';
import { BARE_PREFIX, BARE_QUEUE, BARE_TABLE, type BareJobData } from './bare-queue';
import type { BenchDatabase } from './bench-database';
import type { BenchStack } from './bench-stack';
import { EndWaiters } from './end-waiters';
import type { BatchSpec, EndWatcher, Pipeline, RunningPipeline } from './pipeline';
import type { StepMarks } from './step-marks';
import type { Teardown } from './teardown';

/**
 * The floor: a BullMQ Queue (in the benchmark process, standing in for the api) and a BullMQ
 * Worker process (bench/bare-worker.ts) on the same Redis and PostgreSQL as Switchboard.
 */
export class BarePipeline implements Pipeline {
  readonly name = 'bare';
  readonly outcomeSql = `SELECT count(*) FILTER (WHERE status IN ('succeeded', 'failed'))::int AS done,
                                count(*) FILTER (WHERE status = 'succeeded')::int AS ok
                           FROM ${BARE_TABLE} WHERE batch = $1`;
  /** Its worker writes a run's row only once it has the job, so what is accepted says nothing here: the terminal rows are counted. */
  async countDone(db: BenchDatabase, batch: string): Promise<number> {
    const [{ done }] = await db.query<{ done: number }>(
      `SELECT count(*)::int AS done FROM ${BARE_TABLE} WHERE batch = $1 AND status IN ('succeeded', 'failed')`, [batch]);
    return done;
  }
  readonly timesSql = `SELECT id::text, extract(epoch FROM queued_at) * 1000 AS queued_ms, extract(epoch FROM started_at) * 1000 AS started_ms,
                              extract(epoch FROM finished_at) * 1000 AS finished_ms
                         FROM ${BARE_TABLE} WHERE id = ANY($1::uuid[])`;
  private readonly batches = new Map<string, BatchSpec & { id: string }>();
  private queue: Queue<BareJobData> | undefined;

  constructor(
    private readonly stack: BenchStack,
    private readonly teardown: Teardown,
    private readonly marks: StepMarks,
    private readonly runtime: AppRuntime,
  ) {}

  private producer(): Queue<BareJobData> {
    if (!this.queue) {
      const connection = new IORedis(this.stack.redisUrl, { maxRetriesPerRequest: null });
      connection.on('error', () => undefined);
      const queue = new Queue<BareJobData>(BARE_QUEUE, { connection, prefix: BARE_PREFIX });
      queue.on('error', () => undefined); // a failing add rejects; the event alone must not crash the benchmark
      this.teardown.add('bare producer', async () => {
        await queue.close();
        connection.disconnect();
      });
      this.queue = queue;
    }
    return this.queue;
  }

  async start(concurrency: number): Promise<RunningPipeline> {
    const worker = await AppProcess.start({
      name: `bare worker (concurrency ${concurrency})`,
      entry: 'bench/bare-worker',
      runtime: this.runtime,
      env: {
        PATH: this.stack.appEnv.PATH,
        BARE_DATABASE_URL: this.stack.databaseUrl,
        BARE_REDIS_URL: this.stack.redisUrl,
        BARE_CONCURRENCY: String(concurrency),
      },
      isReady: async (output) => output.includes('bare worker ready'),
    }, this.teardown);
    const queue = this.producer();
    await queue.waitUntilReady();
    return new RunningBare(concurrency, worker, queue, this.stack.redisUrl, (batch) => this.spec(batch), this.marks);
  }

  async prepare(_running: RunningPipeline, batches: BatchSpec[]): Promise<void> {
    for (const batch of batches) this.batches.set(batch.label, { ...batch, id: `${batch.label}-${randomUUID()}` });
  }

  batch(label: string): string {
    const spec = this.batches.get(label);
    if (!spec) throw new Error(`no batch prepared for ${label}`);
    return spec.id;
  }

  private spec(batchId: string): BatchSpec {
    const spec = [...this.batches.values()].find((b) => b.id === batchId);
    if (!spec) throw new Error(`unknown batch ${batchId}`);
    return spec;
  }
}

class RunningBare implements RunningPipeline {
  constructor(
    readonly concurrency: number,
    private readonly worker: AppProcess,
    private readonly queue: Queue<BareJobData>,
    private readonly redisUrl: string,
    private readonly specOf: (batchId: string) => BatchSpec,
    private readonly marks: StepMarks,
  ) {}

  cpuComponents(): Record<string, number> {
    return { worker: this.worker.pid };
  }

  /** Same job options as Switchboard's enqueue: own job id, removed on completion, one attempt. */
  async trigger(batch: string): Promise<string> {
    const id = randomUUID();
    const data: BareJobData = this.specOf(batch).kind === 'mark' ? { batch, args: this.marks.bareArgs(id) } : { batch };
    await this.queue.add('run', data, { jobId: id, removeOnComplete: true, removeOnFail: { count: 1000 }, attempts: 1 });
    return id;
  }

  async watchEnds(): Promise<EndWatcher> {
    const connection = new IORedis(this.redisUrl, { maxRetriesPerRequest: null });
    connection.on('error', () => undefined);
    const events = new QueueEvents(BARE_QUEUE, { connection, prefix: BARE_PREFIX });
    events.on('error', () => undefined);
    await events.waitUntilReady();
    const waiters = new EndWaiters();
    events.on('completed', ({ jobId }) => waiters.settle(jobId, 'succeeded'));
    events.on('failed', ({ jobId }) => waiters.settle(jobId, 'failed'));
    return {
      waitFor: (id, timeoutMs) => waiters.waitFor(id, timeoutMs),
      close: async () => {
        await events.close();
        connection.disconnect();
      },
    };
  }

  async stop(): Promise<void> {
    await this.worker.stop();
  }
}
