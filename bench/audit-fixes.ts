import type { Client } from 'pg';
import type { AuditApiClient } from './audit-api';
import { auditFilterOf, cursorFor, pageSql, queryString } from './audit-query-cases';
import { explain, type FilterResult, PAGE_LIMIT, type PlanCapture, type SampleBudget, timePage } from './audit-query-latency';
import { elapsedMs, type LatencySummary, summarize } from './audit-stats';

/**
 * Candidate fixes for the pages that missed the target, tried on this throw-away database with
 * plain SQL (the product code is not changed): an index, or the page query rewritten. Each is
 * timed against the product's own SQL for the same filter and cursor.
 */
export interface FixTrial {
  fix: string;
  filter: string;
  position: 'first' | 'deep' | 'export first batch' | 'verify bounds';
  before: LatencySummary;
  after: LatencySummary;
  /** Whether the fix returned exactly the rows (seqs, in order) the product's SQL returns. */
  sameRows: boolean;
  /** Through the api, for fixes the product picks up as it is (an index). */
  httpAfter?: LatencySummary;
  afterPlan: string;
  afterSql: string;
}

export const FIX_DDL = {
  actorName: 'CREATE INDEX audit_events_actor_name_idx ON audit_events (actor_name, seq)',
  actionPattern: 'CREATE INDEX audit_events_action_pattern_idx ON audit_events (action text_pattern_ops, seq)',
};

const MAX_SEQ = '9223372036854775807';

/** Wall time through a plain connection (what the api's pool sees, without HTTP). */
export async function timeSql(pg: Client, runner: Runner, budget: SampleBudget): Promise<LatencySummary> {
  await runner.run(pg);
  const samples: number[] = [];
  const started = Date.now();
  while (samples.length < budget.max && (samples.length < budget.min || Date.now() - started < budget.budgetMs)) {
    const t = process.hrtime.bigint();
    await runner.run(pg);
    samples.push(elapsedMs(t));
  }
  return summarize(samples);
}

/**
 * The time range turned into a seq range: one probe of audit_events_occurred_at_idx per bound
 * (one extra round trip), then the product's SQL with `occurred_at >= $from` / `occurred_at < $to`
 * replaced by `seq >= $lo` / `seq < $hi`, so the planner sees a plain seq range it can walk
 * newest-first on the primary key (or on any (x, seq) index). Exact when occurred_at never
 * decreases along seq — true of this data set, and of the product if AuditWriter stamped
 * occurred_at = greatest(now, previous event's) under the head row lock it already holds (today it
 * is only nearly so: the clocks of different hosts may disagree).
 */
export function withSeqBounds(statement: { sql: string; params: unknown[] }): Runner {
  const { sql, params } = statement;
  const fromParam = /occurred_at >= \$(\d+)/.exec(sql)?.[1];
  const toParam = /occurred_at < \$(\d+)/.exec(sql)?.[1];
  const rewritten = sql.replace(/occurred_at >= \$(\d+)/, 'seq >= $$$1').replace(/occurred_at < \$(\d+)/, 'seq < $$$1');
  // The upper probe skips events before the lower bound: a no-op when occurred_at is monotonic, and
  // it steps over this data set's one exception, the seed event (seq 1) stamped at setup time.
  const probe = `WITH lo AS (SELECT seq FROM audit_events WHERE occurred_at >= $1 ORDER BY occurred_at, seq LIMIT 1)
    SELECT (SELECT seq FROM lo)::text AS lo,
           (SELECT seq FROM audit_events WHERE occurred_at >= $2 AND seq >= coalesce((SELECT seq FROM lo), 0) ORDER BY occurred_at, seq LIMIT 1)::text AS hi`;
  const boundsOf = async (pg: Client): Promise<unknown[]> => {
    const from = fromParam ? params[Number(fromParam) - 1] : null;
    const to = toParam ? params[Number(toParam) - 1] : null;
    const [bounds] = (await pg.query(probe, [from, to])).rows as Array<{ lo: string | null; hi: string | null }>;
    const next = [...params];
    // No event at or after `from`: nothing matches. None at or after `to`: no upper bound.
    if (fromParam) next[Number(fromParam) - 1] = bounds.lo ?? MAX_SEQ;
    if (toParam) next[Number(toParam) - 1] = bounds.hi ?? MAX_SEQ;
    return next;
  };
  return {
    sql: `${probe};\n${rewritten}`,
    run: async (pg) => (await pg.query(rewritten, await boundsOf(pg))).rows,
    explain: async (pg) => explain(pg, rewritten, await boundsOf(pg)),
  };
}

/** One way of answering a page: its statements, run as the api would, and the plan of the last. */
export interface Runner {
  sql: string;
  /** Runs it and returns the rows (to check a rewrite answers what the original does). */
  run(pg: Client): Promise<unknown[]>;
  explain(pg: Client): Promise<{ plan: string; executionMs: number }>;
}

export function plainSql(statement: { sql: string; params: unknown[] }): Runner {
  return {
    sql: statement.sql,
    run: async (pg) => (await pg.query(statement.sql, statement.params)).rows,
    explain: (pg) => explain(pg, statement.sql, statement.params),
  };
}

/**
 * Page SQL for an action prefix as one small index scan per matching action (found by a loose
 * scan of audit_events_action_idx, ~40 probes), merged: the cost no longer depends on how rare
 * the prefix is.
 */
export function perActionPrefix(statement: { sql: string; params: unknown[] }): Runner {
  const { sql, params } = statement;
  const likeParam = params.findIndex((p) => typeof p === 'string' && p.endsWith('%')) + 1;
  const limitParam = params.length;
  const inner = sql.replace(' WHERE ', ' WHERE audit_events.action = a.action AND ');
  return plainSql({
    sql: `WITH RECURSIVE actions(action) AS (
        (SELECT action FROM audit_events ORDER BY action LIMIT 1)
        UNION ALL
        SELECT (SELECT e.action FROM audit_events e WHERE e.action > a.action ORDER BY e.action LIMIT 1) FROM actions a WHERE a.action IS NOT NULL)
      SELECT page.* FROM actions a CROSS JOIN LATERAL (${inner}) page
       WHERE a.action LIKE $${likeParam} ESCAPE '\\' ORDER BY page.seq::bigint DESC LIMIT $${limitParam}`,
    params,
  });
}

export interface FixContext {
  pg: Client;
  client: AuditApiClient;
  results: FilterResult[];
  /** Plans of the missed pages: only those whose SQL itself is slow get a fix tried. */
  plans: PlanCapture[];
  budget: SampleBudget;
  /** The export measured earlier, and the verify range. */
  exportQuery: Record<string, string>;
  exportLabel: string;
  verifyTo: string;
  log: (line: string) => void;
}

function sameAnswer(a: unknown[], b: unknown[]): boolean {
  const key = (rows: unknown[]): string => JSON.stringify(rows.map((row) => (row as { seq?: unknown }).seq ?? row));
  return a.length > 0 && key(a) === key(b);
}

/** A page whose SQL runs at least this long is slow because of the database, not the api around it. */
export const SQL_BOUND_MS = 10;

export async function tryFixes(context: FixContext): Promise<FixTrial[]> {
  const { pg, results, budget, log } = context;
  const trials: FixTrial[] = [];
  const missed = (result: FilterResult): Array<'first' | 'deep'> =>
    (['first', 'deep'] as const).filter((p) => context.plans.some((plan) => plan.filter === result.name && plan.position === p && plan.executionMs >= SQL_BOUND_MS));
  const pageOf = async (result: FilterResult, position: 'first' | 'deep') =>
    pageSql(pg, auditFilterOf(result.query), PAGE_LIMIT + 1, position === 'deep' ? result.deep!.cursorSeq : null);

  const trial = async (fix: string, filter: string, position: FixTrial['position'], before: Runner, after: Runner): Promise<FixTrial> => {
    const sameRows = sameAnswer(await before.run(pg), await after.run(pg));
    const beforeLatency = await timeSql(pg, before, budget);
    const afterLatency = await timeSql(pg, after, budget);
    const { plan } = await after.explain(pg);
    log(`  ${fix} — ${filter} (${position}): p95 ${beforeLatency.p95} → ${afterLatency.p95} ms${sameRows ? '' : ' — DIFFERENT ROWS'}`);
    return { fix, filter, position, before: beforeLatency, after: afterLatency, sameRows, afterPlan: plan, afterSql: after.sql };
  };

  // Time ranges → seq ranges (query rewrite; needs monotonic occurred_at).
  for (const result of results.filter((r) => r.query.from || r.query.to)) {
    for (const position of missed(result)) {
      const page = await pageOf(result, position);
      trials.push(await trial('time range as seq range (rewrite)', result.name, position, plainSql(page), withSeqBounds(page)));
    }
  }
  // Action prefixes → one index scan per matching action (query rewrite).
  const prefixMisses = results.filter((r) => r.query.action?.endsWith('*') && missed(r).length > 0);
  for (const result of prefixMisses) {
    for (const position of missed(result)) {
      const page = await pageOf(result, position);
      trials.push(await trial('action prefix per action (rewrite)', result.name, position, plainSql(page), perActionPrefix(page)));
    }
  }
  // Indexes (no query change): every before first, then the index, then every after, also through the api.
  const indexTrials = async (fix: string, ddl: string, misses: FilterResult[], keep: boolean): Promise<void> => {
    if (misses.length === 0) return;
    log(`  ${ddl}`);
    const pages = misses.flatMap((result) => missed(result).map((position) => ({ result, position })));
    const before: LatencySummary[] = [];
    for (const { result, position } of pages) before.push(await timeSql(pg, plainSql(await pageOf(result, position)), budget));
    const started = Date.now();
    await pg.query(ddl);
    const buildMs = Date.now() - started;
    await pg.query('ANALYZE audit_events');
    const [size] = (await pg.query(`SELECT pg_relation_size($1::regclass) AS bytes`, [/CREATE INDEX (\S+)/.exec(ddl)![1]])).rows as Array<{ bytes: string }>;
    log(`  built in ${(buildMs / 1000).toFixed(1)} s, ${(Number(size.bytes) / 1024 / 1024).toFixed(0)} MB`);
    for (const [i, { result, position }] of pages.entries()) {
      const page = plainSql(await pageOf(result, position));
      const after = await timeSql(pg, page, budget);
      const base = `/api/v1/audit-events?${queryString(result.query, { limit: String(PAGE_LIMIT) })}`;
      const http = await timePage(context.client, position === 'deep' ? `${base}&cursor=${cursorFor(result.deep!.cursorSeq!)}` : base, budget);
      const { plan } = await page.explain(pg);
      log(`  ${fix} — ${result.name} (${position}): p95 ${before[i].p95} → ${after.p95} ms (through the api ${http.latency.p95} ms)`);
      trials.push({
        fix: `${fix} [${(buildMs / 1000).toFixed(0)} s to build, ${(Number(size.bytes) / 1024 / 1024).toFixed(0)} MB]`, filter: result.name, position,
        before: before[i], after, sameRows: true, httpAfter: http.latency, afterPlan: plan, afterSql: page.sql,
      });
    }
    if (!keep) await pg.query(`DROP INDEX ${/CREATE INDEX (\S+)/.exec(ddl)![1]}`);
  };
  await indexTrials('index (action text_pattern_ops, seq)', FIX_DDL.actionPattern, prefixMisses, false);
  const nameMisses = results.filter((r) => r.query.actor && !/^[0-9a-f-]{36}$/i.test(r.query.actor) && missed(r).length > 0);
  await indexTrials('index (actor_name, seq)', FIX_DDL.actorName, nameMisses, true);

  return trials;
}
