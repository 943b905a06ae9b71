import { BenchDatabase, type CounterDelta } from './bench-database';
import { clockTicks, processTicks } from './cpu-meter';

/** What the VACUUM ANALYZE runs cost for one pipeline's tables, over the whole benchmark. */
export interface MaintenanceSummary {
  /** Runs of the pipeline whose rows had been vacuumed when it was counted. */
  executions: number;
  /** CPU of the benchmark's backend while it vacuumed and analyzed the pipeline's tables. */
  cpuMs: number;
  wallMs: number;
  cpuMsPerExecution: number;
  /** The largest tables' share of cpuMs, most first. */
  byTable: Array<{ table: string; cpuMs: number }>;
}

/** The bare pipeline's tables; every other table is Switchboard's. */
const BARE_TABLE_PREFIX = 'bench_bare';

/**
 * `VACUUM (ANALYZE)` of every table written to since the last one, before each measured window, as
 * pgbench vacuums before its runs. The databases start empty and grow by thousands of rows a
 * turn, so autovacuum's thresholds (a tenth of a table) were crossed every few thousand runs, and
 * a `VACUUM ANALYZE` of `executions` or an `ANALYZE` of `audit_events` landed in some 3-second
 * windows and not in others: the same turn measured 0.73× with one inside and 1.00× without.
 *
 * Leaving that work out of the windows does not make it free: each table's vacuum is timed (CPU
 * of the backend doing it), charged to the pipeline that writes the table, and reported per
 * execution beside the throughput figures. A final vacuum at the end covers the last turn's runs.
 */
export class Maintenance {
  private readonly pending = new Map<string, number>();
  private readonly totals = new Map<string, { executions: number; cpuMs: number; wallMs: number; byTable: Map<string, number> }>();

  private constructor(private readonly db: BenchDatabase, private readonly backendPid: number) {}

  static async open(db: BenchDatabase): Promise<Maintenance> {
    const [{ pid }] = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return new Maintenance(db, pid);
  }

  /** `executions` more runs of the pipeline wrote rows that the next vacuum will see. */
  counted(pipeline: string, executions: number): void {
    this.pending.set(pipeline, (this.pending.get(pipeline) ?? 0) + executions);
  }

  /**
   * Vacuums and analyzes every table with rows inserted, changed or dead since its last vacuum or
   * analyze. Returns PostgreSQL's counters over it, so a bracket around it can leave its WAL out.
   */
  async vacuum(): Promise<CounterDelta> {
    const ownBefore = this.db.ownQueries;
    const before = await this.db.sample();
    const tables = await this.db.query<{ name: string }>(
      `/*bench*/ SELECT relname AS name FROM pg_stat_user_tables
        WHERE schemaname = 'public' AND (n_mod_since_analyze > 0 OR n_ins_since_vacuum > 0 OR n_dead_tup > 0)
        ORDER BY relname`,
    );
    for (const { name } of tables) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) continue; // every table here is ours; never quote a surprise
      const owner = name.startsWith(BARE_TABLE_PREFIX) ? 'bare' : 'switchboard';
      const ticks = this.backendTicks();
      const startedAt = performance.now();
      await this.db.query(`VACUUM (ANALYZE) public.${name}`);
      const cpuMs = ((this.backendTicks() - ticks) * 1000) / clockTicks();
      const total = this.totalOf(owner);
      total.cpuMs += cpuMs;
      total.wallMs += performance.now() - startedAt;
      total.byTable.set(name, (total.byTable.get(name) ?? 0) + cpuMs);
    }
    for (const [pipeline, executions] of this.pending) this.totalOf(pipeline).executions += executions;
    this.pending.clear();
    return BenchDatabase.delta(before, await this.db.sample(), this.db.ownQueries - ownBefore);
  }

  summary(): Record<string, MaintenanceSummary> {
    const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;
    return Object.fromEntries([...this.totals].map(([pipeline, t]) => [pipeline, {
      executions: t.executions,
      cpuMs: round(t.cpuMs),
      wallMs: round(t.wallMs),
      cpuMsPerExecution: t.executions > 0 ? round(t.cpuMs / t.executions, 3) : NaN,
      byTable: [...t.byTable].map(([table, cpuMs]) => ({ table, cpuMs: round(cpuMs) })).sort((a, b) => b.cpuMs - a.cpuMs).slice(0, 6),
    }]));
  }

  private totalOf(pipeline: string): { executions: number; cpuMs: number; wallMs: number; byTable: Map<string, number> } {
    let total = this.totals.get(pipeline);
    if (!total) {
      total = { executions: 0, cpuMs: 0, wallMs: 0, byTable: new Map() };
      this.totals.set(pipeline, total);
    }
    return total;
  }

  /** utime + stime of the benchmark's own backend, in clock ticks. */
  private backendTicks(): number {
    return processTicks(this.backendPid).selfTicks;
  }
}

/** A bracket's counters less what a vacuum inside it did (its WAL is reported with the vacuum, not per execution). */
export function withoutMaintenance(counters: CounterDelta, vacuum: CounterDelta | undefined): CounterDelta {
  // Counter deltas subtract like samples: counters − vacuum.
  return vacuum ? BenchDatabase.delta(vacuum, counters, counters.ownQueries - vacuum.ownQueries) : counters;
}
