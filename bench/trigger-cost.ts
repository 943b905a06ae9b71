/**
 * `node -r @swc-node/register bench/trigger-cost.ts`: what one trigger (POST
 * /procedures/:id/executions) costs the api, PostgreSQL and Redis, with no worker running, at a
 * few numbers of triggers in flight. The throughput benchmark measures the api among everything
 * else that runs; this isolates it, so changes to the trigger path can be compared in minutes.
 *
 * TRIGGER_RUNS (3000) measured triggers per setting after TRIGGER_WARMUP (5000);
 * TRIGGER_INFLIGHT (1,8,32) the settings. Prints a table, then `TRIGGER_JSON {…}`.
 */
import 'reflect-metadata';
import { join } from 'node:path';
import { freePort } from '../scripts/local-stack';
import { buildApps } from './app-build';
import { AppProcess } from './app-process';
import { AppRuntime, REPO_ROOT } from './app-runtime';
import { BenchDatabase } from './bench-database';
import { BENCH_ADMIN_PASSWORD, BENCH_ADMIN_USERNAME, startBenchStack } from './bench-stack';
import { CpuMeter } from './cpu-meter';
import { epochMs } from './step-marks';
import { SwitchboardClient } from './switchboard-client';
import { Teardown } from './teardown';

const runs = Number(process.env.TRIGGER_RUNS ?? 3000);
const warmup = Number(process.env.TRIGGER_WARMUP ?? 5000);
const inflights = (process.env.TRIGGER_INFLIGHT ?? '1,8,32').split(',').map(Number);
const log = (line: string): void => {
  process.stderr.write(`[trigger-cost] ${line}\n`);
};

async function fire(client: SwitchboardClient, procedureId: string, count: number, inflight: number): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      next += 1;
      await client.run(procedureId);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inflight, count) }, lane));
}

async function main(): Promise<void> {
  const teardown = new Teardown();
  teardown.installSignalHandlers();
  try {
    const stack = await startBenchStack(teardown, log);
    const built = await buildApps(REPO_ROOT, join(stack.dir, 'build'));
    log(`compiled ${built.files} files`);
    const runtime = AppRuntime.compiled(join(stack.dir, 'build'));
    const db = await BenchDatabase.connect(stack.databaseUrl);
    teardown.add('observer connection', () => db.close());
    const rows: Array<Record<string, number>> = [];
    for (const inflight of inflights) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const api = await AppProcess.start({
        name: 'switchboard api', entry: 'apps/api/src/main', runtime,
        env: { ...stack.appEnv, PORT: String(port) },
        isReady: async () => (await fetch(`${url}/health/live`)).status === 200,
      }, teardown);
      try {
        const token = await SwitchboardClient.adminToken(url, BENCH_ADMIN_USERNAME, BENCH_ADMIN_PASSWORD);
        const client = new SwitchboardClient(url, token);
        const projectId = await client.createProject(`trigger-cost-${inflight}-${Date.now().toString(36)}`);
        // A worker group no worker serves: the runs stay queued, and only the trigger is measured.
        const procedureId = await client.createProcedure(projectId, { name: 'trigger-cost', worker_group: 'trigger-cost-nobody', steps: [{ name: 'step', run: 'true' }] });
        await fire(client, procedureId, warmup, inflight);
        const [before] = await db.query<{ commits: string }>(`SELECT xact_commit::text AS commits FROM pg_stat_database WHERE datname = current_database()`);
        const meter = new CpuMeter({ api: api.pid, postgres: stack.postmasterPid(), redis: stack.redis.process.pid as number, bench: 'self' });
        meter.start();
        const startedAt = epochMs();
        await fire(client, procedureId, runs, inflight);
        const seconds = (epochMs() - startedAt) / 1000;
        const cpu = meter.stop();
        await db.query('SELECT pg_stat_force_next_flush()');
        await api.stop();
        const [after] = await db.query<{ commits: string }>(`SELECT xact_commit::text AS commits FROM pg_stat_database WHERE datname = current_database()`);
        client.close();
        const round = (v: number): number => Math.round(v * 100) / 100;
        const row = {
          inflight, perSecond: round(runs / seconds),
          ...Object.fromEntries(Object.entries(cpu.byComponent).map(([k, v]) => [`${k}Ms`, round(v / runs)])),
          // Commits of the api's shutdown and of the observer's own queries are in this count too: a few, over thousands of triggers.
          commitsPerTrigger: round((Number(after.commits) - Number(before.commits)) / runs),
        };
        rows.push(row);
        log(JSON.stringify(row));
      } finally {
        await api.stop();
      }
    }
    const keys = Object.keys(rows[0]);
    process.stdout.write(`${keys.map((k) => k.padStart(16)).join('')}\n`);
    for (const row of rows) process.stdout.write(`${keys.map((k) => String(row[k] ?? '').padStart(16)).join('')}\n`);
    process.stdout.write(`TRIGGER_JSON ${JSON.stringify(rows)}\n`);
  } finally {
    await teardown.runAll();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`trigger-cost failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
