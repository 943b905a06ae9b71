import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * No planner statistics for the columns that only carry payload: no query filters, joins, groups
 * or sorts on them, so their statistics never inform a plan, and gathering them was most of what
 * ANALYZE cost on the busiest tables. Autovacuum analyzes a table after about 10% of its rows
 * changed, and a run changes `executions` three times and adds three audit events and seals.
 * ANALYZE sorts each column's sampled values: the audit details (jsonb), request ids, user agents
 * and reasons, the seals' random hex hashes, the runs' params, steps and outputs. Measured on the
 * benchmark's tables (bench/README.md, "Thirteenth session"): audit_events (30,000 rows) 260–300 ms
 * → 86–91 ms, executions (10,000) 68–75 → 19–20 ms, audit_seals (31,000) 58–61 → 15–19 ms.
 *
 * A column filtered on later needs its statistics back: `ALTER COLUMN … SET STATISTICS DEFAULT`
 * in a new migration (test/schema.e2e-spec.ts lists these columns).
 */
const PAYLOAD_COLUMNS: Record<string, string[]> = {
  executions: ['params', 'steps', 'outputs', 'secret_params', 'status_reason', 'triggered_by_name'],
  audit_events: ['details', 'user_agent', 'reason', 'request_id', 'ip', 'token_id'],
  audit_seals: ['prev_hash', 'hash'],
  execution_logs: ['text'],
};

export class PayloadStatistics1795780000000 implements MigrationInterface {
  name = 'PayloadStatistics1795780000000';

  async up(q: QueryRunner): Promise<void> {
    for (const [table, columns] of Object.entries(PAYLOAD_COLUMNS)) {
      await q.query(`ALTER TABLE "${table}" ${columns.map((column) => `ALTER COLUMN "${column}" SET STATISTICS 0`).join(', ')}`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table, columns] of Object.entries(PAYLOAD_COLUMNS)) {
      await q.query(`ALTER TABLE "${table}" ${columns.map((column) => `ALTER COLUMN "${column}" SET STATISTICS -1`).join(', ')}`);
    }
  }
}
