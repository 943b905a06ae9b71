import type { Client } from 'pg';

/** One normalized statement other connections ran (pg_stat_statements), with its cost. */
export interface StatementCount {
  query: string;
  calls: number;
  /** calls / requests of the window. */
  perRequest: number;
  meanMs: number;
  rowsPerCall: number;
}

export interface StatementWindow {
  requests: number;
  /** Round trips to PostgreSQL per request: node-pg sends each statement as one Parse/Bind/Execute/Sync. */
  statementsPerRequest: number;
  /** PostgreSQL execution time per request (sum over its statements), ms. */
  dbMsPerRequest: number;
  /** Writes (INSERT/UPDATE/DELETE) during a read-only workload, and their mean duration (lock waits included). */
  writes: number;
  writeMeanMs: number;
  statements: StatementCount[];
}

const WRITE = /^(WITH\b[\s\S]*\b)?(INSERT|UPDATE|DELETE)\b/i;

// The benchmark's own statements carry this comment and are left out.
export const OWN = '/*bench*/';

export async function resetStatements(db: Client): Promise<void> {
  await db.query(`SELECT pg_stat_statements_reset() ${OWN}`);
}

/** What every other connection ran since the last reset, divided by the requests made meanwhile. */
export async function readStatements(db: Client, requests: number): Promise<StatementWindow> {
  const { rows } = await db.query<{ query: string; calls: string; total_ms: number; rows: string }>(
    `SELECT query, calls, total_exec_time AS total_ms, rows FROM pg_stat_statements
      WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND query NOT LIKE '%/*bench*/%' AND query NOT ILIKE '%pg_stat_statements%'
      ORDER BY calls DESC, total_exec_time DESC ${OWN}`,
  );
  const round = (v: number, digits = 3): number => Math.round(v * 10 ** digits) / 10 ** digits;
  const statements = rows.map((r) => ({
    query: r.query.replace(/\s+/g, ' ').trim(),
    calls: Number(r.calls),
    perRequest: round(Number(r.calls) / requests),
    meanMs: round(r.total_ms / Math.max(1, Number(r.calls))),
    rowsPerCall: round(Number(r.rows) / Math.max(1, Number(r.calls)), 2),
  }));
  const writes = statements.filter((s) => WRITE.test(s.query));
  const writeCalls = writes.reduce((a, s) => a + s.calls, 0);
  return {
    requests,
    writes: writeCalls,
    writeMeanMs: round(writes.reduce((a, s) => a + s.meanMs * s.calls, 0) / Math.max(1, writeCalls)),
    statementsPerRequest: round(statements.reduce((a, s) => a + s.calls, 0) / requests),
    dbMsPerRequest: round(rows.reduce((a, r) => a + r.total_ms, 0) / requests),
    statements,
  };
}
