/**
 * `npm run bench`: the execution engine's trigger → running latency and throughput of trivial
 * executions, next to a bare BullMQ + PostgreSQL pipeline on the same PostgreSQL and Redis.
 * Starts and removes its own stack; see bench/README.md for what each figure means.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { findRedisServer } from '../scripts/local-stack';
import { buildApps } from './app-build';
import { AppRuntime, REPO_ROOT } from './app-runtime';
import { BarePipeline } from './bare-pipeline';
import { BenchDatabase, type CounterDelta } from './bench-database';
import { type BenchResult, formatReport, ratioOf, type ThroughputEntry } from './bench-report';
import { startBenchStack } from './bench-stack';
import { type Bracketed, perExecution, withCommitCount } from './commit-bracket';
import { HOP_TRACE_ENABLED, makeHopTraceDir } from './hop-trace';
import { Maintenance, withoutMaintenance } from './maintenance';
import { type LatencyTurn, measureLatency, poolTurns } from './latency-scenario';
import type { BatchSpec, Pipeline } from './pipeline';
import { StepMarks } from './step-marks';
import { SwitchboardPipeline } from './switchboard-pipeline';
import { Teardown } from './teardown';
import { measureThroughput, type ThroughputResult, warmUp } from './throughput-scenario';

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return value;
}

const settings = {
  runs: Math.max(1, intFromEnv('BENCH_RUNS', 1000)),
  latencyRuns: Math.max(1, intFromEnv('BENCH_LATENCY_RUNS', 200)),
  warmup: intFromEnv('BENCH_WARMUP', 5000),
  inflight: Math.max(1, intFromEnv('BENCH_INFLIGHT', 8)),
  pollMs: Math.max(1, intFromEnv('BENCH_POLL_MS', 20)),
  rounds: Math.max(1, intFromEnv('BENCH_ROUNDS', 1)),
  concurrencies: (process.env.BENCH_CONCURRENCY ?? '1,4,16').split(',').map((c) => Number(c.trim())).filter((c) => Number.isInteger(c) && c > 0),
  runtime: process.env.BENCH_RUNTIME === 'swc-node' ? 'swc-node' : 'compiled',
};
const LATENCY_CONCURRENCY = 4;
/** Sequential runs of the marking step after the warm-up and before the latency is measured. */
const LATENCY_SEQUENTIAL_WARMUP = 50;

const benchStartedAt = Date.now();
const loadAtStart = loadavg().map((l) => Math.round(l * 100) / 100);
const log = (line: string): void => {
  process.stderr.write(`[bench ${((Date.now() - benchStartedAt) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
};

async function main(): Promise<void> {
  const teardown = new Teardown();
  teardown.installSignalHandlers();
  try {
    const stack = await startBenchStack(teardown, log);
    let runtime = AppRuntime.swcNode();
    if (settings.runtime === 'compiled') {
      const outDir = join(stack.dir, 'build');
      const built = await buildApps(REPO_ROOT, outDir);
      log(`compiled ${built.files} TypeScript files in ${built.ms} ms for the processes under test`);
      runtime = AppRuntime.compiled(outDir);
    }
    const db = await BenchDatabase.connect(stack.databaseUrl);
    teardown.add('observer connection', () => db.close());
    const maintenance = await Maintenance.open(db);
    // Read by AppProcess: every process under test then notes its hops (bench/hop-trace.cjs).
    const hopTraceDir = HOP_TRACE_ENABLED ? makeHopTraceDir(stack.dir) : undefined;
    if (hopTraceDir) process.env.BENCH_HOP_TRACE_DIR = hopTraceDir;
    const marks = new StepMarks(stack.marksDir);
    const shared = { postgres: stack.postmasterPid(), redis: stack.redis.process.pid as number };
    const pipelines: Pipeline[] = [new SwitchboardPipeline(stack, teardown, marks, runtime), new BarePipeline(stack, teardown, marks, runtime)];
    // One batch (procedure, or bare batch label) per latency turn and per throughput run: progress counts the batch's rows.
    const latencyBatch = (round: number): string => `latency${round > 1 ? `-r${round}` : ''}`;
    const throughputBatch = (concurrency: number, round: number): string => `throughput-c${concurrency}${round > 1 ? `-r${round}` : ''}`;
    // Each warm-up has a batch of its own, so the measured window's progress poll counts only the measured runs.
    const warmupBatch = (label: string): string => `${label}-warmup`;
    const batches: BatchSpec[] = [
      ...Array.from({ length: settings.rounds }, (_, i) => latencyBatch(i + 1))
        .flatMap((label) => [{ label, kind: 'mark' as const }, { label: warmupBatch(label), kind: 'trivial' as const }]),
      ...settings.concurrencies.flatMap((c) => Array.from({ length: settings.rounds }, (_, i) => throughputBatch(c, i + 1))
        .flatMap((label) => [{ label, kind: 'trivial' as const }, { label: warmupBatch(label), kind: 'trivial' as const }])),
    ];

    // With BENCH_ROUNDS > 1 the latency runs take turns too, each turn with fresh processes: a
    // process's own luck (where the scheduler puts it, what it compiled) and the machine's drift
    // then weigh on both pipelines alike. The figures pool every turn's runs.
    const latencyTurns = new Map<string, LatencyTurn[]>(pipelines.map((p) => [p.name, []]));
    const prepared = new Set<Pipeline>();
    for (const { pipeline, round } of takingTurns(pipelines, settings.rounds)) {
      log(`${pipeline.name}: starting (concurrency ${LATENCY_CONCURRENCY}) for ${settings.latencyRuns} sequential runs after ${settings.warmup} warm-up runs and ${LATENCY_SEQUENTIAL_WARMUP} sequential ones${settings.rounds > 1 ? `, round ${round} of ${settings.rounds}` : ''}`);
      const running = await pipeline.start(LATENCY_CONCURRENCY);
      try {
        if (!prepared.has(pipeline)) await pipeline.prepare(running, batches);
        prepared.add(pipeline);
        // The warm-up as in the throughput runs (5,000 sequential runs would take a minute), then a few sequential ones for the marking step.
        await warmUp(pipeline, running, db, { batch: pipeline.batch(warmupBatch(latencyBatch(round))), count: settings.warmup, inflight: settings.inflight, pollMs: settings.pollMs });
        maintenance.counted(pipeline.name, settings.warmup);
        await maintenance.vacuum();
        (latencyTurns.get(pipeline.name) as LatencyTurn[]).push(await measureLatency(pipeline, running, db, marks, {
          batch: pipeline.batch(latencyBatch(round)), round, warmup: LATENCY_SEQUENTIAL_WARMUP, runs: settings.latencyRuns, sharedComponents: shared, log, hopTraceDir,
        }));
        maintenance.counted(pipeline.name, LATENCY_SEQUENTIAL_WARMUP + settings.latencyRuns);
      } finally {
        await running.stop();
      }
    }

    // The hops are the latency runs' breakdown; the throughput runs go untraced.
    delete process.env.BENCH_HOP_TRACE_DIR;

    const baselines = new Map<string, Bracketed<number>>();
    for (const pipeline of pipelines) {
      log(`${pipeline.name}: idle baseline (start, 1 s idle, stop) for the PostgreSQL counters`);
      baselines.set(pipeline.name, await withCommitCount(db, async () => {
        const startedAt = Date.now();
        const running = await pipeline.start(LATENCY_CONCURRENCY);
        await new Promise((r) => setTimeout(r, 1_000));
        await running.stop();
        return (Date.now() - startedAt) / 1000;
      }));
    }

    const throughput = new Map<string, ThroughputEntry[]>(pipelines.map((p) => [p.name, []]));
    // With BENCH_ROUNDS > 1 the pipelines take turns, so a machine whose speed drifts within
    // minutes disturbs both alike; the ratio is the median of the rounds'.
    for (const concurrency of settings.concurrencies) {
      for (const { pipeline, round } of takingTurns(pipelines, settings.rounds)) {
        log(`${pipeline.name}: ${settings.runs} trivial executions at worker concurrency ${concurrency}${settings.rounds > 1 ? `, round ${round} of ${settings.rounds}` : ''}`);
        let vacuum: CounterDelta | undefined;
        const bracket = await withCommitCount(db, async () => {
          const running = await pipeline.start(concurrency);
          try {
            return await measureThroughput(pipeline, running, db, {
              batch: pipeline.batch(throughputBatch(concurrency, round)), runs: settings.runs,
              warmupBatch: pipeline.batch(warmupBatch(throughputBatch(concurrency, round))), warmup: settings.warmup,
              inflight: settings.inflight, pollMs: settings.pollMs, sharedComponents: shared,
              beforeWindow: async () => {
                maintenance.counted(pipeline.name, settings.warmup);
                vacuum = await maintenance.vacuum();
              },
              onMeasuring: () => log(`  warmed up (${settings.warmup} runs); measuring`),
            });
          } finally {
            await running.stop();
          }
        });
        maintenance.counted(pipeline.name, settings.runs);
        const entry = toEntry({ ...bracket, counters: withoutMaintenance(bracket.counters, vacuum) }, (baselines.get(pipeline.name) as Bracketed<number>).counters, round);
        log(`  ${entry.perSecond} executions/s, ${entry.perExecution.commits} commits/execution, ${entry.succeeded}/${entry.executions} succeeded`);
        (throughput.get(pipeline.name) as ThroughputEntry[]).push(entry);
      }
    }

    // The last turn's runs are vacuumed too, so every run's share of the maintenance is counted.
    await maintenance.vacuum();

    const ours = poolTurns(latencyTurns.get('switchboard') as LatencyTurn[]);
    const bare = poolTurns(latencyTurns.get('bare') as LatencyTurn[]);
    const oursThroughput = throughput.get('switchboard') as ThroughputEntry[];
    const bareThroughput = throughput.get('bare') as ThroughputEntry[];
    const [{ version }] = await db.query<{ version: string }>('SELECT version()');
    const baselineOf = (name: string): BenchResult['baselines']['bare'] => {
      const b = baselines.get(name) as Bracketed<number>;
      const zero: CounterDelta = { xactCommit: 0, xactRollback: 0, nextXid: 0, walBytes: 0, walRecords: 0, walFsyncs: 0, ownQueries: 0 };
      return { ...perExecution(b.counters, zero, 1), seconds: Math.round(b.result * 10) / 10 };
    };
    const result: BenchResult = {
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
        memoryGb: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        platform: `${process.platform} ${process.arch}`,
        postgres: version.split(' on ')[0],
        loadAverageAtStart: loadAtStart,
        redis: /v=(\S+)/.exec(execFileSync(findRedisServer(), ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown',
      },
      settings: { ...settings, processes: `api, worker and bare worker each a child process running ${runtime.description}; workspaces in ${stack.workspaceDir}` },
      wallTimeSeconds: Math.round((Date.now() - benchStartedAt) / 100) / 10,
      latency: {
        switchboard: ours,
        bare,
        ratio: {
          p50: ratioOf(ours.triggerToRunning.p50, bare.triggerToRunning.p50),
          p99: ratioOf(ours.triggerToRunning.p99, bare.triggerToRunning.p99),
          dbP50: ratioOf(ours.dbQueuedToStarted.p50, bare.dbQueuedToStarted.p50),
          dbP99: ratioOf(ours.dbQueuedToStarted.p99, bare.dbQueuedToStarted.p99),
          p50MedianOfRounds: medianOf(ours.p50ByRound.map((p50, i) => ratioOf(p50, bare.p50ByRound[i] ?? NaN))),
        },
      },
      throughput: {
        switchboard: oursThroughput,
        bare: bareThroughput,
        ratio: Object.fromEntries(settings.concurrencies.map((c) => [String(c), medianOf(oursThroughput.filter((e) => e.concurrency === c).map((e) =>
          ratioOf(e.perSecond, bareThroughput.find((b) => b.concurrency === c && b.round === e.round)?.perSecond ?? NaN)))])),
      },
      baselines: { switchboard: baselineOf('switchboard'), bare: baselineOf('bare') },
      maintenance: maintenance.summary(),
    };
    process.stdout.write(`${formatReport(result)}\n\n`);
    process.stdout.write(`BENCH_JSON ${JSON.stringify(result)}\n`);
  } finally {
    log('stopping everything the benchmark started');
    await teardown.runAll();
  }
}

/** Every pipeline once per round, the order swapped every round (A B, B A, A B, …). */
function takingTurns(pipelines: Pipeline[], rounds: number): Array<{ pipeline: Pipeline; round: number }> {
  return Array.from({ length: rounds }, (_, i) => (i % 2 === 0 ? pipelines : [...pipelines].reverse()).map((pipeline) => ({ pipeline, round: i + 1 }))).flat();
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : Math.round(((sorted[middle - 1] + sorted[middle]) / 2) * 100) / 100;
}

function toEntry(bracket: Bracketed<ThroughputResult>, baseline: CounterDelta, round: number): ThroughputEntry {
  const executions = bracket.result.executions + settings.warmup;
  return {
    ...bracket.result,
    round,
    perExecution: perExecution(bracket.counters, baseline, executions),
    statements: bracket.statements.slice(0, 30).map((s) => ({ ...s, callsPerExecution: Math.round((s.calls / executions) * 100) / 100 })),
  };
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
