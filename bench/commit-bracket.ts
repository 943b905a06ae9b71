import { BenchDatabase, type CounterDelta, type StatementStat } from './bench-database';

export interface Bracketed<T> {
  result: T;
  counters: CounterDelta;
  statements: StatementStat[];
}

export interface PerExecutionCounts {
  /** pg_stat_database.xact_commit: every committed transaction, read-only ones included. */
  commits: number;
  /** Transactions that were assigned an xid, i.e. wrote something and waited for a WAL flush. */
  writeTransactions: number;
  walBytes: number;
  walRecords: number;
  walFsyncs: number | null;
}

/**
 * Counts what PostgreSQL did during `work`, which starts and stops the processes under test:
 * counters are read when no other client is connected, before and after. Every backend flushes
 * its statistics when it exits, so nothing is left pending (sampling after "waiting 1.5 s" could
 * miss up to 10 s of a pooled connection's counts). The benchmark's own queries are subtracted.
 */
export async function withCommitCount<T>(db: BenchDatabase, work: () => Promise<T>): Promise<Bracketed<T>> {
  await db.waitForQuiet();
  const ownBefore = db.ownQueries;
  const before = await db.sample();
  await db.resetStatements();
  const result = await work();
  await db.waitForQuiet();
  const statements = await db.statements();
  const own = db.ownQueries - ownBefore;
  const after = await db.sample();
  return { result, counters: BenchDatabase.delta(before, after, own), statements };
}

/** (bracket − idle baseline bracket) / executions, with the benchmark's own transactions removed. */
export function perExecution(run: CounterDelta, baseline: CounterDelta, executions: number): PerExecutionCounts {
  const round = (v: number): number => Math.round(v * 100) / 100;
  const commits = (run.xactCommit - run.ownQueries) - (baseline.xactCommit - baseline.ownQueries);
  return {
    commits: round(commits / executions),
    writeTransactions: round((run.nextXid - baseline.nextXid) / executions),
    walBytes: Math.round((run.walBytes - baseline.walBytes) / executions),
    walRecords: round((run.walRecords - baseline.walRecords) / executions),
    walFsyncs: run.walFsyncs === null || baseline.walFsyncs === null ? null : round((run.walFsyncs - baseline.walFsyncs) / executions),
  };
}
