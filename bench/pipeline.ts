/**
 * What the benchmark needs from a pipeline under test: Switchboard (api + worker) or the bare
 * BullMQ + PostgreSQL floor it is compared with. Both are measured by the same scenario code.
 */

import type { BenchDatabase } from './bench-database';

/** A batch of executions: `mark` steps write the moment they run; `trivial` steps run `true`. */
export interface BatchSpec {
  label: string;
  kind: 'mark' | 'trivial';
}

export interface EndWatcher {
  /** Resolves with the final status of an execution (event-driven, no polling). */
  waitFor(id: string, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export interface RunningPipeline {
  readonly concurrency: number;
  /** Root pids whose CPU time is metered, by component name. */
  cpuComponents(): Record<string, number>;
  /** Starts one execution of a batch; resolves once the pipeline accepted it, with its id. */
  trigger(batch: string): Promise<string>;
  watchEnds(): Promise<EndWatcher>;
  stop(): Promise<void>;
}

export interface Pipeline {
  readonly name: 'switchboard' | 'bare';
  start(concurrency: number): Promise<RunningPipeline>;
  /** Creates what the batches need (procedures) with a running instance; returns batch ids by label. */
  prepare(running: RunningPipeline, batches: BatchSpec[]): Promise<void>;
  batch(label: string): string;
  /**
   * How many of the batch's executions are terminal, with `accepted` of its triggers accepted
   * before the call. Polled through the measured window, whose PostgreSQL CPU is measured, so each
   * pipeline asks the cheapest way it can.
   */
  countDone(db: BenchDatabase, batch: string, accepted: number): Promise<number>;
  /** SQL with $1 = batch id, returning `done` (terminal) and `ok` (succeeded) counts: asked once, at the end. */
  readonly outcomeSql: string;
  /** SQL with $1 = ids, returning id, queued_ms, started_ms, finished_ms (epoch ms, as recorded in PostgreSQL). */
  readonly timesSql: string;
}
