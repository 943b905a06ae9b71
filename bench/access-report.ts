import type { LoadResult } from './access-load';
import type { ProfileSummary } from './access-profile';
import type { StatementWindow } from './access-statements';
import type { CallerPlan, TokenUseAudit, TouchStampede, Visibility } from './access-verify';

export interface LatencyEntry {
  name: string;
  path: string;
  result: LoadResult;
  statements: StatementWindow;
  /** Machine busy share just before the scenario started (other work on a shared machine). */
  machineBusyBefore: number;
}

export interface ThroughputEntry {
  name: string;
  path: string;
  connections: number;
  apiProcesses: number;
  result: LoadResult;
  /** Every response received, warm-up included (what the CPU and statement counts are divided by). */
  completedTotal: number;
  /** CPU milliseconds per request by process, warm-up included. */
  cpuMsPerRequest: Record<string, number>;
  /** Share of the whole machine (all cores) each process used, 0–1. */
  cpuShare: Record<string, number>;
  machineBusy: number;
  machineBusyBefore: number;
  /**
   * Requests/s the cores could serve if nothing else ran: cores × 1000 / CPU ms per request of the
   * api(s), PostgreSQL, Redis and the load generator. Less sensitive to other work than req/s.
   */
  capacityPerSecond: number;
  /** cores × 1000 / the api's CPU ms per request: the rate on 2 cores given to api processes alone, PostgreSQL elsewhere. */
  apiOnlyCapacityPerSecond: number;
  statements: StatementWindow;
}

/** One variant of the api (a setting, a run-time stand-in of a suggested change, another version), measured like the rest. */
export interface WhatIfEntry {
  patches: string;
  /** The best round per scenario, with the req/s of every round. */
  runs: Array<ThroughputEntry & { roundsPerSecond: number[] }>;
}

export interface AccessBenchResult {
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; postgres: string; redis: string; loadAverageAtStart: number[] };
  settings: { seconds: number; warmupSeconds: number; latencyRequests: number; latencyWarmup: number; connections: number[]; bulk: number; projects: number; profile: boolean; runtime: string };
  wallTimeSeconds: number;
  catalog: { total: number; projects: number; viewerVisible: number };
  visibility: Visibility;
  plans: CallerPlan[];
  latency: LatencyEntry[];
  throughput: ThroughputEntry[];
  profile: (ProfileSummary & { scenario: string; seconds: number; perSecond: number }) | null;
  whatIf: WhatIfEntry[] | null;
  tokenUse: TokenUseAudit[];
  stampedes: TouchStampede[];
  /** Bytes the api processes printed over the whole run: request logging is off at SWITCHBOARD_LOG_LEVEL=silent. */
  apiOutputBytes: number;
  targets: {
    oneVisible: boolean;
    planUsesIndex: boolean;
    listP95Ms: number;
    listP95Ok: boolean;
    bestTokenPerSecond: number;
    bestTokenScenario: string;
    bestSingleProcessTokenPerSecond: number;
    /** The best token scenario's capacity/s (its rate if nothing else had run on the machine). */
    bestTokenCapacity: number;
    bestTokenApiOnlyCapacity: number;
    rbacOk: boolean;
  };
}

function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? String(c) : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

const pass = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
const clip = (text: string, width: number): string => (text.length > width ? `${text.slice(0, width - 1)}…` : text);
const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(2) : '-');

export function formatAccessReport(r: AccessBenchResult): string {
  const out: string[] = [];
  const m = r.machine;
  const t = r.targets;
  out.push(`Switchboard access-controlled catalog benchmark — ${m.cpus} × ${m.cpuModel}, ${m.memoryGb} GB, node ${m.node}, ${m.postgres}, Redis ${m.redis}; load average at start ${m.loadAverageAtStart.join(' ')}`);
  out.push(`api: ${r.settings.runtime}; load generator, api, PostgreSQL and Redis all share these ${m.cpus} cores; wall time ${r.wallTimeSeconds} s`);
  out.push('');
  const v = r.visibility;
  out.push(`Catalog: ${r.catalog.total} procedures in ${r.catalog.projects} projects (1 created through the API, ${r.settings.bulk} by SQL, then ANALYZE)`);
  out.push(`  runner (bound to one procedure) sees ${v.runner.items}; admin pages through ${v.admin.total} (${v.admin.pages} pages of ≤500; first page ${v.admin.firstPage} + cursor); ` +
    `viewer of one project pages through ${v.viewer.total} of ${r.catalog.viewerVisible}, only its project: ${String(v.viewer.onlyItsProject)}`);
  for (const problem of v.problems) out.push(`  PROBLEM: ${problem}`);
  out.push('');
  out.push('Targets (issue "Access control with CASL")');
  out.push(table(['target', 'measured', 'verdict'], [
    ['10,000 procedures, 1 visible: the list returns that 1', `${v.runner.items} returned`, pass(t.oneVisible)],
    ['... and its query plan uses the filter (index)', r.plans.find((p) => p.caller.startsWith('runner'))?.summary.procedureScans.map((s) => `${s.nodeType}${s.index ? ` using ${s.index}` : ''}`).join(', ') ?? '-', pass(t.planUsesIndex)],
    ['GET /api/v1/procedures p95 ≤ 20 ms (sequential, every caller)', `worst p95 ${ms(t.listP95Ms)} ms`, pass(t.listP95Ok)],
    ['token + RBAC ≥ 3,000 requests/s on 2 cores', `${t.bestTokenPerSecond}/s (${t.bestTokenScenario}); capacity ${t.bestTokenCapacity}/s; api-only ${t.bestTokenApiOnlyCapacity}/s`, pass(t.rbacOk)],
  ]));
  out.push('');
  out.push('Latency, sequential requests on one keep-alive connection (ms, request written → last byte read)');
  out.push(table(['scenario', 'requests', 'p50', 'p95', 'p99', 'max', 'mean', 'errors', 'bytes', 'stmts/req', 'DB ms/req'], r.latency.map((e) => [
    e.name, e.result.requests, ms(e.result.latency.p50), ms(e.result.latency.p95), ms(e.result.latency.p99), ms(e.result.latency.max), ms(e.result.latency.mean),
    e.result.errors, e.result.bodyBytes.max, e.statements.statementsPerRequest, e.statements.dbMsPerRequest,
  ])));
  out.push('');
  const ceiling = r.throughput.find((e) => e.path === '/health/live')?.result.perSecond;
  out.push(`Throughput, keep-alive, ${r.settings.seconds} s measured after ${r.settings.warmupSeconds} s warm-up per scenario`);
  out.push(table(['scenario', 'conns', 'apis', 'req/s', 'vs live', 'p50', 'p95', 'p99', 'errors', 'stmts/req', 'DB ms/req', 'writes', 'CPU ms/req: api', 'pg', 'loadgen', 'capacity/s', 'api-only/s', 'machine busy', 'not ours'], r.throughput.map((e) => [
    e.name, e.connections, e.apiProcesses, e.result.perSecond, ceiling ? `${Math.round((e.result.perSecond / ceiling) * 100)}%` : '-',
    ms(e.result.latency.p50), ms(e.result.latency.p95), ms(e.result.latency.p99), e.result.errors,
    e.statements.statementsPerRequest, e.statements.dbMsPerRequest, e.statements.writes > 0 ? `${e.statements.writes} × ${Math.round(e.statements.writeMeanMs)} ms` : 0,
    ((e.cpuMsPerRequest.api ?? 0) + (e.cpuMsPerRequest['api 2'] ?? 0)).toFixed(3), (e.cpuMsPerRequest.postgres ?? 0).toFixed(3),
    (e.cpuMsPerRequest['load generator'] ?? 0).toFixed(3), e.capacityPerSecond, e.apiOnlyCapacityPerSecond, `${Math.round(e.machineBusy * 100)}%`, `${Math.round((e.cpuShare.other ?? 0) * 100)}%`,
  ])));
  out.push('(CPU ms per request from /proc over the whole run, warm-up included; "machine busy": share of all cores in use; "not ours": share of all cores');
  out.push(' busy outside the api, PostgreSQL, Redis and the load generator — kernel work such as loopback TCP, or other jobs on a shared machine;');
  out.push(' "capacity/s": cores × 1000 / CPU ms per request of api + PostgreSQL + Redis + load generator, the rate if nothing else ran;');
  out.push(' "api-only/s": cores × 1000 / the api\'s CPU ms per request, the rate if 2 cores ran api processes only and PostgreSQL had its own;');
  out.push(' "writes": INSERT/UPDATE/DELETE statements this read-only load caused, × their mean duration, lock waits included)');
  const disturbed = r.throughput.filter((e) => (e.cpuShare.other ?? 0) > 0.1);
  if (disturbed.length > 0) out.push(`WARNING: other work took over 10% of the machine during ${disturbed.map((e) => `"${e.name}" c=${e.connections}`).join(', ')}; req/s there are low.`);
  for (const e of r.throughput) {
    if (e.result.errors > 0) out.push(`ERRORS in ${e.name}: ${e.result.errors} (${e.result.errorSamples.join('; ')})`);
  }
  out.push('');
  out.push('Query plans of the catalog query (auto_explain: EXPLAIN ANALYZE, BUFFERS of what the api ran, warm request)');
  for (const plan of r.plans) {
    const s = plan.summary;
    out.push(`${plan.caller}: ${s.rows} rows returned, shared buffers hit=${s.sharedHit} read=${s.sharedRead}, executed in ${plan.listQuery.durationMs} ms; ` +
      `ACL filter through an index: ${s.filterUsesIndex ? 'yes' : 'no'}; ${s.procedureScans.map((p) => `procedures rows out ${p.rowsOut}, removed by filter ${p.rowsRemovedByFilter}`).join('; ')}`);
    for (const line of plan.planText) out.push(`    ${line}`);
    out.push(`    SQL: ${plan.listQuery.query}`);
    if (plan.listQuery.parameters) out.push(`    parameters: ${clip(plan.listQuery.parameters, 300)}`);
    out.push('');
  }
  out.push('Statements one GET /api/v1/procedures runs (auto_explain log, in order; one round trip each)');
  for (const plan of r.plans) {
    out.push(`${plan.caller}, cold (grant and token caches emptied): ${plan.coldStatements.length}`);
    plan.coldStatements.forEach((s, i) => out.push(`    ${i + 1}. ${clip(s.query, 150)}  [${s.durationMs} ms]`));
    out.push(`${plan.caller}, warm (steady state): ${plan.warmStatements.length}`);
    plan.warmStatements.forEach((s, i) => out.push(`    ${i + 1}. ${clip(s.query, 150)}  [${s.durationMs} ms]`));
  }
  const reference = r.latency.find((e) => e.name.startsWith('runner token'));
  if (reference) {
    out.push('');
    out.push(`pg_stat_statements over the ${reference.name} latency run (${reference.statements.requests} requests, warm-up included)`);
    out.push(table(['per request', 'mean ms', 'rows/call', 'statement'], reference.statements.statements.slice(0, 10).map((s) => [s.perRequest, s.meanMs, s.rowsPerCall, clip(s.query, 120)])));
  }
  if (r.stampedes.length > 0) {
    out.push('');
    out.push('The once-a-minute touch under concurrency (8 s of load; after 1 s the credential is made due, as it is every minute)');
    out.push(table(['credential', 'conns', 'UPDATEs (expected 1)', 'mean UPDATE ms', 'token.used events (expected ≤1)', 'p50', 'p99', 'max', 'req/s'], r.stampedes.map((t) => [
      t.caller, t.connections, t.touches, t.touchMeanMs, t.auditEvents, ms(t.latency.p50), ms(t.latency.p99), ms(t.latency.max), t.perSecond,
    ])));
  }
  if (r.tokenUse.length > 0) {
    out.push('');
    out.push('token.used audit events per token over the whole run (rule: at most once a minute per token)');
    out.push(table(['token', 'events', 'span s', 'allowed', 'verdict'], r.tokenUse.map((t) => [t.token, t.events, t.spanSeconds, t.allowed, t.events <= t.allowed ? 'ok' : 'EXCEEDED'])));
  }
  if (r.whatIf) {
    out.push('');
    out.push('What if (other settings, run-time stand-ins of suggested changes in bench/access-what-if-hook.ts, or a baseline checkout; same load, measured back to back)');
    out.push(table(['variant', 'scenario', 'conns', 'best req/s', 'rounds', 'p95', 'stmts/req', 'CPU ms/req: api', 'pg', 'capacity/s', 'api-only/s', 'not ours'], r.whatIf.flatMap((w) => w.runs.map((e) => [
      w.patches, e.name, e.connections, e.result.perSecond, e.roundsPerSecond.join(' / '), ms(e.result.latency.p95), e.statements.statementsPerRequest,
      (e.cpuMsPerRequest.api ?? 0).toFixed(3), (e.cpuMsPerRequest.postgres ?? 0).toFixed(3), e.capacityPerSecond, e.apiOnlyCapacityPerSecond, `${Math.round((e.cpuShare.other ?? 0) * 100)}%`,
    ]))));
  }
  if (r.profile) {
    const p = r.profile;
    out.push('');
    out.push(`CPU profile of the api process during "${p.scenario}" (${p.seconds} s, ${p.perSecond} req/s while profiled): busy ${p.busyMs} ms, idle ${p.idleMs} ms of its main thread`);
    out.push(table(['where the busy time went (each sample once, first matching rule)', 'ms', 'share'], p.byActivity.map((e) => [e.name, e.ms, `${(e.share * 100).toFixed(1)}%`])));
    out.push('');
    out.push(table(['self time by origin', 'ms', 'share'], p.byOrigin.map((e) => [e.name, e.ms, `${(e.share * 100).toFixed(1)}%`])));
    out.push('');
    out.push(table(['top functions by self time', 'ms', 'share'], p.topSelf.map((e) => [clip(e.name, 110), e.ms, `${(e.share * 100).toFixed(1)}%`])));
    out.push('');
    out.push(table(["Switchboard's code by inclusive time (synchronous part)", 'ms', 'share'], p.topInclusiveOwn.map((e) => [clip(e.name, 110), e.ms, `${(e.share * 100).toFixed(1)}%`])));
  }
  out.push('');
  out.push(`api output over the whole run: ${r.apiOutputBytes} bytes (request logging is off at SWITCHBOARD_LOG_LEVEL=silent)`);
  return out.join('\n');
}
