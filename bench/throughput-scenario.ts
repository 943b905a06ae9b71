import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { BenchDatabase } from './bench-database';
import { CpuMeter } from './cpu-meter';
import type { Pipeline, RunningPipeline } from './pipeline';
import { epochMs } from './step-marks';

export interface ThroughputResult {
  concurrency: number;
  executions: number;
  seconds: number;
  /** Executions per second, first trigger → last one terminal in PostgreSQL. */
  perSecond: number;
  /** Triggers per second the pipeline accepted (HTTP 201 / Queue.add) while it also ran them. */
  acceptedPerSecond: number;
  /**
   * Executions per second from the last accepted trigger to the last terminal one: the workers'
   * pace once the producer no longer takes CPU from them (null when too few were left by then).
   */
  perSecondAfterAccepted: number | null;
  succeeded: number;
  failed: number;
  /** CPU milliseconds per execution, by component, over the measured window. */
  cpuMsPerExecution: Record<string, number>;
  /**
   * CPU milliseconds per execution, by component, from the last accepted trigger to the end: what
   * the executions cost alone, with no trigger arriving (null when too few were left by then).
   */
  cpuMsPerExecutionAfterAccepted: Record<string, number> | null;
  /**
   * The same window's CPU per execution of each process tree, split into the root process itself,
   * its long-lived helpers and everything it started meanwhile (CpuReading.parts): for a worker,
   * its node process, the step launcher and the steps.
   */
  cpuPartsPerExecution: Record<string, { process: number; helpers: number; children: number }>;
  /**
   * CPU milliseconds per trigger that the triggers added: the window's CPU less what its executions
   * cost at the pace measured once every trigger was in, over the number of triggers. It holds the
   * producer's own work (HTTP client and api, or `Queue.add`), the trigger's writes in PostgreSQL
   * and Redis, and what the other processes lost to sharing the cores with them (null as above).
   */
  triggerCpuMs: number | null;
  /** Busy share of all cores during the window (0–1). */
  machineBusy: number;
  /**
   * Share of the machine's CPU capacity that went to neither the pipeline nor PostgreSQL, Redis or
   * the benchmark (0–1): other work on a shared machine disturbs the figures when this is high.
   */
  foreignCpuShare: number;
  /** Peak resident memory (VmHWM) of the pipeline's own processes, MB: fork() of a step costs more the larger it is. */
  peakRssMb: Record<string, number>;
  /** Mean number of PostgreSQL backends in each non-idle state/wait event, sampled with every poll. */
  backendStates: Array<{ state: string; wait: string; meanBackends: number }>;
  /**
   * What autovacuum workers did during the window (e.g. `ANALYZE public.audit_events`), as the mean
   * number of workers at it: 0.1 over a 3 s window is about 0.3 s of a core (less what it waited
   * on I/O), shared by the window's executions. It lands in some windows and not others.
   */
  autovacuum: Array<{ task: string; meanWorkers: number }>;
}

interface Progress {
  done: number;
  ok: number;
}

type Waits = Array<{ state: string; wait: string; n: number }>;
type Tasks = Array<{ task: string; n: number }>;

function peakRssOf(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
}

/** Triggers accepted so far, counted as their answers arrive. */
interface Accepted {
  count: number;
}

/** Runs `count` triggers with at most `inflight` outstanding, counting them in `accepted` as they are; resolves when all were. */
async function triggerAll(running: RunningPipeline, batch: string, count: number, inflight: number, accepted: Accepted): Promise<number> {
  let next = 0;
  let lastAcceptedAt = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      next += 1;
      await running.trigger(batch);
      accepted.count += 1;
      lastAcceptedAt = epochMs();
    }
  };
  await Promise.all(Array.from({ length: Math.min(inflight, count) }, lane));
  return lastAcceptedAt;
}

/** How many of the batch are terminal (the pipeline's own count, told how many were accepted before it asked). */
function progressOf(pipeline: Pipeline, db: BenchDatabase, batch: string, accepted: Accepted): () => Promise<number> {
  return () => pipeline.countDone(db, batch, accepted.count);
}

/** The batch's terminal and succeeded executions, counted row by row (once, at the end). */
async function outcomeOf(pipeline: Pipeline, db: BenchDatabase, batch: string): Promise<Progress> {
  return (await db.query<Progress>(`/*bench*/ SELECT p.done, p.ok FROM (${pipeline.outcomeSql}) p`, [batch]))[0];
}

/**
 * Waits until the pipeline counts `target` executions of the batch terminal. PostgreSQL's CPU is
 * part of what is measured: it polls every pollMs only once the end is near (the rate so far says
 * when), and less often before. The time is the poll's that saw the last one.
 */
async function waitForDone(
  pipeline: Pipeline, db: BenchDatabase, batch: string, target: number, pollMs: number, accepted: Accepted,
): Promise<{ at: number; progress: Progress }> {
  const poll = progressOf(pipeline, db, batch, accepted);
  const deadline = Date.now() + 300_000;
  let first: { at: number; done: number } | undefined;
  for (;;) {
    const done = await poll();
    const at = epochMs();
    if (done >= target) return { at, progress: await outcomeOf(pipeline, db, batch) };
    if (Date.now() > deadline) throw new Error(`${pipeline.name}: only ${done} of ${target} executions ended within 300 s`);
    first ??= { at, done };
    const rate = (done - first.done) / Math.max(1, at - first.at);
    const remainingMs = rate > 0 ? (target - done) / rate : 0;
    await new Promise((r) => setTimeout(r, Math.min(500, Math.max(pollMs, remainingMs / 4))));
  }
}

/**
 * Warms fresh processes up: `count` executions of a batch of their own, as fast as the pipeline
 * takes them, until all are terminal. Their own batch keeps the measured window's progress
 * count to the measured runs (with the warm-up in the same batch, every poll counted 5,000 more rows).
 */
export async function warmUp(
  pipeline: Pipeline, running: RunningPipeline, db: BenchDatabase,
  options: { batch: string; count: number; inflight: number; pollMs: number },
): Promise<void> {
  if (options.count <= 0) return;
  const accepted = { count: 0 };
  await triggerAll(running, options.batch, options.count, options.inflight, accepted);
  await waitForDone(pipeline, db, options.batch, options.count, options.pollMs, accepted);
}

/**
 * N executions as fast as the pipeline takes them (bounded in-flight triggers), timed from the
 * first trigger until PostgreSQL shows all of them terminal (polled every `pollMs` near the end, less often before).
 */
export async function measureThroughput(
  pipeline: Pipeline, running: RunningPipeline, db: BenchDatabase,
  options: {
    batch: string; runs: number; inflight: number; pollMs: number;
    /** The warm-up's own batch and size (see warmUp). */
    warmupBatch: string; warmup: number;
    /** Processes shared by every pipeline (PostgreSQL, Redis), metered too. */
    sharedComponents: Record<string, number>;
    /** Awaited between the warm-up and the measured window (the VACUUM ANALYZE of bench/maintenance.ts). */
    beforeWindow?: () => Promise<void>;
    /** Called when the warm-up is over and the measured window starts (progress output). */
    onMeasuring?: () => void;
  },
): Promise<ThroughputResult> {
  const waitsSql = `/*bench*/ SELECT (SELECT coalesce(json_agg(w), '[]'::json) FROM (
      SELECT state, coalesce(wait_event_type || ':' || wait_event, 'on CPU') AS wait, count(*)::int AS n
        FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND state <> 'idle'
       GROUP BY 1, 2) w) AS waits,
    (SELECT coalesce(json_agg(t), '[]'::json) FROM (
      SELECT regexp_replace(query, '^autovacuum: ', '') AS task, count(*)::int AS n
        FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' AND state = 'active' AND query <> ''
       GROUP BY 1) t) AS tasks`;
  const acceptedSoFar: Accepted = { count: 0 };
  const poll = progressOf(pipeline, db, options.batch, acceptedSoFar);
  await warmUp(pipeline, running, db, { batch: options.warmupBatch, count: options.warmup, inflight: options.inflight, pollMs: options.pollMs });
  await options.beforeWindow?.();
  const components: Record<string, number | 'self'> = { ...running.cpuComponents(), ...options.sharedComponents, bench: 'self' };
  const meter = new CpuMeter(components);
  // Started when the last trigger is accepted: what the executions left then cost alone.
  const afterMeter = new CpuMeter(components);
  const target = options.runs;
  const waitTotals = new Map<string, { state: string; wait: string; total: number }>();
  const taskTotals = new Map<string, number>();
  let samples = 0;
  // Backend states are sampled at a steady 50 ms, apart from the progress poll, whose pace varies.
  const sampleWaits = async (): Promise<void> => {
    const [{ waits, tasks }] = await db.query<{ waits: Waits; tasks: Tasks }>(waitsSql);
    samples += 1;
    for (const t of tasks) taskTotals.set(t.task, (taskTotals.get(t.task) ?? 0) + t.n);
    for (const w of waits) {
      const key = `${w.state}|${w.wait}`;
      const entry = waitTotals.get(key) ?? { state: w.state, wait: w.wait, total: 0 };
      entry.total += w.n;
      waitTotals.set(key, entry);
    }
  };
  let sampling: Promise<void> | undefined;
  const sampler = setInterval(() => {
    sampling ??= sampleWaits().catch(() => undefined).finally(() => {
      sampling = undefined;
    });
  }, 50);

  options.onMeasuring?.();
  meter.start();
  const startedAt = epochMs();
  // One extra count when the last trigger is accepted: how many had ended by then.
  const accepting = triggerAll(running, options.batch, options.runs, options.inflight, acceptedSoFar)
    .then(async (at) => {
      afterMeter.start();
      return { at, done: await poll() };
    });
  const { at: doneAt, progress } = await waitForDone(pipeline, db, options.batch, target, options.pollMs, acceptedSoFar).finally(() => clearInterval(sampler));
  await sampling;
  const accepted = await accepting;
  const acceptedAt = accepted.at;
  const leftAfterAccepted = target - accepted.done;
  const cpu = meter.stop();
  const cpuAfter = afterMeter.stop();
  const peakRssMb = Object.fromEntries(Object.entries(running.cpuComponents()).map(([name, pid]) => [name, peakRssOf(pid)]));

  const seconds = (doneAt - startedAt) / 1000;
  const round = (v: number, digits = 2): number => Math.round(v * 10 ** digits) / 10 ** digits;
  const enoughLeft = leftAfterAccepted >= options.runs / 10 && doneAt > acceptedAt;
  const sum = (values: Record<string, number>): number => Object.values(values).reduce((a, b) => a + b, 0);
  return {
    concurrency: running.concurrency,
    executions: options.runs,
    seconds: round(seconds, 3),
    perSecond: round(options.runs / seconds, 1),
    acceptedPerSecond: round(options.runs / ((acceptedAt - startedAt) / 1000), 1),
    perSecondAfterAccepted: enoughLeft ? round(leftAfterAccepted / ((doneAt - acceptedAt) / 1000), 1) : null,
    succeeded: progress.ok,
    failed: progress.done - progress.ok,
    cpuMsPerExecution: Object.fromEntries(Object.entries(cpu.byComponent).map(([k, v]) => [k, round(v / options.runs)])),
    cpuPartsPerExecution: Object.fromEntries(Object.entries(cpu.parts).map(([k, v]) => [k, {
      process: round(v.process / options.runs), helpers: round(v.helpers / options.runs), children: round(v.children / options.runs),
    }])),
    cpuMsPerExecutionAfterAccepted: enoughLeft
      ? Object.fromEntries(Object.entries(cpuAfter.byComponent).map(([k, v]) => [k, round(v / leftAfterAccepted)])) : null,
    triggerCpuMs: enoughLeft ? round((sum(cpu.byComponent) - (sum(cpuAfter.byComponent) / leftAfterAccepted) * options.runs) / options.runs) : null,
    machineBusy: round(cpu.machineBusy),
    foreignCpuShare: round(cpu.byComponent.other / (cpu.wallMs * cpus().length)),
    peakRssMb,
    backendStates: [...waitTotals.values()]
      .map((w) => ({ state: w.state, wait: w.wait, meanBackends: round(w.total / Math.max(1, samples)) }))
      .sort((a, b) => b.meanBackends - a.meanBackends),
    autovacuum: [...taskTotals]
      .map(([task, total]) => ({ task, meanWorkers: round(total / Math.max(1, samples)) }))
      .sort((a, b) => b.meanWorkers - a.meanWorkers),
  };
}
