import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from './app-runtime';

/**
 * `BENCH_HOPS=1`: where each sequential run's trigger → step running goes, hop by hop, from the
 * events bench/hop-trace.cjs notes in the processes under test (see that file for what it wraps).
 */
export const HOP_TRACE_ENABLED = process.env.BENCH_HOPS === '1';

/** The node flags and environment that make a process under test note its hops into `dir`. */
export function hopTraceProcessOptions(dir: string): { flags: string[]; env: Record<string, string> } {
  return { flags: ['--require', resolve(REPO_ROOT, 'bench', 'hop-trace.cjs')], env: { BENCH_HOP_TRACE_DIR: dir } };
}

export function makeHopTraceDir(benchDir: string): string {
  const dir = join(benchDir, 'hops');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

type HopEvent = 'request' | 'insert_sent' | 'insert_done' | 'add_sent' | 'add_done' | 'job' | 'claim_sent' | 'claim_done' | 'launch';

/** One stretch of a run: its name and how to take it from the run's events (undefined when one is missing). */
interface Stretch {
  name: string;
  from: HopEvent | 'sent';
  to: HopEvent | 'running';
}

/** In the order a run goes through them; each pipeline's stretches add up to its trigger → step running. */
export const HOP_STRETCHES: Record<'switchboard' | 'bare', Stretch[]> = {
  switchboard: [
    { name: 'trigger sent → the api reads the request', from: 'sent', to: 'request' },
    { name: 'api: request → insert sent (HTTP, access, validation)', from: 'request', to: 'insert_sent' },
    { name: 'insert with its audit event, committed (round trip)', from: 'insert_sent', to: 'insert_done' },
    { name: 'api: insert answered → BullMQ add sent', from: 'insert_done', to: 'add_sent' },
    { name: 'add sent → the worker has the job (Redis, BullMQ)', from: 'add_sent', to: 'job' },
    { name: 'worker: job → claim sent', from: 'job', to: 'claim_sent' },
    { name: 'claim with its audit event, committed (round trip)', from: 'claim_sent', to: 'claim_done' },
    { name: 'worker: claim answered → spawn request to the launcher', from: 'claim_done', to: 'launch' },
    { name: 'launcher (workspace, posix_spawn), bash starting → running', from: 'launch', to: 'running' },
  ],
  bare: [
    { name: 'Queue.add sent → the worker has the job (Redis, BullMQ)', from: 'sent', to: 'job' },
    { name: 'worker: job → insert sent', from: 'job', to: 'insert_sent' },
    { name: 'insert, committed (round trip)', from: 'insert_sent', to: 'insert_done' },
    { name: 'worker: insert answered → update sent', from: 'insert_done', to: 'claim_sent' },
    { name: '"running" update, committed (round trip)', from: 'claim_sent', to: 'claim_done' },
    { name: 'worker: update answered → spawn()', from: 'claim_done', to: 'launch' },
    { name: 'spawn() (node forks), bash starting → running', from: 'launch', to: 'running' },
  ],
};

/**
 * Each stretch's milliseconds for the given runs (sequential, so the api's unnamed request event
 * is the last one read before the run's insert was sent). A run with an event missing is left out
 * of every stretch, so the stretches of one run always add up.
 */
export function readHopStretches(dir: string, pipeline: 'switchboard' | 'bare', runs: Array<{ id: string; sentAt: number; runningAt: number }>): Record<string, number[]> {
  const byId = new Map<string, Partial<Record<HopEvent, number>>>();
  const requests: number[] = [];
  for (const file of readdirSync(dir)) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (!line) continue;
      const { event, id, t } = JSON.parse(line) as { event: HopEvent; id: string | null; t: number };
      if (event === 'request') {
        requests.push(t);
        continue;
      }
      if (!id) continue;
      const events = byId.get(id) ?? {};
      events[event] ??= t; // the first: a claim tried again (claimLimited) keeps its first send
      byId.set(id, events);
    }
  }
  requests.sort((a, b) => a - b);
  const stretches = HOP_STRETCHES[pipeline];
  const out: Record<string, number[]> = Object.fromEntries(stretches.map((s) => [s.name, []]));
  for (const run of runs) {
    const events: Partial<Record<HopEvent | 'sent' | 'running', number>> = { ...byId.get(run.id), sent: run.sentAt, running: run.runningAt };
    if (pipeline === 'switchboard' && events.insert_sent !== undefined) {
      const before = requests.filter((t) => t >= run.sentAt - 1 && t <= (events.insert_sent as number));
      if (before.length > 0) events.request = before[before.length - 1];
    }
    const values = stretches.map((s) => (events[s.to] !== undefined && events[s.from] !== undefined ? (events[s.to] as number) - (events[s.from] as number) : undefined));
    if (values.some((v) => v === undefined)) continue;
    stretches.forEach((s, i) => out[s.name].push(Math.round((values[i] as number) * 1000) / 1000));
  }
  return out;
}
