import type { Client } from 'pg';
import { freePort } from '../scripts/local-stack';
import { ApiProcess } from './access-api';
import type { LoadGenerator } from './access-load';
import { measureThroughput, type QuietGate } from './access-measure';
import type { ThroughputEntry, WhatIfEntry } from './access-report';
import type { Catalog } from './access-seed';
import type { Teardown } from './teardown';

/** One api process to compare with the api as built: other settings, run-time stand-ins, or other sources. */
export interface WhatIfVariant {
  name: string;
  /** Added to the api's environment. */
  env?: Record<string, string>;
  /** Stand-ins of bench/access-what-if-hook.ts, comma-separated. */
  patches?: string;
  /** Another checkout to run the api from (its own sources and tsconfig; this run's database schema). */
  root?: string;
}

/**
 * What is measured against the api as built. BENCH_ACCESS_BASELINE_DIR adds an api run from another
 * checkout (e.g. `git archive <commit> | tar -x -C dir`, with node_modules linked), to compare
 * versions under the same load and noise, side by side.
 */
export function whatIfVariants(): WhatIfVariant[] {
  const baseline = process.env.BENCH_ACCESS_BASELINE_DIR;
  return [
    ...(baseline ? [{ name: `baseline (${baseline})`, root: baseline }] : []),
    { name: 'pool of 4 PostgreSQL connections instead of 10', env: { SWITCHBOARD_DB_POOL_SIZE: '4' } },
    { name: 'session cookies cached for 5 s', patches: 'session-cache' },
  ];
}

export interface WhatIfContext {
  api: ApiProcess;
  apiEnv: Record<string, string>;
  teardown: Teardown;
  load: LoadGenerator;
  db: Client;
  gate: QuietGate;
  components: Record<string, number | 'self'>;
  catalog: Catalog;
  connections: number;
  seconds: number;
  rounds: number;
  log: (line: string) => void;
}

/**
 * The api as built next to one api process per variant of whatIfVariants(), the same catalog load
 * on each, in interleaved rounds; the best round of each counts, since other work on a shared
 * machine only ever slows a run down.
 */
export async function measureWhatIf(ctx: WhatIfContext): Promise<WhatIfEntry[]> {
  const steps = whatIfVariants();
  ctx.log(`what if: starting ${steps.length} api processes: ${steps.map((v) => v.name).join('; ')}`);
  const patched = await Promise.all(steps.map(async (variant, index) =>
    ApiProcess.start({
      name: `api what-if ${index + 1}`, port: await freePort(), env: { ...ctx.apiEnv, ...variant.env }, whatIf: variant.patches, root: variant.root,
    }, ctx.teardown)));
  try {
    const variants = [{ patches: 'as built', api: ctx.api }, ...steps.map((variant, i) => ({ patches: variant.name, api: patched[i] }))];
    const callers = [
      { name: 'runner token (1 visible)', session: ctx.catalog.runner.token },
      { name: 'admin token (50 of 10,001)', session: ctx.catalog.admin.token },
      { name: 'runner session cookie', session: ctx.catalog.runner.cookie },
    ];
    // A fresh process needs a few seconds of load before V8 has optimised the hot paths; api 1 had minutes.
    for (const variant of patched) {
      for (const caller of callers) {
        await ctx.load.run({
          targets: [{ host: '127.0.0.1', port: variant.port }], path: '/api/v1/procedures', headers: caller.session.headers(),
          connections: ctx.connections, expectStatus: 200, durationMs: 2_000, warmupMs: 0,
        });
      }
    }
    const runs = new Map<string, ThroughputEntry[]>();
    for (let round = 1; round <= ctx.rounds; round += 1) {
      for (const variant of variants) {
        for (const caller of callers) {
          const entry = await measureThroughput(
            { name: caller.name, path: '/api/v1/procedures', session: caller.session, connections: ctx.connections, apis: [variant.api] },
            ctx.load, ctx.db, ctx.gate, { ...ctx.components, api: variant.api.pid }, { seconds: ctx.seconds, warmupSeconds: 0.5 },
          );
          ctx.log(`what if ${variant.patches}, ${caller.name}, round ${round}: ${entry.result.perSecond} req/s, capacity ${entry.capacityPerSecond}/s, not ours ${Math.round((entry.cpuShare.other ?? 0) * 100)}%`);
          const key = `${variant.patches}|${caller.name}`;
          runs.set(key, [...(runs.get(key) ?? []), entry]);
        }
      }
    }
    return variants.map((variant) => ({
      patches: variant.patches,
      runs: callers.map((caller) => {
        const all = runs.get(`${variant.patches}|${caller.name}`) ?? [];
        const best = all.reduce((a, e) => (e.result.perSecond > a.result.perSecond ? e : a));
        return { ...best, roundsPerSecond: all.map((e) => e.result.perSecond) };
      }),
    }));
  } finally {
    await Promise.all(patched.map((p) => p.stop()));
  }
}
