import { cpus } from 'node:os';
import type { BenchDatabase } from './bench-database';
import { CpuMeter } from './cpu-meter';
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
  /** Share of the machine's CPU that went to other work meanwhile (0–1); see ThroughputResult. */
  foreignCpuShare: number;
}

/**
 * Sequential runs, one at a time: send the trigger, wait for the end event, read the mark the
 * step wrote. Nothing polls the API, so the measurement adds no load to what it measures.
 */
export async function measureLatency(
  pipeline: Pipeline, running: RunningPipeline, db: BenchDatabase, marks: StepMarks,
  options: { batch: string; warmup: number; runs: number; sharedComponents: Record<string, number>; log: (line: string) => void },
): Promise<LatencyResult> {
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
  const rows = await db.query<{ id: string; queued_ms: string; started_ms: string; finished_ms: string }>(pipeline.timesSql, [samples.map((s) => s.id)]);
  const recorded = new Map(rows.map((r) => [r.id, { queued: Number(r.queued_ms), started: Number(r.started_ms), finished: Number(r.finished_ms) }]));
  const pick = (f: (s: (typeof samples)[number], r: { queued: number; started: number; finished: number }) => number): number[] =>
    samples.flatMap((s) => {
      const r = recorded.get(s.id);
      return r ? [f(s, r)] : [];
    });
  return {
    runs: samples.length,
    failed,
    triggerToRunning: summarizeLatency(samples.map((s) => s.runningAt - s.sentAt)),
    dbQueuedToStarted: summarizeLatency(pick((_s, r) => r.started - r.queued)),
    triggerToAccepted: summarizeLatency(samples.map((s) => s.acceptedAt - s.sentAt)),
    triggerToQueued: summarizeLatency(pick((s, r) => r.queued - s.sentAt)),
    startedToRunning: summarizeLatency(pick((s, r) => s.runningAt - r.started)),
    runningToFinished: summarizeLatency(pick((s, r) => r.finished - s.runningAt)),
    triggerToEnd: summarizeLatency(samples.map((s) => s.endedAt - s.sentAt)),
    foreignCpuShare: Math.round((cpu.byComponent.other / (cpu.wallMs * cpus().length)) * 100) / 100,
  };
}
