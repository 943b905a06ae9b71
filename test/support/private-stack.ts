import 'reflect-metadata';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@switchboard/core';
import { createDataSource, runMigrations, seedEssentials } from '@switchboard/platform';
import { type PostgresHandle, type RedisHandle, startPostgres, startRedis } from '../../scripts/local-stack';
import { ADMIN_PASSWORD, ADMIN_USERNAME } from './constants';

export interface PrivateStack {
  postgres: PostgresHandle;
  redis: RedisHandle;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * A PostgreSQL and Redis of a test's own, for tests that restart or wipe them: doing that to
 * the run's shared servers would disturb every other test file running in parallel.
 */
export async function startPrivateStack(options: { migrate?: boolean } = {}): Promise<PrivateStack> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-private-'));
  chmodSync(dir, 0o711);
  const [postgres, redis] = await Promise.all([startPostgres({ dir: join(dir, 'pg'), fast: true }), startRedis({ dir: join(dir, 'redis') })]);
  const env = {
    DATABASE_URL: postgres.url, REDIS_URL: redis.url, SWITCHBOARD_ADMIN_USERNAME: ADMIN_USERNAME, SWITCHBOARD_ADMIN_PASSWORD: ADMIN_PASSWORD,
    SWITCHBOARD_LOG_LEVEL: 'silent', SWITCHBOARD_LOGIN_MAX_FAILURES_PER_IP: '100000',
  };
  if (options.migrate !== false) {
    const dataSource = await createDataSource({ url: postgres.url, poolSize: 1 }).initialize();
    await runMigrations(dataSource);
    await seedEssentials(dataSource, loadConfig(env));
    await dataSource.destroy();
  }
  return {
    postgres, redis, env,
    stop: async () => {
      await Promise.allSettled([postgres.stop(), redis.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
