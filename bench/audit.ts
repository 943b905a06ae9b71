/**
 * `npm run bench:audit`: what the audit log costs. The overhead an audit event adds to a
 * transaction (alone and with concurrent writers queueing on the chain head), filtered page
 * latency through the api over a year of events (10 M by default), export rate and api memory,
 * verify throughput, and candidate fixes for whatever misses its target, tried in plain SQL.
 * Starts and removes its own PostgreSQL, Redis and api; see bench/AUDIT.md.
 */
import 'reflect-metadata';
import { cpus, loadavg, totalmem } from 'node:os';
import { Client } from 'pg';
import { createDataSource } from '@switchboard/platform';
import { startAuditApi } from './audit-api';
import { type BulkLoadResult, bulkLoadAuditEvents } from './audit-bulk-load';
import { measureExport, measureVerify } from './audit-export';
import { type FixTrial, tryFixes } from './audit-fixes';
import { measureInsertOverhead } from './audit-insert';
import { filterCases } from './audit-query-cases';
import { explainMisses, type FilterResult, type PlanCapture, type SampleBudget, TARGET_P95_MS, measureFilters } from './audit-query-latency';
import { startAuditBenchStack } from './audit-stack';
import { formatNumber, megabytes, table } from './audit-stats';
import { Teardown } from './teardown';

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return value;
}

const settings = {
  events: Math.max(10_000, intFromEnv('AUDIT_BENCH_EVENTS', 10_000_000)),
  chained: intFromEnv('AUDIT_BENCH_CHAINED', 1_000_000),
  exportEvents: intFromEnv('AUDIT_BENCH_EXPORT', 1_000_000),
  pairs: Math.max(10, intFromEnv('AUDIT_BENCH_PAIRS', 2_000)),
  writers: Math.max(1, intFromEnv('AUDIT_BENCH_WRITERS', 8)),
  concurrentMs: Math.max(1, intFromEnv('AUDIT_BENCH_CONCURRENT_S', 10)) * 1000,
  budget: {
    max: Math.max(1, intFromEnv('AUDIT_BENCH_SAMPLES', 100)),
    min: Math.max(1, intFromEnv('AUDIT_BENCH_MIN_SAMPLES', 10)),
    budgetMs: intFromEnv('AUDIT_BENCH_BUDGET_S', 10) * 1000,
  } satisfies SampleBudget,
};

const benchStartedAt = Date.now();
/** The 1-minute load average as each phase began: this machine may be shared with other work. */
const machineLoad: Record<string, number> = {};
const markPhase = (phase: string): void => {
  machineLoad[phase] = Math.round(loadavg()[0] * 100) / 100;
};
const log = (line: string): void => {
  process.stderr.write(`[audit bench ${((Date.now() - benchStartedAt) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
};

/** p50, p95, p99, n and the verdict; a miss says how long its SQL alone took (EXPLAIN ANALYZE). */
const pageCells = (page: FilterResult['first'] | null, plan: PlanCapture | undefined): Array<string | number> => {
  if (!page) return ['-', '-', '-', '-', 'n/a'];
  const verdict = page.meetsTarget ? 'met' : `MISSED (SQL ${plan ? formatNumber(plan.executionMs) : '?'} ms)`;
  return [page.latency.p50, page.latency.p95, page.latency.p99, page.latency.n, verdict];
};

async function main(): Promise<void> {
  const teardown = new Teardown();
  teardown.installSignalHandlers();
  const closers: Array<() => Promise<void>> = [];
  try {
    markPhase('start');
    let load!: BulkLoadResult;
    const stack = await startAuditBenchStack(teardown, log, async (databaseUrl) => {
      markPhase('load');
      load = await bulkLoadAuditEvents(databaseUrl, { events: settings.events, chained: settings.chained, log });
    });
    log(`loaded in ${(load.totalMs / 1000).toFixed(0)} s; measuring the insert overhead`);
    markPhase('insert');
    const insert = await measureInsertOverhead(stack.databaseUrl, { pairs: settings.pairs, writers: settings.writers, concurrentMs: settings.concurrentMs, log });

    log('starting the api');
    const { app, client } = await startAuditApi(stack, teardown);
    const dataSource = await createDataSource({ url: stack.databaseUrl, poolSize: 2, applicationName: 'audit-bench-queries' }).initialize();
    closers.push(() => dataSource.destroy());
    const pg = new Client({ connectionString: stack.databaseUrl, application_name: 'audit-bench-explain' });
    await pg.connect();
    closers.push(() => pg.end());
    const [server] = (await pg.query(`SELECT version() AS version, current_setting('shared_buffers') AS shared_buffers, current_setting('work_mem') AS work_mem`)).rows as Array<Record<string, string>>;

    const cases = await filterCases(dataSource, load);
    log(`timing ${cases.length} filters × (first page, deep page) through the api`);
    markPhase('queries');
    const queries = await measureFilters(client, dataSource, cases, settings.budget, log);
    const plans = await explainMisses(pg, queries);

    // The most recent `exportEvents` events: an auditor's "export the last weeks".
    const exportSeq = (BigInt(load.lastSeq) - BigInt(Math.min(settings.exportEvents, settings.events)) + 1n).toString();
    const [exportFrom] = (await pg.query(`SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at FROM audit_events WHERE seq = $1`, [exportSeq])).rows as Array<{ at: string }>;
    const exportQuery = { from: exportFrom.at, to: new Date(Date.parse(load.lastOccurredAt) + 1).toISOString() };
    log(`exporting ${settings.exportEvents.toLocaleString('en')} events as JSON Lines and as CSV`);
    markPhase('export');
    const exports = [await measureExport(client, app.pid, 'jsonl', exportQuery), await measureExport(client, app.pid, 'csv', exportQuery)];
    log(`verifying the ${load.chainedEvents.toLocaleString('en')} chained events`);
    const verify = await measureVerify(client, app.pid, { to: load.chainedTo });

    log('trying fixes for the misses in plain SQL');
    markPhase('fixes');
    const fixes: FixTrial[] = await tryFixes({
      pg, client, results: queries, plans, budget: settings.budget, exportQuery, exportLabel: `export of the last ${settings.exportEvents.toLocaleString('en')} events`, verifyTo: load.chainedTo, log,
    });

    markPhase('end');
    const indexMb = Object.values(load.indexBytes).reduce((a, b) => a + b, 0);
    const out: string[] = [];
    out.push(`\nAudit log benchmark — ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${megabytes(totalmem()) / 1024 | 0} GB RAM; ${server.version.split(' on ')[0]}, shared_buffers ${server.shared_buffers}, work_mem ${server.work_mem}; fsync on`);
    out.push(`1-minute load average as each phase began (2 cores = 2.0 is a busy machine): ${Object.entries(machineLoad).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    out.push(`\nData: ${load.events.toLocaleString('en')} events over a year (${load.firstOccurredAt} … ${load.lastOccurredAt}), ${load.chainedEvents.toLocaleString('en')} of them hash-chained for real`);
    out.push(table(['load step', 'seconds'], [
      ['insert (2 generating sessions + the chained part)', load.insertMs / 1000],
      ...Object.entries(load.indexMs).map(([name, ms]): [string, number] => [`CREATE ${name}`, ms / 1000]),
      ['VACUUM (ANALYZE)', load.vacuumAnalyzeMs / 1000],
      ['CHECKPOINT + sync after restoring durability', load.flushMs / 1000],
      ['total', load.totalMs / 1000],
    ]));
    out.push('');
    out.push(table(['relation', 'MB'], [
      ['audit_events (heap)', megabytes(load.tableBytes)],
      ...Object.entries(load.indexBytes).map(([name, bytes]): [string, number] => [name, megabytes(bytes)]),
      ['all indexes', megabytes(indexMb)],
    ]));
    out.push(`average row ${load.avgRowBytes} bytes`);

    const s = insert.sequential;
    out.push(`\nInsert overhead (AuditWriter.record inside a one-UPDATE transaction; durable commits; target ≤ 1 ms added)`);
    out.push(table(['sequential, ms', 'p50', 'p95', 'p99', 'mean', 'n'], [
      ['transaction without the event', s.baseline.p50, s.baseline.p95, s.baseline.p99, s.baseline.mean, s.baseline.n],
      ['transaction with the event', s.audited.p50, s.audited.p95, s.audited.p99, s.audited.mean, s.audited.n],
      ['  INSERT event … RETURNING seq', s.insertStatement.p50, s.insertStatement.p95, s.insertStatement.p99, s.insertStatement.mean, s.insertStatement.n],
      ['  COMMIT without / with', `${s.commitBaseline.p50} / ${s.commitAudited.p50}`, `${s.commitBaseline.p95} / ${s.commitAudited.p95}`, `${s.commitBaseline.p99} / ${s.commitAudited.p99}`, `${s.commitBaseline.mean} / ${s.commitAudited.mean}`, s.audited.n],
    ]));
    out.push(`added by the event: p50 ${s.addedP50} ms, p99 ${s.addedP99} ms, mean ${s.addedMean} ms (${s.addedP50 <= 1 ? 'met' : 'MISSED'}); hashEvent alone ${insert.hashMicros} µs`);
    const c = insert.concurrent;
    out.push(table([`${c.writers} concurrent writers`, 'tx/s', 'p50 ms', 'p95 ms', 'p99 ms'], [
      ['without the event', c.baseline.perSecond, c.baseline.latency.p50, c.baseline.latency.p95, c.baseline.latency.p99],
      ['with the event', c.audited.perSecond, c.audited.latency.p50, c.audited.latency.p95, c.audited.latency.p99],
    ]));
    const seal = insert.sealing;
    out.push(`sealing (background sealer every ${seal.intervalMs} ms during the audited run): commit → sealed p50 ${seal.lag.p50} ms, p99 ${seal.lag.p99} ms, max ${seal.lag.max} ms over ${seal.lag.n} events; ${seal.pendingAfterRun} unsealed when the writers stopped, drained in ${seal.drainMs} ms`);
    out.push(`added latency with ${c.writers} writers: p50 ${c.addedP50} ms, p99 ${c.addedP99} ms; audited throughput ${Math.round((c.audited.perSecond / c.baseline.perSecond) * 100)} % of the same transactions without the event`);

    out.push(`\nFiltered pages through GET /api/v1/audit-events (limit ${50}; deep = cursor 100 pages back, or mid-matches; target p95 ≤ ${TARGET_P95_MS} ms)`);
    out.push(table(['filter', 'matches', 'first p50', 'p95', 'p99', 'n', '', 'deep p50', 'p95', 'p99', 'n', ''], queries.map((q) => {
      const planOf = (position: 'first' | 'deep'): PlanCapture | undefined => plans.find((p) => p.filter === q.name && p.position === position);
      return [q.name, q.matches, ...pageCells(q.first, planOf('first')), ...pageCells(q.deep, planOf('deep'))];
    })));

    out.push(`\nExport and verify (api child process RSS sampled every 50 ms)`);
    out.push(table(['', 'events', 'seconds', 'first byte s', 'events/s', 'MB', 'MB/s', 'idle RSS MB', 'peak RSS MB'], [
      ...exports.map((e) => [`export ${e.format}`, e.events, e.ms / 1000, e.firstByteMs / 1000, e.eventsPerSecond, e.megabytes, e.megabytesPerSecond, e.idleRssMb, e.peakRssMb]),
      [`verify (ok=${verify.check.ok})`, verify.check.checked, verify.ms / 1000, '-', verify.eventsPerSecond, '-', '-', '-', verify.peakRssMb],
    ]));
    out.push(`export range ${exportQuery.from} … ${exportQuery.to}; verify range to=${load.chainedTo}${verify.check.ok ? '' : ` (first break: seq ${verify.check.firstBrokenSeq}, ${verify.check.reason})`}`);
    // Flat across the tenths means memory does not depend on how many events were exported so far.
    out.push(`\napi memory during each export, MB (its /metrics every 500 ms: before, then the highest in each tenth of the export)`);
    const memoryRows = (e: (typeof exports)[number]): Array<Array<string | number>> =>
      (['heapUsedMb', 'oldSpaceMb', 'externalMb', 'rssMb'] as const).map((key) => [
        `${e.format} ${{ heapUsedMb: 'heap used', oldSpaceMb: 'old space', externalMb: 'external', rssMb: 'RSS' }[key]}`,
        e.memory.idle?.[key] ?? '-',
        ...e.memory.tenths.map((sample) => sample?.[key] ?? '-'),
      ]);
    out.push(table(['', 'before', ...Array.from({ length: 10 }, (_, i) => `${(i + 1) * 10} %`)], exports.flatMap(memoryRows)));

    out.push(`\nCandidate fixes, tried in plain SQL on this database (product code unchanged; wall ms through a pg connection)`);
    out.push(table(['fix', 'filter', 'page', 'before p50', 'p95', 'after p50', 'p95', 'api after p95', 'same rows'], fixes.map((f) => [
      f.fix, f.filter, f.position, f.before.p50, f.before.p95, f.after.p50, f.after.p95, f.httpAfter ? formatNumber(f.httpAfter.p95) : '-', f.sameRows ? 'yes' : 'NO',
    ])));

    out.push(`\nPlans of the pages that missed the target (EXPLAIN (ANALYZE, BUFFERS) of the api's SQL)`);
    for (const plan of plans) out.push(`\n### ${plan.filter} — ${plan.position} page (${plan.executionMs} ms)\n-- params: ${JSON.stringify(plan.params)}\n${plan.plan}`);
    out.push(`\nPlans after the fixes`);
    for (const fix of fixes) out.push(`\n### ${fix.fix} — ${fix.filter} (${fix.position})\n${fix.afterPlan}`);
    process.stdout.write(`${out.join('\n')}\n`);

    const json = {
      settings: { ...settings, cores: cpus().length, machineLoad, postgres: server.version.split(' on ')[0], sharedBuffers: server.shared_buffers },
      load: { ...load },
      insert,
      queries,
      exports,
      verify,
      fixes: fixes.map(({ afterPlan: _plan, afterSql: _sql, ...rest }) => rest),
      plans: plans.map((p) => ({ filter: p.filter, position: p.position, executionMs: p.executionMs })),
    };
    process.stdout.write(`BENCH_JSON ${JSON.stringify(json)}\n`);
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    log('stopping everything the benchmark started');
    await teardown.runAll();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`audit bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
