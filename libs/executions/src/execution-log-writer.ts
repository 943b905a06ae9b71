import type { Redis } from 'ioredis';
import { executionChannel } from '@switchboard/core';
import type { LogStream } from './execution-log.entity';
import type { ExecutionStatus } from './execution-state';
import type { LiveMessage, LogLine } from './execution-events';

const FLUSH_INTERVAL_MS = 100;
const FLUSH_LINES = 500;
const RETRY_INTERVAL_MS = 500;
const MASK = '***';
/** How long a run must have been running before live viewers are told so on their own. */
const STATUS_DELAY_MS = 100;

/**
 * Numbers an execution's output lines, masks secret values in them, and writes them to PostgreSQL
 * in batches (every 100 ms or 500 lines, one statement each), publishing each stored batch on
 * Redis for live viewers. A short execution's lines ride along in its final transaction instead.
 */
export class ExecutionLogWriter {
  private pending: LogLine[] = [];
  private seq: number;
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly secrets: string[];

  constructor(
    private readonly executionId: string,
    startSeq: number,
    private readonly flushToDatabase: (lines: LogLine[], lastSeq: number, bytes: number) => Promise<void>,
    private readonly redis: Redis,
    secretValues: string[],
  ) {
    this.seq = startSeq;
    // Longest first, so a secret that contains another is masked whole.
    this.secrets = secretValues.filter((s) => s.length >= 3).sort((a, b) => b.length - a.length);
  }

  get lastSeq(): number {
    return this.seq;
  }

  add(stream: LogStream, step: string | null, text: string): void {
    let masked = text;
    for (const secret of this.secrets) if (masked.includes(secret)) masked = masked.split(secret).join(MASK);
    this.seq += 1;
    this.bytes += Buffer.byteLength(masked);
    this.pending.push({ seq: this.seq, ts: new Date().toISOString(), stream, step, text: masked.replaceAll('\u0000', '') });
    if (this.pending.length >= FLUSH_LINES) this.scheduleFlush(0);
    else this.scheduleFlush(FLUSH_INTERVAL_MS);
  }

  private scheduleFlush(delayMs: number): void {
    if (delayMs === 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      void this.flush();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
  }

  /**
   * Writes what is pending now. Flushes are serialized, so lines are stored in order. A failed
   * write (PostgreSQL restarting) puts the lines back and tries again later: nothing is lost.
   */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.length === 0) return;
      const lines = this.pending;
      const bytes = this.bytes;
      this.pending = [];
      this.bytes = 0;
      try {
        await this.flushToDatabase(lines, lines[lines.length - 1].seq, bytes);
      } catch {
        this.pending = [...lines, ...this.pending];
        this.bytes += bytes;
        this.scheduleFlush(RETRY_INTERVAL_MS);
        return;
      }
      await this.publish({ type: 'lines', lines });
    });
    return this.flushing;
  }

  /**
   * Tells live viewers the run's new status, unless it ends within 100 ms: most runs of a trivial
   * step end sooner, and their `end` message says more (a publish is a Redis round trip).
   */
  publishStatusSoon(status: ExecutionStatus): void {
    if (this.statusTimer) clearTimeout(this.statusTimer);
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      void this.publish({ type: 'status', status });
    }, STATUS_DELAY_MS);
  }

  /**
   * Waits for in-flight flushes and hands over what is still pending, so the caller can store
   * it in the execution's final transaction (one commit fewer for short runs).
   */
  async takeRemaining(): Promise<{ lines: LogLine[]; bytes: number }> {
    if (this.timer) clearTimeout(this.timer);
    if (this.statusTimer) clearTimeout(this.statusTimer);
    this.timer = undefined;
    this.statusTimer = undefined;
    await this.flushing;
    const taken = { lines: this.pending, bytes: this.bytes };
    this.pending = [];
    this.bytes = 0;
    return taken;
  }

  async publish(message: LiveMessage): Promise<void> {
    // Live viewers are a convenience: PostgreSQL has the lines, so a failed publish loses nothing.
    await this.redis.publish(executionChannel(this.executionId), JSON.stringify(message)).catch(() => undefined);
  }
}

/**
 * A batch of lines as the arrays of one multi-row insert:
 * `INSERT INTO execution_logs (execution_id, seq, ts, stream, step, text) SELECT $1, * FROM unnest($2::int[], $3::timestamptz[], $4::text[], $5::text[], $6::text[])`.
 */
export function logLineArrays(lines: LogLine[]): [number[], string[], string[], Array<string | null>, string[]] {
  return [lines.map((l) => l.seq), lines.map((l) => l.ts), lines.map((l) => l.stream), lines.map((l) => l.step), lines.map((l) => l.text)];
}
