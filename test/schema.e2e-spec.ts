import 'reflect-metadata';
import { describe, expect, inject, it } from 'vitest';
import { createDataSource } from '@switchboard/platform';

describe('database schema', () => {
  it('matches the entities after all migrations (no forgotten migration)', async () => {
    const dataSource = await createDataSource({ url: inject('databaseUrl'), poolSize: 1 }).initialize();
    try {
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await dataSource.destroy();
    }
  });

  it('refuses UPDATE and DELETE on audit events', async () => {
    const dataSource = await createDataSource({ url: inject('databaseUrl'), poolSize: 1 }).initialize();
    try {
      await expect(dataSource.query("UPDATE audit_events SET actor_name = 'mallory'")).rejects.toThrow(/append-only/);
      await expect(dataSource.query('DELETE FROM audit_events')).rejects.toThrow(/append-only/);
    } finally {
      await dataSource.destroy();
    }
  });
});
