import { cpus } from 'node:os';
import type { Client } from 'pg';
import type { ApiProcess } from './access-api';
import type { LoadGenerator, LoadTarget } from './access-load';
import type { LatencyEntry, ThroughputEntry } from './access-report';
import type { AccessSession } from './access-session';
import { readStatements, resetStatements } from './access-statements';
import { CpuMeter } from './cpu-meter';

export interface Scenario {
  name: string;
  path: string;
  /** Who calls; null for an anonymous request. */
  session: AccessSession | null;
  connections: number;
  apis: ApiProcess[];
}

const round = (v: number, digits = 3): number => Math.round(v * 10 ** digits) / 10 ** digits;
const targetsOf = (apis: ApiProcess[]): LoadTarget[] => apis.map((a) => ({ host: '127.0.0.1', port: a.port }));

/**
 * Waits (within a budget for the whole run) until the machine is nearly idle before a scenario:
 * on a shared 2-core machine, someone else's build halves the figures. What was left is reported.
 */
export class QuietGate {
  private spentMs = 0;

  constructor(
    private readonly budgetMs: number,
    private readonly log: (line: string) => void,
    private readonly busyBelow = 0.15,
  ) {}

  /** Machine busy share (0–1) in the last half second before going on. */
  async wait(): Promise<number> {
    const startedAt = Date.now();
    let busy: number;
    do {
      const meter = new CpuMeter({});
      meter.start();
      await new Promise((r) => setTimeout(r, 500));
      busy = meter.stop().machineBusy;
    } while (busy >= this.busyBelow && this.spentMs + (Date.now() - startedAt) < this.budgetMs);
    const waited = Date.now() - startedAt;
    this.spentMs += waited;
    if (waited > 600) this.log(`  waited ${(waited / 1000).toFixed(1)} s for other work on the machine to calm down (busy ${Math.round(busy * 100)}% now)`);
    return round(busy, 2);
  }
}

export async function measureLatency(
  scenario: { name: string; path: string; session: AccessSession | null; api: ApiProcess },
  load: LoadGenerator, db: Client, gate: QuietGate, options: { requests: number; warmup: number },
): Promise<LatencyEntry> {
  const busyBefore = await gate.wait();
  await resetStatements(db);
  const result = await load.run({
    targets: targetsOf([scenario.api]), path: scenario.path, headers: scenario.session?.headers() ?? {}, connections: 1, expectStatus: 200,
    requests: options.requests, warmupRequests: options.warmup,
  });
  return { name: scenario.name, path: scenario.path, result, statements: await readStatements(db, result.completedTotal), machineBusyBefore: busyBefore };
}

/** Keep-alive load for a while; CPU per process from /proc and statements from pg_stat_statements over the same window. */
export async function measureThroughput(
  scenario: Scenario, load: LoadGenerator, db: Client, gate: QuietGate,
  components: Record<string, number | 'self'>, options: { seconds: number; warmupSeconds: number },
): Promise<ThroughputEntry> {
  const busyBefore = await gate.wait();
  await resetStatements(db);
  const meter = new CpuMeter(components);
  meter.start();
  const result = await load.run({
    targets: targetsOf(scenario.apis), path: scenario.path, headers: scenario.session?.headers() ?? {}, connections: scenario.connections,
    expectStatus: 200, durationMs: options.seconds * 1000, warmupMs: options.warmupSeconds * 1000,
  });
  const cpu = meter.stop();
  const completed = Math.max(1, result.completedTotal);
  const statements = await readStatements(db, completed);
  const cores = cpus().length;
  const cpuMsPerRequest = Object.fromEntries(Object.entries(cpu.byComponent).map(([k, v]) => [k, round(v / completed)]));
  // What the request itself costs: everything but the benchmark's own process and unrelated work.
  const requestCpuMs = Object.entries(cpuMsPerRequest).filter(([k]) => k !== 'other' && k !== 'bench').reduce((a, [, v]) => a + v, 0);
  return {
    name: scenario.name, path: scenario.path, connections: scenario.connections, apiProcesses: scenario.apis.length, result,
    completedTotal: result.completedTotal,
    cpuMsPerRequest,
    cpuShare: Object.fromEntries(Object.entries(cpu.byComponent).map(([k, v]) => [k, round(v / (cpu.wallMs * cores))])),
    machineBusy: round(cpu.machineBusy),
    machineBusyBefore: busyBefore,
    capacityPerSecond: Math.round((cores * 1000) / requestCpuMs),
    apiOnlyCapacityPerSecond: Math.round((cores * 1000) / ((cpuMsPerRequest.api ?? 0) + (cpuMsPerRequest['api 2'] ?? 0))),
    statements,
  };
}
