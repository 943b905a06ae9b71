import 'reflect-metadata';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '@switchboard/core';
import { createDataSource, runMigrations, seedEssentials } from '@switchboard/platform';
import { startPostgres, startRedis } from '../../scripts/local-stack';
import { ADMIN_PASSWORD, ADMIN_USERNAME } from './constants';
import { buildWebApp } from '../browser/support/web-build';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    redisUrl: string;
    postgresPort: number;
    redisPort: number;
    stackDir: string;
  }
}

/** One throw-away PostgreSQL and Redis for the whole run; tests isolate themselves by unique names. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-test-'));
  chmodSync(dir, 0o711); // embedded PostgreSQL runs as the postgres user and must traverse it
  // The web app is built once per run, beside the servers' start-up, so browser tests get fresh assets.
  const [pgResult, redisResult, webResult] = await Promise.allSettled([
    startPostgres({ dir: join(dir, 'pg'), fast: true, database: 'switchboard_test' }),
    startRedis({ dir: join(dir, 'redis') }),
    buildWebApp(),
  ]);
  if (pgResult.status === 'rejected' || redisResult.status === 'rejected' || webResult.status === 'rejected') {
    // Never leave one server running because the other failed.
    if (pgResult.status === 'fulfilled') await pgResult.value.stop();
    if (redisResult.status === 'fulfilled') await redisResult.value.stop();
    const failed = [pgResult, redisResult, webResult].find((r) => r.status === 'rejected') as PromiseRejectedResult;
    throw failed.reason;
  }
  const postgres = pgResult.value;
  const redis = redisResult.value;
  const config = loadConfig({ DATABASE_URL: postgres.url, REDIS_URL: redis.url, SWITCHBOARD_ADMIN_USERNAME: ADMIN_USERNAME, SWITCHBOARD_ADMIN_PASSWORD: ADMIN_PASSWORD });
  const dataSource = await createDataSource({ url: postgres.url, poolSize: 2 }).initialize();
  await runMigrations(dataSource);
  await seedEssentials(dataSource, config);
  await dataSource.destroy();
  project.provide('databaseUrl', postgres.url);
  project.provide('redisUrl', redis.url);
  project.provide('postgresPort', postgres.port);
  project.provide('redisPort', redis.port);
  project.provide('stackDir', dir);
  return async () => {
    await Promise.allSettled([postgres.stop(), redis.stop()]);
    rmSync(dir, { recursive: true, force: true });
  };
}
