import { Client } from 'pg';

/** Cumulative server counters at one moment. */
export interface CounterSample {
  xactCommit: number;
  xactRollback: number;
  /** Next transaction id: its delta counts transactions that wrote (each one a durable commit). */
  nextXid: number;
  walBytes: number;
  walRecords: number;
  /** WAL fsyncs (pg_stat_io, PostgreSQL 16+); null where not available. */
  walFsyncs: number | null;
}

export interface StatementStat {
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
  /** How often PostgreSQL planned it (a prepared statement is planned for its first executions only, unless custom plans keep winning), and the time spent planning. */
  plans: number;
  planMs: number;
}

/** What the bench's own connection adds must not be blamed on the system under test. */
export interface CounterDelta extends CounterSample {
  ownQueries: number;
}

/**
 * The benchmark's single PostgreSQL connection. Every query it makes is followed by
 * pg_stat_force_next_flush(), so its own transactions reach pg_stat_database at once and can be
 * subtracted exactly (a backend otherwise holds its counts for up to 10 s, PGSTAT_IDLE_INTERVAL).
 */
export class BenchDatabase {
  private queries = 0;

  private constructor(private readonly client: Client) {}

  static async connect(url: string): Promise<BenchDatabase> {
    const client = new Client({ connectionString: url, application_name: 'bench-observer' });
    // PostgreSQL going away (Ctrl-C reaches it too) must fail the next query, not crash the cleanup.
    client.on('error', () => undefined);
    await client.connect();
    return new BenchDatabase(client);
  }

  /** Transactions this connection has committed so far (each query + its flush request = 2). */
  get ownQueries(): number {
    return this.queries;
  }

  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const result = await this.client.query(sql, params);
    // Reading a table makes the backend hold pending statistics; otherwise it may skip the flush.
    await this.client.query('SELECT pg_stat_force_next_flush() FROM pg_database LIMIT 1');
    this.queries += 2;
    return result.rows as T[];
  }

  async sample(): Promise<CounterSample> {
    const [row] = await this.query<Record<string, string | null>>(
      `SELECT d.xact_commit, d.xact_rollback,
              pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS next_xid,
              pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint AS wal_bytes,
              (SELECT wal_records FROM pg_stat_wal) AS wal_records,
              (SELECT sum(fsyncs) FROM pg_stat_io WHERE object = 'wal') AS wal_fsyncs
         FROM pg_stat_database d WHERE d.datname = current_database()`,
    );
    return {
      xactCommit: Number(row.xact_commit),
      xactRollback: Number(row.xact_rollback),
      nextXid: Number(row.next_xid),
      walBytes: Number(row.wal_bytes),
      walRecords: Number(row.wal_records),
      walFsyncs: row.wal_fsyncs === null ? null : Number(row.wal_fsyncs),
    };
  }

  static delta(before: CounterSample, after: CounterSample, ownQueries: number): CounterDelta {
    return {
      xactCommit: after.xactCommit - before.xactCommit,
      xactRollback: after.xactRollback - before.xactRollback,
      nextXid: after.nextXid - before.nextXid,
      walBytes: after.walBytes - before.walBytes,
      walRecords: after.walRecords - before.walRecords,
      walFsyncs: after.walFsyncs === null || before.walFsyncs === null ? null : after.walFsyncs - before.walFsyncs,
      ownQueries,
    };
  }

  async resetStatements(): Promise<void> {
    await this.query('SELECT pg_stat_statements_reset()');
  }

  /** Statements of every other connection since the last reset, most calls first. */
  async statements(): Promise<StatementStat[]> {
    const rows = await this.query<{ query: string; calls: string; total_ms: number; mean_ms: number; rows: string; plans: string; plan_ms: number }>(
      `SELECT query, calls, total_exec_time AS total_ms, mean_exec_time AS mean_ms, rows, plans, total_plan_time AS plan_ms
         FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND query NOT LIKE '%pg_stat_%' AND query NOT LIKE '%/*bench*/%'
        ORDER BY calls DESC, total_exec_time DESC`,
    );
    return rows.map((r) => ({ query: r.query.replace(/\s+/g, ' ').trim(), calls: Number(r.calls), totalMs: r.total_ms, meanMs: r.mean_ms, rows: Number(r.rows), plans: Number(r.plans), planMs: r.plan_ms }));
  }

  /**
   * Waits until no client backend but this one is connected: the processes under test are gone,
   * and a backend flushes its statistics when it exits.
   */
  async waitForQuiet(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [{ others }] = await this.query<{ others: number }>(
        `SELECT count(*)::int AS others FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`,
      );
      if (others === 0) break;
      if (Date.now() > deadline) throw new Error(`${others} other PostgreSQL connections are still open after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // A backend leaves pg_stat_activity just before its exit hook flushes its statistics.
    await new Promise((r) => setTimeout(r, 250));
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
