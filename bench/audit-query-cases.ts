import type { DataSource } from 'typeorm';
import { type AuditFilter, AuditQueryService, type AuditSealer } from '@switchboard/audit';
import { benchUuid } from './audit-dataset';
import type { BulkLoadResult } from './audit-bulk-load';

/** One filter of GET /api/v1/audit-events, as the query string an auditor's client sends. */
export interface FilterCase {
  name: string;
  query: Record<string, string>;
}

const DAY_MS = 86_400_000;

/** Every filter the endpoint has, at a common and a rare value, plus combinations auditors use. */
export async function filterCases(dataSource: DataSource, load: BulkLoadResult): Promise<FilterCase[]> {
  const first = Date.parse(load.firstOccurredAt);
  const last = Date.parse(load.lastOccurredAt);
  const iso = (ms: number): string => new Date(ms).toISOString();
  const halfYearAgo = first + Math.round((last - first) / 2);
  // A resource with a handful of events and one with many, picked from the middle of the log.
  const middle = ((BigInt(load.firstSeq) + BigInt(load.lastSeq)) / 2n).toString();
  const [execution] = (await dataSource.query(`SELECT resource_id AS id FROM audit_events WHERE seq > $1 AND resource_type = 'execution' ORDER BY seq LIMIT 1`, [middle])) as Array<{ id: string }>;
  const [procedure] = (await dataSource.query(`SELECT resource_id AS id FROM audit_events WHERE seq > $1 AND resource_type = 'procedure' ORDER BY seq LIMIT 1`, [middle])) as Array<{ id: string }>;
  const ci = benchUuid('user:ci-deployer');
  return [
    // The reference: everything the api does around a page, with the cheapest SQL there is.
    { name: 'no filter (newest events)', query: {} },
    { name: 'actor id (CI token, heavy)', query: { actor: ci } },
    { name: 'actor id (rare user)', query: { actor: benchUuid('user:auditor.kim') } },
    { name: 'actor name (worker)', query: { actor: 'worker:7f3a9c-1' } },
    { name: 'actor name (rare user)', query: { actor: 'auditor.kim' } },
    { name: 'action exact (execution.failed)', query: { action: 'execution.failed' } },
    { name: 'action exact (rare: role.created)', query: { action: 'role.created' } },
    { name: 'action prefix procedure.*', query: { action: 'procedure.*' } },
    { name: 'action prefix role.* (rare)', query: { action: 'role.*' } },
    { name: 'resourceType+resourceId (execution)', query: { resourceType: 'execution', resourceId: execution.id } },
    { name: 'resourceType+resourceId (procedure)', query: { resourceType: 'procedure', resourceId: procedure.id } },
    { name: 'resourceType only (team)', query: { resourceType: 'team' } },
    { name: 'project (busiest)', query: { project: benchUuid('project:0') } },
    { name: 'project (quietest)', query: { project: benchUuid(`project:199`) } },
    { name: 'outcome=denied', query: { outcome: 'denied' } },
    { name: 'outcome=succeeded (not indexed)', query: { outcome: 'succeeded' } },
    { name: 'from/to 1 day, 6 months ago', query: { from: iso(halfYearAgo), to: iso(halfYearAgo + DAY_MS) } },
    { name: 'from/to 30 days, 6 months ago', query: { from: iso(halfYearAgo), to: iso(halfYearAgo + 30 * DAY_MS) } },
    { name: 'from = last 24 h', query: { from: iso(last - DAY_MS) } },
    { name: 'actor id (CI) + action procedure.*', query: { actor: ci, action: 'procedure.*' } },
    { name: 'project (busiest) + outcome=failed', query: { project: benchUuid('project:0'), outcome: 'failed' } },
    { name: 'actor id (rare user) + outcome=succeeded', query: { actor: benchUuid('user:auditor.kim'), outcome: 'succeeded' } },
    { name: 'actor id (CI) + from/to 30 days', query: { actor: ci, from: iso(halfYearAgo), to: iso(halfYearAgo + 30 * DAY_MS) } },
    { name: 'action execution.failed + from/to 7 days', query: { action: 'execution.failed', from: iso(halfYearAgo), to: iso(halfYearAgo + 7 * DAY_MS) } },
  ];
}

/** What the controller hands the service for this query string, for an admin (no project scope). */
export function auditFilterOf(query: Record<string, string>): AuditFilter {
  return { ...query, from: query.from ? new Date(query.from) : undefined, to: query.to ? new Date(query.to) : undefined, projectIds: null };
}

export function queryString(query: Record<string, string>, extra: Record<string, string> = {}): string {
  return new URLSearchParams({ ...query, ...extra }).toString();
}

/** The bench loads its events already sealed; capturing SQL must not run the sealer's statements. */
const NO_SEALING = { sealAll: async () => 0, pending: async () => 0 } as unknown as AuditSealer;

export function cursorFor(seq: string): string {
  return Buffer.from(JSON.stringify(seq)).toString('base64url');
}

/** Something that runs SQL: a pg Client (rows in `.rows`) or a TypeORM DataSource (rows). */
interface Database {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * The exact SQL and parameters AuditQueryService runs for a page, captured without running it.
 * Its time-range probes (which turn from/to into seq bounds) do run, on `db`.
 */
export async function pageSql(db: Database, filter: AuditFilter, limit: number, beforeSeq: string | null): Promise<{ sql: string; params: unknown[] }> {
  let captured: { sql: string; params: unknown[] } | null = null;
  const recorder = {
    query: async (sql: string, params: unknown[]) => {
      if (/ORDER BY occurred_at, seq LIMIT 1|^WITH w AS/.test(sql.trim())) {
        const result = await db.query(sql, params);
        return Array.isArray(result) ? result : (result as { rows: unknown[] }).rows;
      }
      captured = { sql, params };
      return [];
    },
  } as unknown as DataSource;
  await new AuditQueryService(recorder, NO_SEALING).page(filter, limit, beforeSeq);
  if (!captured) throw new Error('AuditQueryService.page ran no query');
  return captured;
}

/**
 * The cursor of a deep page: the one an auditor holds after following nextCursor 100 pages
 * (5,000 events) back, or the middle of the matches when a filter has fewer than 10,000.
 */
export async function deepCursorSeq(dataSource: DataSource, filter: AuditFilter): Promise<string | null> {
  const rows = await new AuditQueryService(dataSource, NO_SEALING).page(filter, 10_000, null);
  if (rows.length < 2) return null;
  return rows.length === 10_000 ? rows[4_999].seq : rows[Math.floor(rows.length / 2)].seq;
}

/** How many events each filter matches, counted in one pass over the table. */
export async function matchCounts(dataSource: DataSource, filters: AuditFilter[]): Promise<number[]> {
  const params: unknown[] = [];
  const counts: string[] = [];
  for (const filter of filters) {
    const { sql, params: own } = await pageSql(dataSource, filter, 1, null);
    const where = sql.slice(sql.indexOf(' WHERE ') + 7, sql.lastIndexOf(' ORDER BY '));
    const offset = params.length;
    counts.push(`count(*) FILTER (WHERE ${where.replace(/\$(\d+)/g, (_m, n: string) => `$${Number(n) + offset}`)})`);
    params.push(...own.slice(0, -1));
  }
  const [row] = (await dataSource.query(`SELECT ${counts.map((c, i) => `${c} AS c${i}`).join(', ')} FROM audit_events e`, params)) as Array<Record<string, string>>;
  return filters.map((_, i) => Number(row[`c${i}`]));
}
