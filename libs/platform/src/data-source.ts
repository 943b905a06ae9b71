import { DataSource } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

export interface DataSourceOptions {
  url: string;
  poolSize?: number;
  applicationName?: string;
}

/** The one DataSource shape used by api, worker, migrations, scripts and tests. */
export function createDataSource(options: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    // gen_random_uuid() is built into PostgreSQL 13+; no extension needed.
    uuidExtension: 'pgcrypto',
    synchronize: false,
    logging: false,
    applicationName: options.applicationName ?? 'switchboard',
    extra: {
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      // Keep a dead connection from hanging a request after a PostgreSQL restart.
      keepAlive: true,
      statement_timeout: 60_000,
    },
  });
}

/** Opens the DataSource, retrying while PostgreSQL is still starting or restarting. */
export async function initializeWithRetry(dataSource: DataSource, deadlineMs = 60_000): Promise<DataSource> {
  const started = Date.now();
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await dataSource.initialize();
    } catch (error) {
      if (Date.now() - started > deadlineMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 2_000)));
    }
  }
}
