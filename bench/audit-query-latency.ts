import type { Client } from 'pg';
import type { DataSource } from 'typeorm';
import type { AuditApiClient } from './audit-api';
import { auditFilterOf, cursorFor, deepCursorSeq, type FilterCase, matchCounts, pageSql, queryString } from './audit-query-cases';
import { type LatencySummary, summarize } from './audit-stats';

export const PAGE_LIMIT = 50;
export const TARGET_P95_MS = 50;

export interface SampleBudget {
  /** Requests per measurement at most… */
  max: number;
  /** …and at least, however slow they are… */
  min: number;
  /** …stopping between the two once this much time went by. */
  budgetMs: number;
}

export interface PagePosition {
  /** The cursor's seq; null for the first page. */
  cursorSeq: string | null;
  latency: LatencySummary;
  rows: number;
  meetsTarget: boolean;
}

export interface FilterResult {
  name: string;
  query: Record<string, string>;
  matches: number;
  first: PagePosition;
  deep: PagePosition | null;
}

export interface PlanCapture {
  filter: string;
  position: 'first' | 'deep';
  sql: string;
  params: unknown[];
  plan: string;
  executionMs: number;
}

/** Times one page through HTTP: a few warm-up requests, then `budget` worth of samples. */
export async function timePage(client: AuditApiClient, path: string, budget: SampleBudget): Promise<{ latency: LatencySummary; rows: number }> {
  let rows = 0;
  const get = async (): Promise<number> => {
    const response = await client.get<{ items: unknown[] }>(path);
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${JSON.stringify(response.body).slice(0, 300)}`);
    rows = response.body.items.length;
    return response.ms;
  };
  for (let i = 0; i < 2; i += 1) await get();
  const samples: number[] = [];
  const started = Date.now();
  while (samples.length < budget.max && (samples.length < budget.min || Date.now() - started < budget.budgetMs)) samples.push(await get());
  return { latency: summarize(samples), rows };
}

/**
 * First page and a deep page of every filter, through the api, newest first, limit 50 — the
 * requests an auditor's browser makes. Plans of the ones over the target are captured after.
 */
export async function measureFilters(
  client: AuditApiClient,
  dataSource: DataSource,
  cases: FilterCase[],
  budget: SampleBudget,
  log: (line: string) => void,
): Promise<FilterResult[]> {
  log(`counting what each of ${cases.length} filters matches`);
  const counts = await matchCounts(dataSource, cases.map((c) => auditFilterOf(c.query)));
  const results: FilterResult[] = [];
  for (const [i, filterCase] of cases.entries()) {
    const base = `/api/v1/audit-events?${queryString(filterCase.query, { limit: String(PAGE_LIMIT) })}`;
    const first = await timePage(client, base, budget);
    const deepSeq = await deepCursorSeq(dataSource, auditFilterOf(filterCase.query));
    const deep = deepSeq ? await timePage(client, `${base}&cursor=${cursorFor(deepSeq)}`, budget) : null;
    const position = (cursorSeq: string | null, measured: { latency: LatencySummary; rows: number }): PagePosition => ({
      cursorSeq, ...measured, meetsTarget: measured.latency.p95 <= TARGET_P95_MS,
    });
    results.push({
      name: filterCase.name,
      query: filterCase.query,
      matches: counts[i],
      first: position(null, first),
      deep: deep ? position(deepSeq, deep) : null,
    });
    log(`  ${filterCase.name}: first p95 ${first.latency.p95} ms${deep ? `, deep p95 ${deep.latency.p95} ms` : ''} (${counts[i].toLocaleString('en')} matches)`);
  }
  return results;
}

/** EXPLAIN (ANALYZE, BUFFERS) of the SQL the api ran for every page that missed the target. */
export async function explainMisses(pg: Client, results: FilterResult[]): Promise<PlanCapture[]> {
  const plans: PlanCapture[] = [];
  for (const result of results) {
    for (const position of ['first', 'deep'] as const) {
      const page = result[position];
      if (!page || page.meetsTarget) continue;
      const { sql, params } = await pageSql(pg, auditFilterOf(result.query), PAGE_LIMIT + 1, page.cursorSeq);
      plans.push({ filter: result.name, position, sql, params, ...(await explain(pg, sql, params)) });
    }
  }
  return plans;
}

export async function explain(pg: Client, sql: string, params: unknown[]): Promise<{ plan: string; executionMs: number }> {
  const rows = (await pg.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params)).rows as Array<{ 'QUERY PLAN': string }>;
  const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
  return { plan, executionMs: Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? Number.NaN) };
}
