import { createHash } from 'node:crypto';

/**
 * The synthetic year of audit events the query benchmark runs on: who acts, what they do, on
 * what, in which project. Every choice is a deterministic function of the event's seq (hashed in
 * SQL), so the generator is one INSERT … SELECT FROM generate_series, and the same SELECT feeds
 * the part of the log whose hashes are computed for real (see audit-bulk-load.ts).
 */

/** Slots per distribution: a weight of 1/SLOTS (0.01 %) is the smallest share a value can have. */
const SLOTS = 10_000;

export interface ActorSpec {
  type: 'user' | 'token' | 'system' | 'anonymous';
  id: string | null;
  name: string;
  tokenId: string | null;
  userAgent: string | null;
  ip: string | null;
  /** Share of all events, before normalisation. */
  weight: number;
}

export interface ActionSpec {
  name: string;
  resourceType: string | null;
  outcome: 'succeeded' | 'failed' | 'denied' | 'allowed';
  /** Whether the event belongs to a project. */
  inProject: boolean;
  /** Which actors do it: people and tokens through the api, or the system and workers. */
  by: 'api' | 'system' | 'anonymous';
  weight: number;
}

/** Deterministic UUIDs, so two runs build the same data set. */
export function benchUuid(label: string): string {
  const hex = createHash('md5').update(`audit-bench:${label}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const CLI = 'switchboard-cli/0.4.2 (linux; node 20.19.0)';
const FIRST_NAMES = [
  'amara', 'bjorn', 'chen', 'dana', 'emeka', 'farah', 'goran', 'hana', 'ivan', 'jules', 'kofi', 'lena', 'mateo', 'nadia', 'omar',
  'priya', 'quinn', 'rosa', 'sven', 'tariq', 'uma', 'viktor', 'wen', 'ximena', 'yusuf', 'zoe', 'arjun', 'beatriz', 'cyril', 'dmitri',
  'elif', 'femi', 'greta', 'hugo', 'ines', 'jonas', 'kira', 'luca',
];

/**
 * ~50 actors: a CI token and the system/workers produce most events, two people are very busy,
 * 38 people follow a Zipf tail (6 % down to 0.13 % of events) and one auditor almost never acts.
 */
export function actors(): ActorSpec[] {
  const list: ActorSpec[] = [];
  const user = (name: string, weight: number, index: number): ActorSpec => ({
    type: 'user', id: benchUuid(`user:${name}`), name, tokenId: null, userAgent: BROWSER, ip: `10.20.${index % 250}.${(index * 7) % 250}`, weight,
  });
  const token = (name: string, weight: number, index: number): ActorSpec => ({
    type: 'token', id: benchUuid(`user:${name}`), name, tokenId: benchUuid(`token:${name}`), userAgent: CLI, ip: `10.30.0.${index}`, weight,
  });
  list.push(token('ci-deployer', 22, 1));
  list.push({ type: 'system', id: null, name: 'system', tokenId: null, userAgent: null, ip: null, weight: 5 });
  for (const [i, w] of ['7f3a9c', '1b2e4d', 'c0ffee', '9d8e7f'].entries()) {
    list.push({ type: 'system', id: null, name: `worker:${w}-${i + 1}`, tokenId: null, userAgent: null, ip: null, weight: 4 });
  }
  list.push(user('alice.ops', 10, 1));
  list.push(user('bob.sre', 6, 2));
  list.push({ type: 'anonymous', id: null, name: 'anonymous', tokenId: null, userAgent: 'python-requests/2.32.3', ip: '203.0.113.50', weight: 2 });
  list.push(token('backup-bot', 3, 2));
  list.push(token('monitoring-hook', 3, 3));
  list.push(token('terraform', 3, 4));
  const tail = FIRST_NAMES.map((_, i) => 1 / (i + 3) ** 1.5);
  const tailSum = tail.reduce((a, b) => a + b, 0);
  FIRST_NAMES.forEach((name, i) => list.push(user(name, (30 * tail[i]) / tailSum, i + 3)));
  // Someone who almost never acts (0.01 %): the hardest actor to page through.
  list.push(user('auditor.kim', 0.01, 99));
  return list;
}

/** ~40 actions across 12 prefixes: runs dominate, changes to roles and teams are rare. */
export function actions(): ActionSpec[] {
  const a = (name: string, resourceType: string | null, weight: number, extra: Partial<ActionSpec> = {}): ActionSpec => ({
    name, resourceType, weight, outcome: 'succeeded', inProject: false, by: 'api', ...extra,
  });
  const run = { inProject: true };
  const sys = { inProject: true, by: 'system' as const };
  return [
    a('execution.queued', 'execution', 16, run),
    a('execution.cancel_requested', 'execution', 0.4, run),
    a('execution.approval_requested', 'execution', 0.8, run),
    a('execution.approved', 'execution', 0.6, { ...run, outcome: 'allowed' }),
    a('execution.rejected', 'execution', 0.1, run),
    a('execution.retried', 'execution', 0.3, run),
    a('execution.started', 'execution', 16, sys),
    a('execution.succeeded', 'execution', 13.5, sys),
    a('execution.failed', 'execution', 2, { ...sys, outcome: 'failed' }),
    a('execution.canceled', 'execution', 0.4, sys),
    a('execution.timed_out', 'execution', 0.1, { ...sys, outcome: 'failed' }),
    a('execution.reconciled', 'execution', 0.05, sys),
    a('worker.stopped', 'worker', 0.02, { by: 'system' }),
    a('notification.sent', 'delivery', 8, sys),
    a('notification.failed', 'delivery', 0.3, { ...sys, outcome: 'failed' }),
    a('procedure.created', 'procedure', 0.3, run),
    a('procedure.updated', 'procedure', 0.6, run),
    a('procedure.archived', 'procedure', 0.05, run),
    a('procedure.version.created', 'procedure', 1.2, run),
    a('procedure.version.approved', 'procedure', 0.5, run),
    a('procedure.review.requested', 'procedure', 0.5, run),
    a('project.created', 'project', 0.02, run),
    a('project.updated', 'project', 0.05, run),
    a('project.deleted', 'project', 0.01, run),
    a('auth.login', 'user', 3),
    a('auth.logout', 'user', 1),
    a('auth.login.failed', 'user', 0.5, { by: 'anonymous', outcome: 'failed' }),
    a('access.denied', 'procedure', 3, { outcome: 'denied', inProject: true }),
    a('token.created', 'token', 0.1),
    a('token.revoked', 'token', 0.05),
    a('token.used', 'token', 5),
    a('user.created', 'user', 0.03),
    a('user.updated', 'user', 0.05),
    a('user.disabled', 'user', 0.01),
    a('team.created', 'team', 0.01),
    a('team.member_added', 'team', 0.05),
    a('team.member_removed', 'team', 0.02),
    a('role.created', 'role', 0.01),
    a('role.updated', 'role', 0.01),
    a('role_binding.created', 'role_binding', 0.05),
    a('role_binding.deleted', 'role_binding', 0.02),
  ];
}

export const PROJECT_COUNT = 200;

/** 200 projects, Zipf-distributed (a few platform projects get most runs). */
export function projects(): Array<{ id: string; weight: number }> {
  return Array.from({ length: PROJECT_COUNT }, (_, i) => ({ id: benchUuid(`project:${i}`), weight: 1 / (i + 1) ** 0.9 }));
}

/** 1-based indexes into the value list, SLOTS long, each value repeated in proportion to its weight. */
function slots(weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const out: number[] = [];
  let cumulative = 0;
  weights.forEach((w, i) => {
    cumulative += w;
    const end = Math.round((cumulative / total) * SLOTS);
    while (out.length < end) out.push(i + 1);
  });
  return out;
}

/** $5… of GENERATOR_SQL; $1/$2 are the first and last seq, $3 the epoch ms of $1's occurred_at, $4 the ms between events. */
export function generatorParams(): unknown[] {
  const actorList = actors();
  const actionList = actions();
  const projectList = projects();
  const actionSlots = (by: ActionSpec['by']): number[] => slots(actionList.map((x) => (x.by === by ? x.weight : 0)));
  return [
    slots(actorList.map((x) => x.weight)),
    actorList.map((x) => x.type),
    actorList.map((x) => x.id),
    actorList.map((x) => x.name),
    actorList.map((x) => x.tokenId),
    actorList.map((x) => x.userAgent),
    actorList.map((x) => x.ip),
    actionSlots('api'),
    actionSlots('system'),
    actionSlots('anonymous'),
    actionList.map((x) => x.name),
    actionList.map((x) => x.resourceType),
    actionList.map((x) => x.outcome),
    actionList.map((x) => x.inProject),
    slots(projectList.map((x) => x.weight)),
    projectList.map((x) => x.id),
  ];
}

/**
 * One row per seq in [$1, $2], in the column order of INSERT_COLUMNS. `h(k)` is a per-event,
 * per-purpose pseudo-random number in [0, 10000). Executions get ~4 events each (seq / 4), as a
 * real run is queued, started and ended. Hashes are 64 hex characters like SHA-256, but only the
 * rows written by the chained loader form a valid chain.
 */
export const GENERATOR_SQL = `
WITH g AS (SELECT s AS seq FROM generate_series($1::bigint, $2::bigint) AS s),
r AS (
  SELECT seq, h1, h2, h3, h4,
         ($5::int[])[1 + h1] AS a,
         ($19::int[])[1 + h3] AS p
    FROM g, LATERAL (SELECT abs(hashint8extended(seq, 1) % 10000)::int AS h1, abs(hashint8extended(seq, 2) % 10000)::int AS h2,
                            abs(hashint8extended(seq, 3) % 10000)::int AS h3, abs(hashint8extended(seq, 4) % 10000)::int AS h4) AS hs
),
e AS (
  SELECT r.*,
         CASE ($6::text[])[a] WHEN 'system' THEN ($13::int[])[1 + h2] WHEN 'anonymous' THEN ($14::int[])[1 + h2] ELSE ($12::int[])[1 + h2] END AS x
    FROM r
),
f AS (
  SELECT e.*, ($15::text[])[x] AS action, ($16::text[])[x] AS rtype, ($17::text[])[x] AS outcome,
         CASE WHEN ($18::boolean[])[x] THEN ($20::uuid[])[p] END AS project_id,
         'deploy-' || (p * 3 + h4 % 3) AS procedure_name
    FROM e
)
SELECT seq,
  gen_random_uuid() AS id,
  timestamptz 'epoch' + ($3::bigint + (seq - $1::bigint) * $4::bigint) * interval '1 millisecond' AS occurred_at,
  ($6::text[])[a] AS actor_type, ($7::uuid[])[a] AS actor_id,
  CASE WHEN action = 'auth.login.failed' AND h4 < 3000 THEN ($8::text[])[1 + h4 % 50] ELSE ($8::text[])[a] END AS actor_name,
  ($11::text[])[a] AS ip, ($10::text[])[a] AS user_agent, ($9::uuid[])[a] AS token_id,
  CASE WHEN ($6::text[])[a] = 'system' THEN NULL ELSE gen_random_uuid()::text END AS request_id,
  action, rtype AS resource_type,
  CASE rtype
    WHEN 'execution' THEN md5('execution:' || (seq / 4))::uuid::text
    WHEN 'procedure' THEN md5('procedure:' || (p * 3 + h4 % 3))::uuid::text
    WHEN 'project' THEN project_id::text
    WHEN 'user' THEN coalesce(($7::uuid[])[a], md5('user:' || h4 % 60)::uuid)::text
    WHEN 'token' THEN coalesce(($9::uuid[])[a], md5('token:' || h4 % 120)::uuid)::text
    WHEN 'team' THEN md5('team:' || h4 % 20)::uuid::text
    WHEN 'role' THEN (ARRAY['deployer', 'auditor', 'viewer', 'project-admin', 'approver'])[1 + h4 % 5]
    WHEN 'role_binding' THEN md5('binding:' || h4 % 400)::uuid::text
    WHEN 'delivery' THEN md5('delivery:' || seq)::uuid::text
    WHEN 'worker' THEN 'worker-' || (h4 % 4)
  END AS resource_id,
  project_id,
  outcome,
  CASE
    WHEN action = 'access.denied' THEN 'missing permission run on Procedure in project'
    WHEN action = 'auth.login.failed' THEN 'invalid username or password'
    WHEN action = 'execution.failed' THEN 'step deploy exited with code ' || (1 + h4 % 3)
    WHEN action = 'execution.timed_out' THEN 'step migrate ran longer than its 900 s timeout'
    WHEN action = 'notification.failed' THEN 'channel webhook answered 502'
  END AS reason,
  CASE
    WHEN action = 'execution.queued' THEN jsonb_build_object('procedureId', md5('procedure:' || (p * 3 + h4 % 3))::uuid, 'procedure', procedure_name,
      'version', 1 + h4 % 12, 'params', jsonb_build_object('environment', (ARRAY['production', 'staging', 'dev'])[1 + h4 % 3], 'service', 'svc-' || (h2 % 40), 'dry_run', h4 % 5 = 0),
      'trigger', CASE WHEN ($6::text[])[a] = 'token' THEN 'api' ELSE 'manual' END, 'rerunOf', NULL)
    WHEN action IN ('execution.succeeded', 'execution.failed', 'execution.timed_out', 'execution.canceled') THEN jsonb_build_object('procedure', procedure_name,
      'version', 1 + h4 % 12, 'steps', jsonb_build_array(
        jsonb_build_object('name', 'build', 'status', 'succeeded', 'exitCode', 0),
        jsonb_build_object('name', 'migrate', 'status', 'succeeded', 'exitCode', 0),
        jsonb_build_object('name', 'deploy', 'status', CASE WHEN outcome = 'failed' THEN 'failed' ELSE 'succeeded' END, 'exitCode', CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END)))
    WHEN action LIKE 'execution.%' THEN jsonb_build_object('procedure', procedure_name, 'version', 1 + h4 % 12, 'attempt', 1, 'workerId', 'worker-' || (h4 % 4))
    WHEN action LIKE 'notification.%' THEN jsonb_build_object('channel', 'slack-ops', 'event', 'execution.failed', 'executionId', md5('execution:' || (seq / 4))::uuid)
    WHEN action = 'access.denied' THEN jsonb_build_object('method', 'POST', 'route', '/api/v1/procedures/:id/executions')
    WHEN action LIKE 'procedure.%' THEN jsonb_build_object('after', jsonb_build_object('name', procedure_name, 'description', 'Deploys a service to an environment', 'version', 1 + h4 % 12))
    WHEN action = 'token.used' OR action LIKE 'auth.%' THEN '{}'::jsonb
    ELSE jsonb_build_object('after', jsonb_build_object('name', 'item-' || h4, 'description', 'changed by the benchmark generator'))
  END AS details,
  0::bigint AS xid
FROM f`;

export const INSERT_COLUMNS = `seq, id, occurred_at, actor_type, actor_id, actor_name, ip, user_agent, token_id, request_id, action, resource_type,
  resource_id, project_id, outcome, reason, details, xid`;
