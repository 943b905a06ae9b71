import IORedis from 'ioredis';
import { executionChannel } from '@switchboard/core';
import { freePort } from '../scripts/local-stack';
import { AppProcess } from './app-process';
import type { BenchDatabase } from './bench-database';
import type { AppRuntime } from './app-runtime';
import { EndWaiters } from './end-waiters';
import { BENCH_ADMIN_PASSWORD, BENCH_ADMIN_USERNAME, type BenchStack } from './bench-stack';
import type { BatchSpec, EndWatcher, Pipeline, RunningPipeline } from './pipeline';
import type { StepMarks } from './step-marks';
import { SwitchboardClient } from './switchboard-client';
import type { Teardown } from './teardown';

const TERMINAL = ['succeeded', 'failed', 'canceled', 'timed_out', 'worker_lost', 'rejected'];

async function answers200(url: string): Promise<boolean> {
  const response = await fetch(url);
  await response.arrayBuffer();
  return response.status === 200;
}

/**
 * Switchboard as production runs it: the api and the worker as two node processes (two event
 * loops, as on separate machines), started from the TypeScript sources, against the bench stack.
 */
export class SwitchboardPipeline implements Pipeline {
  readonly name = 'switchboard';
  readonly outcomeSql = `SELECT count(*) FILTER (WHERE status IN (${TERMINAL.map((s) => `'${s}'`).join(', ')}))::int AS done,
                                count(*) FILTER (WHERE status = 'succeeded')::int AS ok
                           FROM executions WHERE procedure_id = $1`;
  /**
   * A run is in PostgreSQL once its trigger was accepted (the 201 comes after the commit), so the
   * terminal ones are the accepted ones less those still active, which the partial index
   * `executions_active_idx` holds. Counting the batch's rows by status instead fetched every row
   * version from the heap: 2–4.7 ms a poll near the end, against 0.7–0.95 ms for the bare
   * pipeline's narrow table.
   */
  async countDone(db: BenchDatabase, batch: string, accepted: number): Promise<number> {
    const [{ active }] = await db.query<{ active: number }>(
      `SELECT count(*)::int AS active FROM executions WHERE status IN ('pending_approval', 'queued', 'running') AND procedure_id = $1`, [batch]);
    return accepted - active;
  }
  readonly timesSql = `SELECT id::text, extract(epoch FROM queued_at) * 1000 AS queued_ms, extract(epoch FROM started_at) * 1000 AS started_ms,
                              extract(epoch FROM finished_at) * 1000 AS finished_ms
                         FROM executions WHERE id = ANY($1::uuid[])`;
  private token: string | undefined;
  private readonly procedures = new Map<string, string>();

  constructor(
    private readonly stack: BenchStack,
    private readonly teardown: Teardown,
    private readonly marks: StepMarks,
    private readonly runtime: AppRuntime,
  ) {}

  async start(concurrency: number): Promise<RunningSwitchboard> {
    const [apiPort, healthPort] = await Promise.all([freePort(), freePort()]);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const [api, worker] = await Promise.all([
      AppProcess.start({
        name: 'switchboard api',
        entry: 'apps/api/src/main',
        runtime: this.runtime,
        env: { ...this.stack.appEnv, PORT: String(apiPort) },
        isReady: () => answers200(`${apiUrl}/health/live`),
      }, this.teardown),
      AppProcess.start({
        name: `switchboard worker (concurrency ${concurrency})`,
        entry: 'apps/worker/src/main',
        runtime: this.runtime,
        env: { ...this.stack.appEnv, SWITCHBOARD_WORKER_CONCURRENCY: String(concurrency), SWITCHBOARD_WORKER_HEALTH_PORT: String(healthPort) },
        isReady: () => answers200(`http://127.0.0.1:${healthPort}/health/ready`),
      }, this.teardown),
    ]);
    return new RunningSwitchboard(concurrency, api, worker, apiUrl, () => this.token, this.stack.redisUrl);
  }

  async prepare(running: RunningPipeline, batches: BatchSpec[]): Promise<void> {
    const instance = running as RunningSwitchboard;
    this.token ??= await SwitchboardClient.adminToken(instance.apiUrl, BENCH_ADMIN_USERNAME, BENCH_ADMIN_PASSWORD);
    const client = instance.client;
    const projectId = await client.createProject(`bench-${Date.now().toString(36)}`);
    for (const batch of batches) {
      const run = batch.kind === 'mark' ? this.marks.switchboardScript : 'true';
      const id = await client.createProcedure(projectId, {
        name: `bench-${batch.label}`,
        description: 'created by npm run bench',
        steps: [{ name: 'step', shell: 'bash', run }],
      });
      this.procedures.set(batch.label, id);
    }
  }

  batch(label: string): string {
    const id = this.procedures.get(label);
    if (!id) throw new Error(`no procedure prepared for batch ${label}`);
    return id;
  }
}

export class RunningSwitchboard implements RunningPipeline {
  private cachedClient: SwitchboardClient | undefined;

  constructor(
    readonly concurrency: number,
    private readonly api: AppProcess,
    private readonly worker: AppProcess,
    readonly apiUrl: string,
    private readonly token: () => string | undefined,
    private readonly redisUrl: string,
  ) {}

  get client(): SwitchboardClient {
    const token = this.token();
    if (!token) throw new Error('no API token yet: prepare() first');
    this.cachedClient ??= new SwitchboardClient(this.apiUrl, token);
    return this.cachedClient;
  }

  cpuComponents(): Record<string, number> {
    return { api: this.api.pid, worker: this.worker.pid };
  }

  async trigger(procedureId: string): Promise<string> {
    return (await this.client.run(procedureId)).id;
  }

  /** Follows the workers' live channel (what the api's SSE endpoint follows) for `end` messages. */
  async watchEnds(): Promise<EndWatcher> {
    const subscriber = new IORedis(this.redisUrl, { maxRetriesPerRequest: null });
    subscriber.on('error', () => undefined);
    const waiters = new EndWaiters();
    const pattern = executionChannel('*');
    const prefix = pattern.slice(0, -1);
    subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => {
      const parsed = JSON.parse(message) as { type: string; status?: string };
      if (parsed.type === 'end') waiters.settle(channel.slice(prefix.length), String(parsed.status));
    });
    await subscriber.psubscribe(pattern);
    return {
      waitFor: (id, timeoutMs) => waiters.waitFor(id, timeoutMs),
      close: async () => {
        subscriber.disconnect();
      },
    };
  }

  async stop(): Promise<void> {
    this.cachedClient?.close();
    await Promise.all([this.api.stop(), this.worker.stop()]);
  }
}
