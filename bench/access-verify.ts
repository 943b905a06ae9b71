import type { Client } from 'pg';
import { ACCESS_INVALIDATION_CHANNEL, createRedisConnection } from '@switchboard/core';
import { type PlanSummary, renderPlan, summarizePlan } from './access-plan';
import { type LoggedPlan, parseLoggedPlans, type PostgresLog } from './access-postgres-log';
import type { AccessSession } from './access-session';
import type { Catalog } from './access-seed';
import type { LoadGenerator, LoadResult, LoadTarget } from './access-load';
import { OWN, readStatements, resetStatements } from './access-statements';

interface CatalogItem {
  id: string;
  projectId: string;
  name: string;
  permissions: Record<string, boolean>;
}

interface CatalogPage {
  items: CatalogItem[];
  nextCursor: string | null;
}

export interface Visibility {
  runner: { items: number; ids: string[]; permissions: Record<string, boolean> | null };
  admin: { total: number; firstPage: number; firstPageHasNext: boolean; pages: number };
  viewer: { total: number; onlyItsProject: boolean; pages: number };
  problems: string[];
}

/** Pages through the whole catalog as one caller (limit 500, the API's maximum). */
async function pageAll(session: AccessSession): Promise<{ items: CatalogItem[]; pages: number }> {
  const items: CatalogItem[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: CatalogPage = await session.get<CatalogPage>(`/api/v1/procedures?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.items);
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor && pages < 1_000);
  return { items, pages };
}

/** What each caller sees of the catalog, checked against what the bindings allow. */
export async function verifyVisibility(catalog: Catalog): Promise<Visibility> {
  const problems: string[] = [];
  const runnerPage = await catalog.runner.token.get<CatalogPage>('/api/v1/procedures');
  const runnerCookiePage = await catalog.runner.cookie.get<CatalogPage>('/api/v1/procedures');
  if (runnerPage.items.length !== 1 || runnerPage.items[0].id !== catalog.needleId) {
    problems.push(`the runner's token sees ${runnerPage.items.length} procedures (${runnerPage.items.slice(0, 3).map((i) => i.name).join(', ')}), expected only the needle`);
  }
  if (runnerCookiePage.items.length !== 1 || runnerCookiePage.items[0].id !== catalog.needleId) problems.push(`the runner's session sees ${runnerCookiePage.items.length} procedures, expected 1`);
  const permissions = runnerPage.items[0]?.permissions ?? null;
  if (permissions && (!permissions.run || permissions.read)) problems.push(`the runner's permissions on the needle are ${JSON.stringify(permissions)}; expected run without read`);

  const adminFirst = await catalog.admin.token.get<CatalogPage>('/api/v1/procedures');
  const adminAll = await pageAll(catalog.admin.token);
  if (adminAll.items.length !== catalog.total) problems.push(`the admin pages through ${adminAll.items.length} procedures, expected ${catalog.total}`);
  if (new Set(adminAll.items.map((i) => i.id)).size !== adminAll.items.length) problems.push('the admin saw a procedure twice while paging');
  if (adminFirst.items.length !== 50 || !adminFirst.nextCursor) problems.push(`the admin's first page holds ${adminFirst.items.length} items (next: ${String(adminFirst.nextCursor)}), expected 50 and a cursor`);

  const viewerAll = await pageAll(catalog.viewer.token);
  const onlyItsProject = viewerAll.items.every((i) => i.projectId === catalog.viewerProjectId);
  if (viewerAll.items.length !== catalog.viewerVisible || !onlyItsProject) {
    problems.push(`the viewer pages through ${viewerAll.items.length} procedures (only its project: ${String(onlyItsProject)}), expected ${catalog.viewerVisible} of its project`);
  }
  return {
    runner: { items: runnerPage.items.length, ids: runnerPage.items.map((i) => i.id), permissions },
    admin: { total: adminAll.items.length, firstPage: adminFirst.items.length, firstPageHasNext: adminFirst.nextCursor !== null, pages: adminAll.pages },
    viewer: { total: viewerAll.items.length, onlyItsProject, pages: viewerAll.pages },
    problems,
  };
}

export interface CapturedStatement {
  durationMs: number;
  query: string;
  parameters: string | null;
}

export interface CallerPlan {
  caller: string;
  /** Statements of the first request after the grant and token caches were emptied. */
  coldStatements: CapturedStatement[];
  /** Statements of the next request: the steady state. */
  warmStatements: CapturedStatement[];
  /** The catalog query of the warm request, as PostgreSQL ran it. */
  listQuery: CapturedStatement;
  planText: string[];
  summary: PlanSummary;
}

const ACL_COLUMNS = /\b(id|project_id)\s*=\s*ANY\b/;

function asStatement(p: LoggedPlan): CapturedStatement {
  return { durationMs: p.durationMs, query: p.queryText.replace(/\s+/g, ' ').trim(), parameters: p.parameters };
}

/**
 * auto_explain on for every session (log_min_duration 0, ANALYZE, BUFFERS, JSON), a cold and a
 * warm catalog request per caller, auto_explain off again. The plans are PostgreSQL's own, for the
 * SQL and parameters the api sent. The catalog query is a named prepared statement, for which
 * PostgreSQL keeps choosing a custom plan, made for those parameters (bench/ACCESS.md).
 */
export async function capturePlans(
  db: Client, log: PostgresLog, redisUrl: string,
  callers: Array<{ name: string; session: AccessSession; path: string }>,
): Promise<CallerPlan[]> {
  const settings = { log_min_duration: '0', log_analyze: 'on', log_buffers: 'on', log_timing: 'on', log_format: 'json', log_nested_statements: 'off' };
  const redis = createRedisConnection(redisUrl, { name: 'bench-access' });
  try {
    for (const [name, value] of Object.entries(settings)) await db.query(`ALTER SYSTEM SET auto_explain.${name} = '${value}' ${OWN}`);
    await db.query(`SELECT pg_reload_conf() ${OWN}`);
    // Backends apply a reload before their next command; the api's are idle, give the signal time.
    await new Promise((r) => setTimeout(r, 500));
    const plans: CallerPlan[] = [];
    for (const caller of callers) {
      // Empties the grant and token caches of every api process, as a change to everyone's access would.
      await redis.publish(ACCESS_INVALIDATION_CHANNEL, '*');
      await new Promise((r) => setTimeout(r, 100));
      const cold = await log.capture(db, () => caller.session.get(caller.path));
      const warm = await log.capture(db, () => caller.session.get(caller.path));
      const coldPlans = parseLoggedPlans(cold.text);
      const warmPlans = parseLoggedPlans(warm.text);
      const list = warmPlans.find((p) => /FROM "?procedures"?\s/i.test(p.queryText));
      if (!list) throw new Error(`no catalog query in the PostgreSQL log for ${caller.name}; logged:\n${warm.text.slice(0, 2_000)}`);
      plans.push({
        caller: caller.name,
        coldStatements: coldPlans.map(asStatement),
        warmStatements: warmPlans.map(asStatement),
        listQuery: asStatement(list),
        planText: renderPlan(list.plan),
        summary: summarizePlan(list.plan, ACL_COLUMNS),
      });
    }
    return plans;
  } finally {
    for (const name of Object.keys(settings)) await db.query(`ALTER SYSTEM RESET auto_explain.${name} ${OWN}`).catch(() => undefined);
    await db.query(`SELECT pg_reload_conf() ${OWN}`).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    redis.disconnect();
  }
}

export interface TokenUseAudit {
  token: string;
  events: number;
  /** Seconds between its first and last token.used event. */
  spanSeconds: number;
  /** What "audited at most once a minute per token" allows over that span. */
  allowed: number;
}

/** token.used audit events per token over the whole run, against the once-a-minute rule. */
export async function tokenUseAudit(db: Client): Promise<TokenUseAudit[]> {
  const { rows } = await db.query<{ token: string; events: number; span: number }>(
    `SELECT t.name AS token, count(*)::int AS events, extract(epoch FROM max(e.occurred_at) - min(e.occurred_at))::float8 AS span
       FROM audit_events e JOIN api_tokens t ON t.id::text = e.resource_id
      WHERE e.action = 'token.used' GROUP BY t.name ORDER BY t.name ${OWN}`,
  );
  return rows.map((r) => ({ token: r.token, events: r.events, spanSeconds: Math.round(r.span), allowed: Math.floor(r.span / 60) + 1 }));
}

export interface TouchStampede {
  caller: string;
  connections: number;
  /** UPDATEs of last_used_at / last_seen_at the requests made after the row was made due (expected: 1). */
  touches: number;
  touchMeanMs: number;
  /** token.used audit events written meanwhile (expected: at most 1). */
  auditEvents: number;
  latency: LoadResult['latency'];
  perSecond: number;
}

/**
 * The once-a-minute "touch" under concurrency: a load of `connections` requests with one
 * credential, during which the benchmark makes the credential due for its touch (last used two
 * minutes ago), as happens every minute in production. Counts the writes that follow.
 */
export async function touchStampede(
  db: Client, load: LoadGenerator, target: LoadTarget,
  caller: { name: string; session: AccessSession; makeDue: string; touch: RegExp },
  connections: number,
): Promise<TouchStampede> {
  const countEvents = async (): Promise<number> =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'token.used' ${OWN}`)).rows[0].n;
  const before = await countEvents();
  await resetStatements(db);
  // A process keeps a resolved token for 5 s, so it may find the token due up to 5 s after it is made due.
  const running = load.run({ targets: [target], path: '/api/v1/procedures', headers: caller.session.headers(), connections, expectStatus: 200, durationMs: 8_000, warmupMs: 0 });
  await new Promise((r) => setTimeout(r, 1_000));
  await db.query(`${caller.makeDue} ${OWN}`);
  const result = await running;
  const statements = await readStatements(db, Math.max(1, result.completedTotal));
  const touches = statements.statements.filter((s) => caller.touch.test(s.query));
  const calls = touches.reduce((a, s) => a + s.calls, 0);
  return {
    caller: caller.name,
    connections,
    touches: calls,
    touchMeanMs: Math.round((touches.reduce((a, s) => a + s.meanMs * s.calls, 0) / Math.max(1, calls)) * 10) / 10,
    auditEvents: (await countEvents()) - before,
    latency: result.latency,
    perSecond: result.perSecond,
  };
}
