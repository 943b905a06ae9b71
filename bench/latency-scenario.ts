import { cpus } from 'node:os';
import type { BenchDatabase } from './bench-database';
import { CpuMeter } from './cpu-meter';
import { readHopStretches } from './hop-trace';
import { type LatencySummary, summarizeLatency } from './latency-summary';
import type { Pipeline, RunningPipeline } from './pipeline';
import { epochMs, type StepMarks } from './step-marks';

export interface LatencyResult {
  runs: number;
  failed: number;
  /** Sending the trigger → the step's process is running (its own wall-clock mark). The headline figure. */
  triggerToRunning: LatencySummary;
  /** queued_at → started_at as PostgreSQL recorded them. */
  dbQueuedToStarted: LatencySummary;
  /** Sending the trigger → the pipeline accepted it (HTTP 201 / Queue.add resolved). */
  triggerToAccepted: LatencySummary;
  /** Sending the trigger → queued_at (the api's clock; the bare producer's for bare). */
  triggerToQueued: LatencySummary;
  /** started_at (claimed in PostgreSQL) → the step's process is running. */
  startedToRunning: LatencySummary;
  /** The step's process is running → finished_at recorded. */
  runningToFinished: LatencySummary;
  /** Sending the trigger → the end event (Redis) reached the benchmark. */
  triggerToEnd: LatencySummary;
  /** Share of the machine's CPU that went to other work meanwhile (0–1), the highest of the turns; see ThroughputResult. */
  foreignCpuShare: number;
  /** trigger → step running p50 of each turn, in round order (BENCH_ROUNDS turns; the figures above pool them). */
  p50ByRound: number[];
  /** BENCH_HOPS=1: each stretch of trigger → step running, in the order a run goes through them (bench/hop-trace.ts). */
  hops?: Array<{ stretch: string; summary: LatencySummary }>;
}

type Stretch = Exclude<keyof LatencyResult, 'runs' | 'failed' | 'foreignCpuShare' | 'p50ByRound' | 'hops'>;
const STRETCHES: Stretch[] = ['triggerToRunning', 'dbQueuedToStarted', 'triggerToAccepted', 'triggerToQueued', 'startedToRunning', 'runningToFinished', 'triggerToEnd'];

/** One turn of sequential runs: every run's milliseconds per stretch, kept to be pooled with the other turns'. */
export interface LatencyTurn {
  round: number;
  samples: Record<Stretch, number[]>;
  failed: number;
  foreignCpuShare: number;
  /** BENCH_HOPS=1: every run's milliseconds per hop stretch. */
  hops?: Record<string, number[]>;
}

/** The turns' runs pooled into one summary per stretch, with each turn's own p50. */
export function poolTurns(turns: LatencyTurn[]): LatencyResult {
  const ordered = [...turns].sort((a, b) => a.round - b.round);
  const pooled = (stretch: Stretch): LatencySummary => summarizeLatency(ordered.flatMap((turn) => turn.samples[stretch]));
  return {
    runs: ordered.reduce((sum, turn) => sum + turn.samples.triggerToRunning.length, 0),
    failed: ordered.reduce((sum, turn) => sum + turn.failed, 0),
    ...(Object.fromEntries(STRETCHES.map((stretch) => [stretch, pooled(stretch)])) as Record<Stretch, LatencySummary>),
    foreignCpuShare: Math.max(0, ...ordered.map((turn) => turn.foreignCpuShare)),
    p50ByRound: ordered.map((turn) => summarizeLatency(turn.samples.triggerToRunning).p50),
    ...(ordered.every((turn) => turn.hops) ? {
      hops: Object.keys(ordered[0].hops ?? {}).map((stretch) => ({ stretch, summary: summarizeLatency(ordered.flatMap((turn) => turn.hops?.[stretch] ?? [])) })),
    } : {}),
  };
}

/**
 * Sequential runs, one at a time: send the trigger, wait for the end event, read the mark the
 * step wrote. Nothing polls the API, so the measurement adds no load to what it measures.
 */
export async function measureLatency(
  pipeline: Pipeline, running: RunningPipeline, db: BenchDatabase, marks: StepMarks,
  options: { batch: string; round: number; warmup: number; runs: number; sharedComponents: Record<string, number>; log: (line: string) => void; hopTraceDir?: string },
): Promise<LatencyTurn> {
  const watcher = await running.watchEnds();
  const meter = new CpuMeter({ ...running.cpuComponents(), ...options.sharedComponents, bench: 'self' });
  const samples: Array<{ id: string; sentAt: number; acceptedAt: number; endedAt: number; runningAt: number }> = [];
  let failed = 0;
  try {
    for (let i = 0; i < options.warmup + options.runs; i += 1) {
      if (i === options.warmup) meter.start();
      const sentAt = epochMs();
      const id = await running.trigger(options.batch);
      const acceptedAt = epochMs();
      const status = await watcher.waitFor(id);
      const endedAt = epochMs();
      if (i < options.warmup) continue;
      if (status !== 'succeeded') {
        failed += 1;
        continue;
      }
      samples.push({ id, sentAt, acceptedAt, endedAt, runningAt: await marks.read(id) });
      if ((i - options.warmup + 1) % 50 === 0) options.log(`  ${pipeline.name}: ${i - options.warmup + 1}/${options.runs} sequential runs`);
    }
  } finally {
    await watcher.close();
  }
  const cpu = meter.stop();
  let hops: Record<string, number[]> | undefined;
  if (options.hopTraceDir) {
    await new Promise((r) => setTimeout(r, 500)); // the processes write their events every 250 ms
    hops = readHopStretches(options.hopTraceDir, pipeline.name, samples);
  }
  const rows = await db.query<{ id: string; queued_ms: string; started_ms: string; finished_ms: string }>(pipeline.timesSql, [samples.map((s) => s.id)]);
  const recorded = new Map(rows.map((r) => [r.id, { queued: Number(r.queued_ms), started: Number(r.started_ms), finished: Number(r.finished_ms) }]));
  const pick = (f: (s: (typeof samples)[number], r: { queued: number; started: number; finished: number }) => number): number[] =>
    samples.flatMap((s) => {
      const r = recorded.get(s.id);
      return r ? [f(s, r)] : [];
    });
  return {
    round: options.round,
    samples: {
      triggerToRunning: samples.map((s) => s.runningAt - s.sentAt),
      dbQueuedToStarted: pick((_s, r) => r.started - r.queued),
      triggerToAccepted: samples.map((s) => s.acceptedAt - s.sentAt),
      triggerToQueued: pick((s, r) => r.queued - s.sentAt),
      startedToRunning: pick((s, r) => s.runningAt - r.started),
      runningToFinished: pick((s, r) => r.finished - s.runningAt),
      triggerToEnd: samples.map((s) => s.endedAt - s.sentAt),
    },
    failed,
    foreignCpuShare: Math.round((cpu.byComponent.other / (cpu.wallMs * cpus().length)) * 100) / 100,
    ...(hops ? { hops } : {}),
  };
}
