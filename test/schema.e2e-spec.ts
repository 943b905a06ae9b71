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

  it('gathers no planner statistics for payload columns, and keeps them for the filtered ones', async () => {
    const dataSource = await createDataSource({ url: inject('databaseUrl'), poolSize: 1 }).initialize();
    try {
      const targets = async (table: string): Promise<Record<string, number>> => Object.fromEntries(
        ((await dataSource.query(
          `SELECT attname, coalesce(attstattarget, -1) AS target FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`, [table],
        )) as Array<{ attname: string; target: number }>).map((row) => [row.attname, row.target]),
      );
      const payload: Record<string, string[]> = {
        executions: ['params', 'steps', 'outputs', 'secret_params', 'status_reason', 'triggered_by_name'],
        audit_events: ['details', 'user_agent', 'reason', 'request_id', 'ip', 'token_id'],
        audit_seals: ['prev_hash', 'hash'],
        execution_logs: ['text'],
      };
      // What lists, filters and the engine's statements select by: their statistics stay.
      const filtered: Record<string, string[]> = {
        executions: ['id', 'status', 'procedure_id', 'project_id', 'triggered_by', 'queued_at', 'worker_id'],
        audit_events: ['seq', 'xid', 'actor_id', 'actor_name', 'action', 'resource_type', 'resource_id', 'project_id', 'outcome', 'occurred_at'],
        audit_seals: ['chain_seq', 'event_seq'],
        execution_logs: ['execution_id', 'seq'],
      };
      for (const table of Object.keys(payload)) {
        const target = await targets(table);
        for (const column of payload[table]) expect({ table, column, target: target[column] }).toEqual({ table, column, target: 0 });
        for (const column of filtered[table]) expect({ table, column, target: target[column] }).toEqual({ table, column, target: -1 });
      }
    } finally {
      await dataSource.destroy();
    }
  });

  it('finds an execution by id through its primary key, never by reading the active runs', async () => {
    const dataSource = await createDataSource({ url: inject('databaseUrl'), poolSize: 1 }).initialize();
    try {
      await dataSource.transaction(async (manager) => {
        // Sequential scans off: any index that can answer a clause is then taken, whatever the statistics.
        await manager.query('SET LOCAL enable_seqscan = off');
        const plan = async (where: string): Promise<string> => ((await manager.query(
          `EXPLAIN (GENERIC_PLAN) UPDATE executions SET status = 'running' WHERE ${where}`,
        )) as Array<{ 'QUERY PLAN': string }>).map((row) => row['QUERY PLAN']).join('\n');
        // The plain test can be answered from the small partial index: beside `id = $1`, statistics
        // gathered while nothing was queued made the planner read every queued run to claim one.
        expect(await plan(`status = 'queued'`)).toContain('executions_active_idx');
        // The form the engine's claims, ends and cancels use (see execution.entity.ts) cannot, so
        // beside `id = $1` only the primary key is left.
        for (const test of [`(status = 'queued') IS TRUE`, `(status = ANY($2::text[])) IS TRUE`]) {
          expect(await plan(test.replace('$2', '$1'))).not.toContain('executions_active_idx');
          const chosen = await plan(`id = $1 AND ${test}`);
          expect(chosen).not.toContain('executions_active_idx');
          expect(chosen).toMatch(/Index Scan using "PK_[0-9a-f]+" on executions[\s\S]*Index Cond: \(id = \$1\)/);
        }
      });
    } finally {
      await dataSource.destroy();
    }
  });
});
