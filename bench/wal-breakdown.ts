/**
 * `npm run bench:wal`: what PostgreSQL writes to its WAL for each of Switchboard's trivial
 * executions, by record type and by relation (pg_walinspect), with the api and the worker as
 * `npm run bench` starts them. Where `npm run bench` counts WAL records and bytes per execution,
 * this says which tables and indexes they come from.
 *
 * WAL_RUNS (2000) measured executions after WAL_WARMUP (2000), WAL_CONCURRENCY (4) worker slots,
 * 8 triggers in flight. The range measured starts after a CHECKPOINT, so full-page images are
 * those a steady state also writes after each checkpoint. Prints three tables.
 */
import 'reflect-metadata';
import { join } from 'node:path';
import { buildApps } from './app-build';
import { AppRuntime, REPO_ROOT } from './app-runtime';
import { BenchDatabase } from './bench-database';
import { startBenchStack } from './bench-stack';
import { StepMarks } from './step-marks';
import { SwitchboardPipeline } from './switchboard-pipeline';
import { Teardown } from './teardown';
import { warmUp } from './throughput-scenario';

const runs = Number(process.env.WAL_RUNS ?? 2000);
const warmup = Number(process.env.WAL_WARMUP ?? 2000);
const concurrency = Number(process.env.WAL_CONCURRENCY ?? 4);
const log = (line: string): void => {
  process.stderr.write(`[wal-breakdown] ${line}\n`);
};

async function main(): Promise<void> {
  const teardown = new Teardown();
  teardown.installSignalHandlers();
  try {
    const stack = await startBenchStack(teardown, log);
    await buildApps(REPO_ROOT, join(stack.dir, 'build'));
    const runtime = AppRuntime.compiled(join(stack.dir, 'build'));
    const db = await BenchDatabase.connect(stack.databaseUrl);
    teardown.add('observer connection', () => db.close());
    await db.query('CREATE EXTENSION IF NOT EXISTS pg_walinspect');
    const pipeline = new SwitchboardPipeline(stack, teardown, new StepMarks(stack.marksDir), runtime);
    const running = await pipeline.start(concurrency);
    await pipeline.prepare(running, [{ label: 'warm', kind: 'trivial' }, { label: 'measured', kind: 'trivial' }]);
    // Fires the runs (8 in flight) and waits until PostgreSQL shows them all terminal.
    const fire = (label: string, count: number): Promise<void> =>
      warmUp(pipeline, running, db, { batch: pipeline.batch(label), count, inflight: 8, pollMs: 100 });
    await fire('warm', warmup);
    await db.query('CHECKPOINT');
    const [{ lsn: start }] = await db.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    await fire('measured', runs);
    // Every run has ended; the sealers (once a second in each process) link the last events in this time.
    await new Promise((r) => setTimeout(r, 1500));
    const [{ lsn: end }] = await db.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    await running.stop();
    const rows = await db.query<Record<string, string>>(
      `SELECT "resource_manager/record_type" AS kind, count, round(count::numeric / $3, 2) AS per_exec,
              round(record_size::numeric / $3) AS rec_bytes, round(fpi_size::numeric / $3) AS fpi_bytes,
              round(combined_size::numeric / $3) AS bytes_per_exec
         FROM pg_get_wal_stats($1::pg_lsn, $2::pg_lsn, true) WHERE count > 0 ORDER BY combined_size DESC`,
      [start, end, runs]);
    const total = await db.query<Record<string, string>>(
      `SELECT round(sum(count)::numeric / $3, 1) AS records_per_exec, round(sum(combined_size)::numeric / $3) AS bytes_per_exec,
              round(sum(fpi_size)::numeric / $3) AS fpi_bytes_per_exec
         FROM pg_get_wal_stats($1::pg_lsn, $2::pg_lsn, true)`,
      [start, end, runs]);
    console.log(`WAL of ${runs} trivial executions at worker concurrency ${concurrency} (after ${warmup} warm-up runs): ${JSON.stringify(total[0])}`);
    console.log('\nBy record type, per execution');
    console.table(rows);
    const blocks = await db.query<Record<string, string>>(
      `SELECT c.relname, count(*) AS records, round(count(*)::numeric / $3, 2) AS per_exec, count(*) FILTER (WHERE b.block_fpi_length > 0) AS fpis
         FROM pg_get_wal_block_info($1::pg_lsn, $2::pg_lsn) b LEFT JOIN pg_class c ON c.relfilenode = b.relfilenode
        GROUP BY c.relname ORDER BY count(*) DESC`,
      [start, end, runs]);
    console.log('\nBlock references by relation (a record can reference several blocks)');
    console.table(blocks);
    const vacuums = await db.query<Record<string, string>>(
      `SELECT relname, autovacuum_count, round(total_autovacuum_time::numeric) AS autovacuum_ms, autoanalyze_count,
              round(total_autoanalyze_time::numeric) AS autoanalyze_ms, n_tup_ins, n_tup_upd, n_tup_hot_upd
         FROM pg_stat_user_tables WHERE autovacuum_count + autoanalyze_count > 0 OR n_tup_ins > 1000 ORDER BY relname`);
    console.log('\nTables (autovacuum in the run, rows written)');
    console.table(vacuums);
  } finally {
    await teardown.runAll();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
