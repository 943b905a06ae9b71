/**
 * `npm run bench:access`: the access-controlled catalog (GET /api/v1/procedures) on a catalog of
 * 10,000 procedures — what each caller sees, the plan PostgreSQL runs for the ACL filter, the
 * statements per request, sequential latency, throughput with a token and RBAC, and where the
 * api's CPU goes. Starts and removes its own stack; see bench/ACCESS.md.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { findRedisServer, freePort } from '../scripts/local-stack';
import { ApiProcess } from './access-api';
import { LoadGenerator } from './access-load';
import { measureLatency, measureThroughput, QuietGate, type Scenario } from './access-measure';
import { summarizeProfile } from './access-profile';
import { type AccessBenchResult, formatAccessReport, type LatencyEntry, type ThroughputEntry, type WhatIfEntry } from './access-report';
import { seedCatalog } from './access-seed';
import type { AccessSession } from './access-session';
import { startAccessStack } from './access-stack';
import { OWN } from './access-statements';
import { measureWhatIf } from './access-what-if';
import { capturePlans, tokenUseAudit, touchStampede, type TouchStampede, verifyVisibility } from './access-verify';
import { Teardown } from './teardown';

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got ${JSON.stringify(raw)}`);
  return value;
}

const settings = {
  seconds: numberFromEnv('BENCH_ACCESS_SECONDS', 8),
  warmupSeconds: numberFromEnv('BENCH_ACCESS_WARMUP_SECONDS', 1),
  latencyRequests: Math.max(1, Math.round(numberFromEnv('BENCH_ACCESS_LATENCY_REQUESTS', 2_000))),
  latencyWarmup: Math.round(numberFromEnv('BENCH_ACCESS_LATENCY_WARMUP', 200)),
  connections: (process.env.BENCH_ACCESS_CONNECTIONS ?? '32,64').split(',').map((c) => Number(c.trim())).filter((c) => Number.isInteger(c) && c > 0),
  bulk: Math.round(numberFromEnv('BENCH_ACCESS_PROCEDURES', 10_000)),
  projects: Math.max(1, Math.round(numberFromEnv('BENCH_ACCESS_PROJECTS', 20))),
  profile: process.env.BENCH_ACCESS_PROFILE !== '0',
  whatIf: process.env.BENCH_ACCESS_WHAT_IF === '1',
  whatIfSeconds: numberFromEnv('BENCH_ACCESS_WHAT_IF_SECONDS', 5),
  whatIfRounds: Math.max(1, Math.round(numberFromEnv('BENCH_ACCESS_WHAT_IF_ROUNDS', 2))),
  quietBudgetSeconds: numberFromEnv('BENCH_ACCESS_QUIET_BUDGET_SECONDS', 40),
  runtime: 'node -r @swc-node/register apps/api/src/main.ts (TypeScript sources, as the brief and `npm run dev` start it)',
};
const PROFILE_SECONDS = 5;
const LIST = '/api/v1/procedures';

const startedAt = Date.now();
const loadAtStart = loadavg().map((l) => Math.round(l * 100) / 100);
const log = (line: string): void => {
  process.stderr.write(`[bench:access ${((Date.now() - startedAt) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
};

async function main(): Promise<void> {
  const teardown = new Teardown();
  teardown.installSignalHandlers();
  try {
    const stack = await startAccessStack(teardown, log);
    const db = new Client({ connectionString: stack.databaseUrl, application_name: 'bench-access-observer' });
    db.on('error', () => undefined); // PostgreSQL stopping under a Ctrl-C must not crash the cleanup
    await db.connect();
    teardown.add('observer connection', () => db.end());

    log('starting two api processes (node -r @swc-node/register apps/api/src/main.ts)');
    const profileFile = settings.profile ? join(stack.dir, 'api.cpuprofile') : undefined;
    const [port1, port2] = [await freePort(), await freePort()];
    const [api, api2] = await Promise.all([
      ApiProcess.start({ name: 'api', port: port1, env: stack.apiEnv, profileFile }, teardown),
      ApiProcess.start({ name: 'api 2', port: port2, env: stack.apiEnv }, teardown),
    ]);

    log(`seeding: 1 procedure through the API, ${settings.bulk} by SQL over ${settings.projects} projects; users, bindings and tokens through the API`);
    const catalog = await seedCatalog(api.url, db, { bulk: settings.bulk, projects: settings.projects });

    log('verifying what each caller sees (paging through the whole catalog)');
    const visibility = await verifyVisibility(catalog);
    for (const problem of visibility.problems) log(`PROBLEM: ${problem}`);

    log('capturing the plans and statements PostgreSQL ran (auto_explain on, then off)');
    const plans = await capturePlans(db, stack.postgresLog, stack.redisUrl, [
      { name: 'runner token (1 visible)', session: catalog.runner.token, path: LIST },
      { name: 'admin token (all visible, first page of 50)', session: catalog.admin.token, path: LIST },
      { name: `viewer token (one project, ${catalog.viewerVisible} visible)`, session: catalog.viewer.token, path: LIST },
    ]);

    const load = LoadGenerator.start(teardown);
    const latencyScenarios: Array<{ name: string; session: AccessSession | null; path: string }> = [
      { name: 'runner token (1 visible)', session: catalog.runner.token, path: LIST },
      { name: 'admin token (50 of 10,001)', session: catalog.admin.token, path: LIST },
      { name: 'runner session cookie', session: catalog.runner.cookie, path: LIST },
      { name: 'viewer token (50 of 500)', session: catalog.viewer.token, path: LIST },
      { name: 'GET /health/live (no auth)', session: null, path: '/health/live' },
    ];
    const gate = new QuietGate(settings.quietBudgetSeconds * 1000, log);
    const latency: LatencyEntry[] = [];
    for (const scenario of latencyScenarios) {
      log(`latency: ${scenario.name}, ${settings.latencyRequests} sequential requests after ${settings.latencyWarmup} warm-up`);
      const entry = await measureLatency({ ...scenario, api }, load, db, gate, { requests: settings.latencyRequests, warmup: settings.latencyWarmup });
      latency.push(entry);
      log(`  p50 ${entry.result.latency.p50} ms, p95 ${entry.result.latency.p95} ms, p99 ${entry.result.latency.p99} ms, ${entry.result.errors} errors`);
    }

    const scenarios: Scenario[] = [
      { name: 'GET /health/live (ceiling)', path: '/health/live', session: null, connections: settings.connections[0] ?? 32, apis: [api] },
      ...settings.connections.map((c) => ({ name: 'runner token (1 visible)', path: LIST, session: catalog.runner.token, connections: c, apis: [api] })),
      { name: 'runner session cookie', path: LIST, session: catalog.runner.cookie, connections: settings.connections[0] ?? 32, apis: [api] },
      { name: 'viewer token (50 of 500)', path: LIST, session: catalog.viewer.token, connections: settings.connections[0] ?? 32, apis: [api] },
      { name: 'admin token (50 of 10,001)', path: LIST, session: catalog.admin.token, connections: settings.connections[0] ?? 32, apis: [api] },
      { name: 'runner token (1 visible)', path: LIST, session: catalog.runner.token, connections: Math.max(...settings.connections, 2), apis: [api, api2] },
    ];
    const components: Record<string, number | 'self'> = {
      api: api.pid, 'api 2': api2.pid, postgres: stack.postmasterPid(), redis: stack.redis.process.pid as number, 'load generator': load.pid, bench: 'self',
    };
    const throughput: ThroughputEntry[] = [];
    for (const scenario of scenarios) {
      log(`throughput: ${scenario.name}, ${scenario.connections} connections, ${scenario.apis.length} api process(es), ${settings.seconds} s`);
      const entry = await measureThroughput(scenario, load, db, gate, components, settings);
      throughput.push(entry);
      log(`  ${entry.result.perSecond} req/s, p95 ${entry.result.latency.p95} ms, ${entry.result.errors} errors, capacity ${entry.capacityPerSecond}/s, not ours ${Math.round((entry.cpuShare.other ?? 0) * 100)}%`);
    }

    // Before the touch test below, which makes tokens due on purpose.
    const tokenUse = await tokenUseAudit(db);
    const stampedes: TouchStampede[] = [];
    for (const caller of [
      {
        name: 'runner token', session: catalog.runner.token, touch: /^UPDATE api_tokens SET last_used_at/i,
        makeDue: `UPDATE api_tokens SET last_used_at = now() - interval '2 minutes' WHERE name = 'bench-access-runner'`,
      },
      {
        name: 'runner session cookie', session: catalog.runner.cookie, touch: /^UPDATE sessions SET last_seen_at/i,
        makeDue: `UPDATE sessions SET last_seen_at = now() - interval '2 minutes' WHERE user_id = '${catalog.runner.userId}'`,
      },
    ]) {
      await gate.wait();
      log(`touch under concurrency: ${caller.name}, ${settings.connections[0] ?? 32} connections, made due after 1 s`);
      const stampede = await touchStampede(db, load, { host: '127.0.0.1', port: api.port }, caller, settings.connections[0] ?? 32);
      log(`  ${stampede.touches} UPDATEs (mean ${stampede.touchMeanMs} ms), ${stampede.auditEvents} token.used events, max latency ${stampede.latency.max} ms`);
      stampedes.push(stampede);
    }

    const whatIf: WhatIfEntry[] | null = settings.whatIf
      ? await measureWhatIf({
        api, apiEnv: stack.apiEnv, teardown, load, db, gate, components, catalog, log,
        connections: settings.connections[0] ?? 32, seconds: settings.whatIfSeconds, rounds: settings.whatIfRounds,
      })
      : null;

    let profile: AccessBenchResult['profile'] = null;
    if (settings.profile) {
      const connections = settings.connections[0] ?? 32;
      log(`CPU profile of the api: runner token, ${connections} connections, ${PROFILE_SECONDS} s`);
      await gate.wait();
      await api.startProfile();
      const result = await load.run({
        targets: [{ host: '127.0.0.1', port: api.port }], path: LIST, headers: catalog.runner.token.headers(), connections, expectStatus: 200, durationMs: PROFILE_SECONDS * 1000, warmupMs: 0,
      });
      const file = await api.stopProfile();
      profile = { ...summarizeProfile(file), scenario: `runner token, ${connections} connections, 1 api process`, seconds: PROFILE_SECONDS, perSecond: result.perSecond };
    }

    const [{ version }] = (await db.query<{ version: string }>(`SELECT version() ${OWN}`)).rows;
    const runnerPlan = plans.find((p) => p.caller.startsWith('runner'));
    const tokenRuns = throughput.filter((e) => e.path === LIST && e.name.includes('token') && e.result.errors === 0);
    const best = tokenRuns.reduce<ThroughputEntry | null>((a, e) => (!a || e.result.perSecond > a.result.perSecond ? e : a), null);
    const bestSingle = tokenRuns.filter((e) => e.apiProcesses === 1).reduce((a, e) => Math.max(a, e.result.perSecond), 0);
    const listP95 = Math.max(...latency.filter((e) => e.path === LIST).map((e) => e.result.latency.p95));
    const result: AccessBenchResult = {
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
        memoryGb: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        postgres: version.split(' on ')[0],
        redis: /v=(\S+)/.exec(execFileSync(findRedisServer(), ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown',
        loadAverageAtStart: loadAtStart,
      },
      settings,
      wallTimeSeconds: Math.round((Date.now() - startedAt) / 100) / 10,
      catalog: { total: catalog.total, projects: catalog.bulkProjectIds.length + 1, viewerVisible: catalog.viewerVisible },
      visibility,
      plans,
      latency,
      throughput,
      profile,
      whatIf,
      tokenUse,
      stampedes,
      apiOutputBytes: api.printed.length + api2.printed.length,
      targets: {
        oneVisible: visibility.runner.items === 1 && visibility.runner.ids[0] === catalog.needleId,
        planUsesIndex: runnerPlan?.summary.filterUsesIndex === true && runnerPlan.summary.rows === 1,
        listP95Ms: listP95,
        listP95Ok: listP95 <= 20,
        bestTokenPerSecond: best?.result.perSecond ?? 0,
        bestTokenScenario: best ? `${best.name}, ${best.connections} connections, ${best.apiProcesses} api process(es)` : '-',
        bestSingleProcessTokenPerSecond: bestSingle,
        bestTokenCapacity: tokenRuns.reduce((a, e) => Math.max(a, e.capacityPerSecond), 0),
        bestTokenApiOnlyCapacity: tokenRuns.reduce((a, e) => Math.max(a, e.apiOnlyCapacityPerSecond), 0),
        rbacOk: (best?.result.perSecond ?? 0) >= 3_000,
      },
    };
    process.stdout.write(`${formatAccessReport(result)}\n\n`);
    process.stdout.write(`BENCH_JSON ${JSON.stringify(result)}\n`);
    if (visibility.problems.length > 0) process.exitCode = 1;
    if (process.env.BENCH_ACCESS_HOLD === '1') {
      // For poking at the stack by hand; Ctrl-C cleans up as usual.
      log(`holding the stack: api ${api.url} and ${api2.url}, ${stack.databaseUrl}, ${stack.redisUrl}`);
      log(`runner: ${catalog.runner.token.authHeader.value}; admin: ${catalog.admin.token.authHeader.value}; viewer: ${catalog.viewer.token.authHeader.value}`);
      await new Promise(() => undefined);
    }
  } finally {
    log('stopping everything the benchmark started');
    await teardown.runAll();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    process.stderr.write(`bench:access failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
