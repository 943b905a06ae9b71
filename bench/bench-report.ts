import type { StatementStat } from './bench-database';
import type { PerExecutionCounts } from './commit-bracket';
import type { LatencyResult } from './latency-scenario';
import type { MaintenanceSummary } from './maintenance';
import type { LatencySummary } from './latency-summary';
import type { ThroughputResult } from './throughput-scenario';

export interface ThroughputEntry extends ThroughputResult {
  /** 1, or which of BENCH_ROUNDS turns this was. */
  round: number;
  perExecution: PerExecutionCounts;
  /** Statements of the whole bracket divided by the executions in it (warm-up included). */
  statements: Array<StatementStat & { callsPerExecution: number }>;
}

export interface BenchResult {
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; platform: string; postgres: string; redis: string; loadAverageAtStart: number[] };
  settings: { runs: number; latencyRuns: number; warmup: number; inflight: number; pollMs: number; rounds: number; concurrencies: number[]; runtime: string; processes: string };
  wallTimeSeconds: number;
  latency: { switchboard: LatencyResult; bare: LatencyResult; ratio: { p50: number; p99: number; dbP50: number; dbP99: number; p50MedianOfRounds: number } };
  throughput: { switchboard: ThroughputEntry[]; bare: ThroughputEntry[]; ratio: Record<string, number> };
  baselines: { switchboard: PerExecutionCounts & { seconds: number }; bare: PerExecutionCounts & { seconds: number } };
  /** The VACUUM ANALYZE before every measured window, by pipeline (bench/maintenance.ts). */
  maintenance: Record<string, MaintenanceSummary>;
}

const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;

export function ratioOf(ours: number, bare: number): number {
  return ratio(ours, bare);
}

function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? String(c) : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

const fmt = (s: LatencySummary): Array<string | number> => [s.p50, s.p90, s.p99, s.mean, s.max];

/** The human-readable report: the figures, then ours/bare ratios, then where an execution's cost goes. */
export function formatReport(r: BenchResult): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(`Switchboard execution engine benchmark — ${m.cpus} × ${m.cpuModel}, ${m.memoryGb} GB, node ${m.node}, ${m.postgres}, Redis ${m.redis}; load average at start ${m.loadAverageAtStart.join(' ')}`);
  out.push(`N=${r.settings.runs} per throughput run (+${r.settings.warmup} warm-up), ${r.settings.latencyRuns} sequential latency runs${r.settings.rounds > 1 ? ` per round (${r.settings.rounds} rounds)` : ''}, ` +
    `${r.settings.inflight} triggers in flight; ${r.settings.processes}; wall time ${r.wallTimeSeconds} s`);
  out.push('');
  out.push('Latency, ms (sequential runs)');
  const L = r.latency;
  out.push(table(['', 'p50', 'p90', 'p99', 'mean', 'max'], [
    ['switchboard trigger → step running', ...fmt(L.switchboard.triggerToRunning)],
    ['bare        trigger → step running', ...fmt(L.bare.triggerToRunning)],
    ['switchboard queued_at → started_at (DB)', ...fmt(L.switchboard.dbQueuedToStarted)],
    ['bare        queued_at → started_at (DB)', ...fmt(L.bare.dbQueuedToStarted)],
    ['switchboard trigger → accepted (HTTP 201)', ...fmt(L.switchboard.triggerToAccepted)],
    ['bare        trigger → accepted (Queue.add)', ...fmt(L.bare.triggerToAccepted)],
    ['switchboard started_at → step running', ...fmt(L.switchboard.startedToRunning)],
    ['bare        started_at → step running', ...fmt(L.bare.startedToRunning)],
    ['switchboard step running → finished_at', ...fmt(L.switchboard.runningToFinished)],
    ['bare        step running → finished_at', ...fmt(L.bare.runningToFinished)],
    ['switchboard trigger → end event', ...fmt(L.switchboard.triggerToEnd)],
    ['bare        trigger → end event', ...fmt(L.bare.triggerToEnd)],
  ]));
  for (const [name, result] of [['switchboard', L.switchboard], ['bare', L.bare]] as const) {
    if (result.foreignCpuShare > 0.1) out.push(`WARNING: during the ${name} latency runs, ${Math.round(result.foreignCpuShare * 100)}% of the machine's CPU went to other work; those figures are disturbed.`);
  }
  out.push(`ratio switchboard/bare, trigger → step running: p50 ${L.ratio.p50}×, p99 ${L.ratio.p99}×; queued_at → started_at: p50 ${L.ratio.dbP50}×, p99 ${L.ratio.dbP99}×`);
  if (r.settings.rounds > 1) {
    out.push(`trigger → step running p50 by round: switchboard ${L.switchboard.p50ByRound.join(' / ')} ms, bare ${L.bare.p50ByRound.join(' / ')} ms; ` +
      `median of the rounds' ratios ${L.ratio.p50MedianOfRounds}× (the table pools the ${r.settings.rounds} rounds' runs)`);
  }
  for (const [name, result] of [['switchboard', L.switchboard], ['bare', L.bare]] as const) {
    if (!result.hops) continue;
    const sumOfP50 = Math.round(result.hops.reduce((sum, h) => sum + h.summary.p50, 0) * 100) / 100;
    out.push('');
    out.push(`Where ${name}'s trigger → step running goes, hop by hop (BENCH_HOPS=1, ${result.hops[0]?.summary.count ?? 0} runs; sum of the p50s ${sumOfP50} ms)`);
    out.push(table(['', 'p50', 'p90', 'mean'], result.hops.map((h) => [h.stretch, h.summary.p50, h.summary.p90, h.summary.mean])));
  }
  out.push('');
  out.push('Throughput of trivial executions (one bash step `true`)');
  const T = r.throughput;
  const rounds = r.settings.rounds > 1;
  // "c=16", or "c=16 #2" for the second of several rounds.
  const label = (e: ThroughputEntry): string => `c=${e.concurrency}${rounds ? ` #${e.round}` : ''}`;
  const rows: Array<Array<string | number>> = [];
  for (const entry of T.switchboard) {
    const bare = T.bare.find((b) => b.concurrency === entry.concurrency && b.round === entry.round);
    rows.push([`concurrency ${entry.concurrency}${rounds ? ` #${entry.round}` : ''}`, entry.perSecond, bare?.perSecond ?? '-',
      bare ? ratioOf(entry.perSecond, bare.perSecond) : '-',
      entry.acceptedPerSecond, bare?.acceptedPerSecond ?? '-', entry.perSecondAfterAccepted ?? '-', bare?.perSecondAfterAccepted ?? '-', entry.perExecution.commits, bare?.perExecution.commits ?? '-',
      entry.perExecution.writeTransactions, bare?.perExecution.writeTransactions ?? '-', Math.round(entry.machineBusy * 100), bare ? Math.round(bare.machineBusy * 100) : '-',
      `${entry.succeeded}/${entry.executions}`]);
  }
  out.push(table(['', 'ours/s', 'bare/s', 'ours/bare', 'accepted/s', 'bare add/s', 'after/s', 'bare', 'commits/exec', 'bare', 'write tx/exec', 'bare', 'CPU% ours', 'bare', 'ok'], rows));
  out.push('(after/s: executions per second once the last trigger was accepted, when the producer no longer takes CPU from the workers)');
  if (rounds) out.push(`median ours/bare over ${r.settings.rounds} rounds: ${Object.entries(T.ratio).map(([c, v]) => `concurrency ${c} ${v}×`).join(', ')}`);
  out.push('');
  out.push('CPU ms per execution by process (throughput runs)');
  const components = [...new Set([...T.switchboard, ...T.bare].flatMap((e) => Object.keys(e.cpuMsPerExecution)))];
  const named: Array<[string, ThroughputEntry]> = [...T.switchboard.map((e): [string, ThroughputEntry] => ['switchboard', e]), ...T.bare.map((e): [string, ThroughputEntry] => ['bare', e])];
  out.push(table(['', ...components, 'total', 'peak RSS MB'], named.map(([name, entry]) => {
    const values = components.map((c) => entry.cpuMsPerExecution[c] ?? '-');
    const total = Object.values(entry.cpuMsPerExecution).reduce((a, b) => a + b, 0);
    const rss = Object.entries(entry.peakRssMb).map(([k, v]) => `${k} ${v}`).join(', ');
    return [`${name} ${label(entry)}`, ...values, Math.round(total * 100) / 100, rss];
  })));
  out.push('(other = machine busy time outside these processes: kernel threads and anything else running on the machine)');
  for (const [name, entry] of named) {
    if (entry.foreignCpuShare > 0.1) {
      out.push(`WARNING: during ${name} ${label(entry)}, ${Math.round(entry.foreignCpuShare * 100)}% of the machine's CPU went to other work; that figure is disturbed.`);
    }
  }
  out.push('');
  out.push('CPU ms per execution once every trigger was accepted (the executions alone), and what each trigger added');
  out.push(table(['', ...components, 'total', 'per trigger'], named.flatMap(([name, entry]) => {
    const after = entry.cpuMsPerExecutionAfterAccepted;
    if (!after) return [];
    const total = Object.values(after).reduce((a, b) => a + b, 0);
    return [[`${name} ${label(entry)}`, ...components.map((c) => after[c] ?? '-'), Math.round(total * 100) / 100, entry.triggerCpuMs ?? '-']];
  })));
  out.push('(per trigger: the run\'s CPU less its executions at the cost above, over its triggers: the producer, the trigger\'s writes, and what the rest lost to sharing the cores)');
  out.push('');
  out.push('The worker column split (throughput runs, CPU ms per execution): the worker\'s node process, its step launcher, and the steps it started');
  out.push(table(['', 'node', 'launcher', 'steps'], named.flatMap(([name, entry]) => {
    const parts = entry.cpuPartsPerExecution.worker;
    return parts ? [[`${name} ${label(entry)}`, parts.process, parts.helpers, parts.children]] : [];
  })));
  out.push('(the bare worker has no launcher: its node process forks every step itself, so the fork is in its node column)');
  const vacuumed = named.filter(([, entry]) => entry.autovacuum.length > 0);
  if (vacuumed.length > 0) {
    out.push('');
    out.push('Autovacuum in the measured windows (mean workers at each task, sampled every 50 ms; its CPU is in the postgres column above)');
    out.push(table(['', 'seconds', 'autovacuum'], vacuumed.map(([name, entry]) => [
      `${name} ${label(entry)}`, entry.seconds, entry.autovacuum.map((a) => `${a.task} ${a.meanWorkers}`).join('; '),
    ])));
  }
  out.push('');
  out.push('VACUUM ANALYZE of each pipeline\'s tables before every measured window, kept out of the windows (PostgreSQL CPU of the vacuuming backend)');
  out.push(table(['', 'runs', 'CPU ms', 'wall ms', 'CPU ms/run', 'costliest tables (CPU ms)'], Object.entries(r.maintenance).map(([name, m]) => [
    name, m.executions, m.cpuMs, m.wallMs, m.cpuMsPerExecution, m.byTable.map((t) => `${t.table} ${t.cpuMs}`).join(', '),
  ])));
  out.push('');
  out.push('PostgreSQL per execution (idle baseline subtracted; the vacuum before the window left out)');
  out.push(table(['', 'commits', 'write tx', 'WAL records', 'WAL bytes', 'WAL fsyncs'], named.map(([name, entry]) => {
    const p = entry.perExecution;
    return [`${name} ${label(entry)}`, p.commits, p.writeTransactions, p.walRecords, p.walBytes, p.walFsyncs ?? '-'];
  })));
  out.push('');
  out.push('Audit chain head (SELECT … FROM audit_chain_head FOR UPDATE): one global row lock, since the sealer taken only by the AuditSealer, once per sealed batch');
  out.push(table(['', 'locks/exec', 'mean wait ms', 'wait ms/exec'], T.switchboard.map((e) => {
    const lock = e.statements.find((st) => /audit_chain_head/.test(st.query) && /FOR UPDATE/i.test(st.query));
    return [`switchboard ${label(e)}`, lock?.callsPerExecution ?? '-', lock ? Math.round(lock.meanMs * 100) / 100 : '-', lock ? Math.round(lock.meanMs * lock.callsPerExecution * 10) / 10 : '-'];
  })));
  out.push('');
  const reference = T.switchboard.find((e) => e.concurrency === 4) ?? T.switchboard[0];
  if (reference) {
    out.push(`Statements per Switchboard execution (pg_stat_statements, concurrency ${reference.concurrency}; top 20 by calls)`);
    // plans/call: a prepared statement is planned for its first executions on each connection; near 1, it is planned on every call.
    out.push(table(['calls/exec', 'mean ms', 'plans/call', 'plan ms', 'statement'], reference.statements.slice(0, 20).map((s) => [
      s.callsPerExecution, Math.round(s.meanMs * 1000) / 1000, s.calls > 0 ? Math.round((s.plans / s.calls) * 100) / 100 : '-',
      s.plans > 0 ? Math.round((s.planMs / s.plans) * 1000) / 1000 : '-', s.query.slice(0, 100),
    ])));
    const total = reference.statements.reduce((a, s) => a + s.callsPerExecution, 0);
    out.push(`total: ${Math.round(total * 10) / 10} statements per execution (BEGIN/COMMIT included)`);
    out.push('');
    out.push(`PostgreSQL backends by state while Switchboard ran (mean count, concurrency ${reference.concurrency})`);
    out.push(table(['state', 'wait', 'mean backends'], reference.backendStates.slice(0, 8).map((w) => [w.state, w.wait, w.meanBackends])));
  }
  return out.join('\n');
}
