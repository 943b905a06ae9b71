import { hash } from 'node:crypto';
import type { DataSource } from 'typeorm';

interface PgPool {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

const names = new Map<string, string>();
const MAX_NAMES = 1_000;

/**
 * Runs a hot read as a named prepared statement on the DataSource's pool: PostgreSQL parses and
 * plans it once per pooled connection instead of on every call (TypeORM sends unnamed statements
 * only). The name is derived from the text, so each distinct SQL text is its own statement; callers
 * build texts whose shape varies only in a few ways, and keep values in `values`, never in `text`.
 */
export async function queryPrepared<T>(dataSource: DataSource, purpose: string, text: string, values: unknown[]): Promise<T[]> {
  let name = names.get(text);
  if (name === undefined) {
    name = `${purpose}_${hash('sha1', text, 'hex').slice(0, 16)}`;
    // A bound on the map only; a statement past it is still named, just hashed again next time.
    if (names.size < MAX_NAMES) names.set(text, name);
  }
  const pool = (dataSource.driver as unknown as { master: PgPool }).master;
  return (await pool.query({ name, text, values })).rows as T[];
}
