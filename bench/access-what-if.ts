import type { Client } from 'pg';
import { freePort } from '../scripts/local-stack';
import { ApiProcess } from './access-api';
import type { LoadGenerator } from './access-load';
import { measureThroughput, type QuietGate } from './access-measure';
import type { ThroughputEntry, WhatIfEntry } from './access-report';
import type { Catalog } from './access-seed';
import type { Teardown } from './teardown';

// Each adds one change on top of the previous, so the table reads as a path to the target.
export const WHAT_IF_STEPS = ['token-cache', 'token-cache,prepared', 'token-cache,prepared,raw-list', 'token-cache,prepared,raw-list,permissions-memo'];

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
 * The api as built next to one api process per step of WHAT_IF_STEPS (bench/access-what-if-hook.ts),
 * runner and admin catalog load on each, in interleaved rounds; the best round of each counts,
 * since other work on a shared machine only ever slows a run down.
 */
export async function measureWhatIf(ctx: WhatIfContext): Promise<WhatIfEntry[]> {
  ctx.log(`what if: starting ${WHAT_IF_STEPS.length} api processes with run-time stand-ins for the suggested changes`);
  const patched = await Promise.all(WHAT_IF_STEPS.map(async (patches, index) =>
    ApiProcess.start({ name: `api what-if ${index + 1}`, port: await freePort(), env: ctx.apiEnv, whatIf: patches }, ctx.teardown)));
  try {
    const variants = [{ patches: 'none (as built)', api: ctx.api }, ...WHAT_IF_STEPS.map((patches, i) => ({ patches, api: patched[i] }))];
    const callers = [
      { name: 'runner token (1 visible)', session: ctx.catalog.runner.token },
      { name: 'admin token (50 of 10,001)', session: ctx.catalog.admin.token },
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
