import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type TestAgent from 'supertest/lib/agent';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { Client } from 'pg';
import { SYSTEM_ACTOR } from '@switchboard/core';
import { type AuditFilter, AuditQueryService, AuditSealer, AuditWriter, SEALABLE_PROBE_SQL, type AuditEventRow } from '@switchboard/audit';
import type { DataSource } from 'typeorm';
import { createDataSource } from '@switchboard/platform';
import { adminToken, loginAgent, startTestApi, type TestApi, uniqueName } from './support/test-api';
import { startTestWorker, type TestWorker } from './support/test-worker';
import { startPrivateStack, type PrivateStack } from './support/private-stack';
import { createUser } from './factories/users';
import { bind, createTeam } from './factories/access';
import { createProcedure, createProject, runProcedure, waitForStatus } from './factories/procedures';

const run = promisify(execFile);
const root = resolve(__dirname, '..');

interface AuditEvent {
  seq: string; id: string; action: string; outcome: string; actorType: string; actorName: string; resourceType: string | null;
  resourceId: string | null; projectId: string | null; reason: string | null; details: Record<string, unknown>; requestId: string | null;
}

describe('audit log: complete, redacted, searchable', () => {
  let api: TestApi;
  let worker: TestWorker;
  let admin: TestAgent;

  beforeAll(async () => {
    [api, worker] = await Promise.all([startTestApi(), startTestWorker()]);
    admin = await loginAgent(api);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
  });

  const eventsFor = async (query: string): Promise<AuditEvent[]> => (await admin.get(`/api/v1/audit-events?limit=500&${query}`)).body.items as AuditEvent[];

  it('records every kind of action once, with the right actor and outcome, and never a secret', async () => {
    const secretValue = `s3cret-${Date.now()}-value`;
    const user = await createUser(admin, 'audited');
    const userAgent = await loginAgent(api, user.username, user.password);
    await api.http.post('/api/v1/auth/login').send({ username: user.username, password: 'definitely-wrong' });
    const token = await userAgent.post('/api/v1/tokens').send({ name: 'audit-token' });
    await userAgent.delete(`/api/v1/tokens/${token.body.id}`);
    await admin.patch(`/api/v1/users/${user.id}`).send({ displayName: 'Audited Person', password: 'new-password-long-enough' });
    const project = await createProject(admin);
    await admin.patch(`/api/v1/projects/${project.id}`).send({ description: 'changed' });
    const procedure = await createProcedure(admin, project.id, {
      name: 'audited-proc', parameters: { password: { type: 'string', secret: true } }, steps: [{ name: 'go', run: 'echo "$PARAM_PASSWORD"' }],
    });
    await admin.post(`/api/v1/procedures/${procedure.id}/versions`).set('Content-Type', 'application/yaml')
      .send(`name: ${procedure.name}\nparameters:\n  password: { type: string, secret: true }\nsteps:\n  - name: go\n    run: echo again\n`);
    const execution = await runProcedure(admin, procedure.id, { password: secretValue });
    await waitForStatus(admin, execution.id, 'terminal');
    const rerun = await admin.post(`/api/v1/executions/${execution.id}/rerun`);
    await waitForStatus(admin, rerun.body.id, 'terminal');
    const team = await createTeam(admin);
    await admin.post(`/api/v1/teams/${team.id}/members/${user.id}`);
    const binding = await bind(admin, { type: 'user', id: user.id }, 'viewer', { type: 'project', id: project.id });
    await admin.delete(`/api/v1/role-bindings/${binding}`);
    await admin.delete(`/api/v1/teams/${team.id}/members/${user.id}`);
    const role = uniqueName('role');
    await admin.post('/api/v1/roles').send({ name: role, permissions: [{ action: 'read', subject: 'Procedure' }] });
    await userAgent.get(`/api/v1/procedures/${procedure.id}`); // 404: exists but not visible
    await userAgent.post('/api/v1/projects').send({ name: 'nope' }); // 403
    await api.http.get('/api/v1/me'); // 401
    await admin.delete(`/api/v1/procedures/${procedure.id}`);
    await userAgent.post('/api/v1/auth/logout');

    const byUser = await eventsFor(`actor=${user.id}`);
    const byAdmin = await eventsFor('actor=admin');
    const actions = (events: AuditEvent[]): string[] => events.map((e) => e.action);
    expect(actions(byUser)).toEqual(expect.arrayContaining(['auth.login', 'token.created', 'token.revoked', 'access.denied', 'auth.logout']));
    const denied = byUser.filter((e) => e.action === 'access.denied');
    expect(denied.map((e) => e.resourceType).sort()).toEqual([null, 'procedure']);
    expect(denied.every((e) => e.outcome === 'denied')).toBe(true);
    const failedLogins = (await eventsFor(`action=auth.login.failed&resourceId=${user.id}`));
    expect(failedLogins).toHaveLength(1);
    expect(failedLogins[0]).toMatchObject({ outcome: 'failed', reason: 'wrong password', actorType: 'anonymous' });
    for (const action of ['user.updated', 'project.created', 'project.updated', 'procedure.created', 'procedure.version.created', 'execution.queued',
      'team.created', 'team.member_added', 'team.member_removed', 'role_binding.created', 'role_binding.deleted', 'role.created', 'procedure.archived']) {
      expect(actions(byAdmin), action).toContain(action);
    }
    const lifecycle = await eventsFor(`resourceId=${execution.id}`);
    expect(actions(lifecycle).sort()).toEqual(['execution.queued', 'execution.started', 'execution.succeeded']);
    const started = lifecycle.find((e) => e.action === 'execution.started');
    expect(started?.actorName).toMatch(/^worker:/);
    expect(started).toMatchObject({ projectId: project.id, details: { procedure: procedure.name, version: 2, attempt: 1 } });
    expect(started?.actorName).toBe(`worker:${String(started?.details.workerId)}`);
    expect(lifecycle.find((e) => e.action === 'execution.queued')?.details.params).toEqual({ password: '***' });
    expect((await eventsFor(`resourceId=${rerun.body.id}&action=execution.queued`))[0].details.rerunOf).toBe(execution.id);
    const userUpdate = byAdmin.find((e) => e.action === 'user.updated' && e.resourceId === user.id);
    expect(userUpdate?.details).toMatchObject({ before: { displayName: user.username }, after: { displayName: 'Audited Person' }, changed: ['displayName', 'password'] });
    expect(byAdmin.every((e) => e.requestId)).toBe(true);

    // No secret value anywhere in the table: parameters, passwords, token secrets.
    const client = new Client({ connectionString: inject('databaseUrl') });
    await client.connect();
    try {
      const dump = JSON.stringify((await client.query('SELECT * FROM audit_events')).rows);
      for (const secret of [secretValue, user.password, 'new-password-long-enough', token.body.token as string]) expect(dump).not.toContain(secret);
    } finally {
      await client.end();
    }
  });

  it('filters by action prefix, outcome and time, newest first, with cursor paging', async () => {
    const project = await createProject(admin);
    for (let i = 0; i < 3; i += 1) await admin.patch(`/api/v1/projects/${project.id}`).send({ description: `v${i}` });
    const first = await admin.get(`/api/v1/audit-events?project=${project.id}&action=project.*&limit=2`);
    expect(first.body.items.map((e: AuditEvent) => e.action)).toEqual(['project.updated', 'project.updated']);
    const second = await admin.get(`/api/v1/audit-events?project=${project.id}&action=project.*&limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((e: AuditEvent) => e.action)).toEqual(['project.updated', 'project.created']);
    const seqs = [...first.body.items, ...second.body.items].map((e: AuditEvent) => BigInt(e.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => (a > b ? -1 : 1)));
    expect((await admin.get(`/api/v1/audit-events?project=${project.id}&outcome=denied`)).body.items).toEqual([]);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await admin.get(`/api/v1/audit-events?project=${project.id}&from=${future}`)).body.items).toEqual([]);
    const past = new Date(Date.now() - 3_600_000).toISOString();
    const ranged = await admin.get(`/api/v1/audit-events?project=${project.id}&from=${past}&to=${future}`);
    expect(ranged.body.items).toHaveLength(4);
    expect((await admin.get('/api/v1/audit-events?outcome=maybe')).status).toBe(400);
  });

  it('places a time bound exactly even where concurrent inserts stamped times out of seq order', async () => {
    const action = `test.inversion.${uniqueName('t').replace(/[^a-z]/g, (c) => String.fromCharCode(97 + (c.charCodeAt(0) % 26)))}`;
    const client = new Client({ connectionString: inject('databaseUrl') });
    await client.connect();
    try {
      const [{ now }] = (await client.query(`SELECT (date_trunc('milliseconds', clock_timestamp()) + interval '1 second') AS now`)).rows as Array<{ now: Date }>;
      const at = (ms: number): Date => new Date(now.getTime() + ms);
      // In seq order: +5 ms, +1 ms (stamped before the bound though inserted after), +10 ms.
      for (const [label, ms] of [['a', 5], ['b', 1], ['c', 10]] as const) {
        await client.query(
          `INSERT INTO audit_events (id, occurred_at, actor_type, actor_name, action, outcome, details) VALUES (gen_random_uuid(), $1, 'system', 'test', $2, 'succeeded', $3)`,
          [at(ms), action, JSON.stringify({ label })],
        );
      }
      const page = await admin.get(`/api/v1/audit-events?action=${action}&from=${at(3).toISOString()}`);
      expect(page.body.items.map((e: AuditEvent) => e.details.label)).toEqual(['c', 'a']);
      const before = await admin.get(`/api/v1/audit-events?action=${action}&to=${at(3).toISOString()}`);
      expect(before.body.items.map((e: AuditEvent) => e.details.label)).toEqual(['b']);
    } finally {
      await client.end();
    }
  });

  it('writes an event inside a data-modifying statement only when the change it records happened', async () => {
    const dataSource = await createDataSource({ url: inject('databaseUrl'), poolSize: 1 }).initialize();
    try {
      const writer = new AuditWriter();
      const action = `test.statement.${uniqueName('s').replace(/[^a-z]/g, 'x')}`;
      for (const matched of [false, true]) {
        const audit = writer.statement(SYSTEM_ACTOR, { action, outcome: 'succeeded', details: { matched } }, { firstParam: 2, from: 'changed' });
        await dataSource.query(`WITH changed AS (SELECT 1 WHERE $1::boolean), audited AS (${audit.sql}) SELECT 1`, [matched, ...audit.params]);
      }
      const page = await admin.get(`/api/v1/audit-events?action=${action}`);
      expect(page.body.items.map((e: AuditEvent) => e.details.matched)).toEqual([true]);
    } finally {
      await dataSource.destroy();
    }
  });

  it('exports a filter as JSON Lines and CSV; CSV cells cannot become formulas', async () => {
    const token = await adminToken(api);
    const project = await createProject(admin, { description: '=HYPERLINK("http://evil")' });
    const jsonl = await api.http.get(`/api/v1/audit-events/export?format=jsonl&project=${project.id}`).set('Authorization', `Bearer ${token}`);
    expect(jsonl.headers['content-type']).toMatch(/ndjson/);
    const lines = jsonl.text.trim().split('\n').map((l) => JSON.parse(l) as AuditEvent & { hash: string });
    expect(lines.map((l) => l.action)).toEqual(['project.created']);
    expect(lines[0].hash).toMatch(/^[0-9a-f]{64}$/);
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const ranged = await api.http.get(`/api/v1/audit-events/export?format=jsonl&project=${project.id}&from=${from}&to=${to}`).set('Authorization', `Bearer ${token}`);
    expect(ranged.text.trim().split('\n').map((l) => (JSON.parse(l) as AuditEvent).action)).toEqual(['project.created']);
    const csv = await api.http.get(`/api/v1/audit-events/export?format=csv&project=${project.id}`).set('Authorization', `Bearer ${token}`);
    expect(csv.text.split('\n')[0]).toContain('seq,id,occurredAt');
    expect(csv.text).not.toMatch(/[,\n]"=HYPERLINK/);
  });

  it('lets auditors read and export but not change anything; others may not read', async () => {
    const auditor = await createUser(admin, 'auditor');
    await bind(admin, { type: 'user', id: auditor.id }, 'auditor', { type: 'global' });
    const agent = await loginAgent(api, auditor.username, auditor.password);
    expect((await agent.get('/api/v1/audit-events?limit=1')).status).toBe(200);
    expect((await agent.get('/api/v1/audit-events/export?format=csv&action=role.created')).status).toBe(200);
    const plain = await createUser(admin, 'plain');
    expect((await (await loginAgent(api, plain.username, plain.password)).get('/api/v1/audit-events')).status).toBe(403);
  });
});

describe('audit log: reads next to concurrent writes', () => {
  let stack: PrivateStack;
  let api: TestApi;
  let admin: TestAgent;

  // A database of its own: events here are stamped a day ahead, which would break the ±2 s
  // agreement of time and seq order that time bounds rely on for anything inserted later. No
  // sealer runs on a timer: the tests decide when events are linked.
  beforeAll(async () => {
    stack = await startPrivateStack();
    api = await startTestApi({ ...stack.env, SWITCHBOARD_AUDIT_SEAL_INTERVAL_MS: '0' });
    admin = await loginAgent(api);
  });
  afterAll(async () => {
    await api?.close();
    await stack?.stop();
  });

  it('places a time bound exactly where the event stamped first near it was inserted after one stamped past it', async () => {
    const client = new Client({ connectionString: stack.env.DATABASE_URL });
    await client.connect();
    try {
      // Nothing else is stamped near these, so the one stamped +1 ms is the first event after
      // the bound's slack although it was inserted after the one stamped +5 ms.
      const [{ now }] = (await client.query(`SELECT (date_trunc('milliseconds', clock_timestamp()) + interval '1 day') AS now`)).rows as Array<{ now: Date }>;
      const at = (ms: number): Date => new Date(now.getTime() + ms);
      for (const [label, ms] of [['a', 5], ['b', 1], ['c', 10]] as const) {
        await client.query(
          `INSERT INTO audit_events (id, occurred_at, actor_type, actor_name, action, outcome, details) VALUES (gen_random_uuid(), $1, 'system', 'test', 'test.crossing', 'succeeded', $2)`,
          [at(ms), JSON.stringify({ label })],
        );
      }
      const page = await admin.get(`/api/v1/audit-events?action=test.crossing&from=${at(3).toISOString()}`);
      expect(page.body.items.map((e: AuditEvent) => e.details.label)).toEqual(['c', 'a']);
      const before = await admin.get(`/api/v1/audit-events?action=test.crossing&to=${at(3).toISOString()}`);
      expect(before.body.items.map((e: AuditEvent) => e.details.label)).toEqual(['b']);
    } finally {
      await client.end();
    }
  });

  it('exports the chain as it was when the export started, also when events are linked while it runs', async () => {
    const writer = new AuditWriter();
    const dataSource = await createDataSource({ url: stack.env.DATABASE_URL, poolSize: 1 }).initialize();
    try {
      const write = async (count: number): Promise<void> => {
        await dataSource.transaction(async (manager) => {
          for (let i = 0; i < count; i += 1) await writer.record(manager, SYSTEM_ACTOR, { action: 'test.export-while-writing', outcome: 'succeeded' });
        });
      };
      await write(1_500); // more than one batch of the export
      const batches = api.app.get(AuditQueryService).stream({ action: 'test.export-while-writing' });
      const first = await batches.next();
      const [{ head }] = (await dataSource.query('SELECT last_chain_seq::int AS head FROM audit_chain_head WHERE id = 1')) as Array<{ head: number }>;
      // Committed and linked between two batches of the export.
      await write(5);
      await api.app.get(AuditSealer).sealAll();
      const rows = [...(first.value as AuditEventRow[])];
      for await (const batch of batches) rows.push(...batch);
      expect(rows).toHaveLength(1_505);
      expect(rows.filter((row) => row.chainSeq !== null && Number(row.chainSeq) > head)).toEqual([]);
      expect(rows.slice(-5).map((row) => row.chainSeq)).toEqual([null, null, null, null, null]);
    } finally {
      await dataSource.destroy();
    }
  });
});

describe('audit log: tamper evidence', () => {
  let stack: PrivateStack;
  let api: TestApi;
  let admin: TestAgent;

  beforeAll(async () => {
    stack = await startPrivateStack();
    api = await startTestApi(stack.env);
    admin = await loginAgent(api);
  });
  afterAll(async () => {
    await api?.close();
    await stack?.stop();
  });

  it('keeps one valid chain with 8 concurrent writers and 10,000 events', async () => {
    const writers = await Promise.all(Array.from({ length: 8 }, () => createDataSource({ url: stack.env.DATABASE_URL, poolSize: 2 }).initialize()));
    try {
      const writer = new AuditWriter();
      await Promise.all(writers.map(async (dataSource, w) => {
        for (let i = 0; i < 1250; i += 1) {
          await dataSource.transaction((manager) => writer.record(manager, SYSTEM_ACTOR, { action: 'test.concurrent', outcome: 'succeeded', details: { w, i } }));
        }
      }));
    } finally {
      await Promise.all(writers.map((d) => d.destroy()));
    }
    const verified = await admin.get('/api/v1/audit-events/verify');
    expect(verified.body).toMatchObject({ ok: true });
    expect(verified.body.checked).toBeGreaterThanOrEqual(10_000);
  }, 120_000);

  it('polls for sealable events with an index probe, not a scan of the whole audit log', async () => {
    // A log of some size, sealed, with fresh statistics: the plan PostgreSQL picks for the
    // background sealer's poll, with the chain's end bound as it is bound there. (On a few
    // hundred rows a scan is the cheaper plan, and rightly chosen.)
    const dataSource = await createDataSource({ url: stack.env.DATABASE_URL, poolSize: 1 }).initialize();
    try {
      await dataSource.query(
        `INSERT INTO audit_events (id, occurred_at, actor_type, actor_name, action, outcome, details)
         SELECT gen_random_uuid(), now(), 'system', 'test', 'test.probe', 'succeeded', '{}' FROM generate_series(1, 10000)`,
      );
      await new AuditSealer(dataSource).sealAll();
      await dataSource.query('ANALYZE audit_events');
      const end = await new AuditSealer(dataSource).chainEnd();
      const [{ 'QUERY PLAN': plan }] = (await dataSource.query(`EXPLAIN (FORMAT JSON) ${SEALABLE_PROBE_SQL}`, [end.xid, end.seq])) as Array<{ 'QUERY PLAN': unknown }>;
      const scans = auditEventScans(plan);
      // Index Only Scan once the visibility map is set (vacuumed), a plain Index Scan before: either walks the chain order.
      expect(scans).toHaveLength(1);
      expect(scans[0]).toMatch(/^Index (Only )?Scan audit_events_chain_order_idx$/);
    } finally {
      await dataSource.destroy();
    }
  });

  it('pages filtered by action, actor and outcome read their indexes, which leave out what no such filter looks for', async () => {
    // The indexes behind three filters are lean: the exact action shares the prefix index, events
    // without an actor id (workers, the system) are not in the actor index, and succeeded events
    // are not in the outcome index. Each filter's page must still be an index range scan.
    const dataSource = await createDataSource({ url: stack.env.DATABASE_URL, poolSize: 1 }).initialize();
    try {
      const actor = '0badc0de-0000-4000-8000-000000000001';
      await dataSource.query(
        `INSERT INTO audit_events (id, occurred_at, actor_type, actor_id, actor_name, action, outcome, details)
         SELECT gen_random_uuid(), now(), CASE WHEN i % 3 = 0 THEN 'user' ELSE 'system' END,
                CASE WHEN i % 3 = 0 THEN (CASE WHEN i % 999 = 0 THEN $1 ELSE gen_random_uuid() END) END,
                'lean-' || (i % 50), CASE WHEN i % 2000 = 0 THEN 'test.lean-rare' ELSE 'test.lean' END,
                CASE WHEN i % 100 = 0 THEN 'denied' ELSE 'succeeded' END, '{}'
           FROM generate_series(1, 20000) i`,
        [actor],
      );
      await new AuditSealer(dataSource).sealAll();
      await dataSource.query('ANALYZE audit_events');
      // The product's page SQL, explained instead of run.
      const explaining = { query: (sql: string, params: unknown[]) => dataSource.query(`EXPLAIN (FORMAT JSON) ${sql}`, params) } as unknown as DataSource;
      const pagePlan = async (filter: AuditFilter): Promise<string[]> => {
        const [{ 'QUERY PLAN': plan }] = (await new AuditQueryService(explaining, new AuditSealer(dataSource)).page(filter, 50, null)) as unknown as Array<{ 'QUERY PLAN': unknown }>;
        return auditEventScans(plan);
      };
      // An index range scan, or a bitmap of one for the few matches of a rare value; never the whole table.
      const readsIndex = async (filter: AuditFilter, index: string): Promise<void> => {
        const scans = await pagePlan(filter);
        expect(scans, JSON.stringify(filter)).toContainEqual(expect.stringMatching(new RegExp(`^(Index|Bitmap Index) Scan( Backward)? ${index}$`)));
        expect(scans, JSON.stringify(filter)).not.toContain('Seq Scan');
      };
      await readsIndex({ action: 'test.lean-rare' }, 'audit_events_action_prefix_idx');
      await readsIndex({ action: 'test.lean-rar*' }, 'audit_events_action_prefix_idx');
      await readsIndex({ actor }, 'audit_events_actor_idx');
      await readsIndex({ outcome: 'denied' }, 'audit_events_outcome_idx');
      // Succeeded events are most of the log: the newest first, straight from the primary key.
      const [primaryKey] = (await dataSource.query(
        `SELECT conname FROM pg_constraint WHERE conrelid = 'audit_events'::regclass AND contype = 'p'`,
      )) as Array<{ conname: string }>;
      expect(await pagePlan({ outcome: 'succeeded' })).toEqual([`Index Scan Backward ${primaryKey.conname}`]);
    } finally {
      await dataSource.destroy();
    }
  });

  it('seals an event whose transaction commits after later ones, and skips the seq of a rolled-back one', async () => {
    const dataSource = await createDataSource({ url: stack.env.DATABASE_URL, poolSize: 4 }).initialize();
    const writer = new AuditWriter();
    const sealer = new AuditSealer(dataSource);
    try {
      await sealer.sealAll();
      const slow = dataSource.createQueryRunner();
      await slow.connect();
      await slow.startTransaction();
      const early = await writer.record(slow.manager, SYSTEM_ACTOR, { action: 'test.slow', outcome: 'succeeded' });
      await dataSource.transaction(async (manager) => {
        await writer.record(manager, SYSTEM_ACTOR, { action: 'test.rolled_back', outcome: 'succeeded' });
        throw new Error('roll back');
      }).catch(() => undefined);
      const late = await dataSource.transaction((manager) => writer.record(manager, SYSTEM_ACTOR, { action: 'test.fast', outcome: 'succeeded' }));
      expect(BigInt(late.seq)).toBe(BigInt(early.seq) + 2n);
      // The slow transaction still runs: nothing after it may be sealed yet.
      expect(await sealer.sealAll()).toBe(0);
      expect(await sealer.pending()).toBe(1);
      await slow.commitTransaction();
      await slow.release();
      await sealer.sealAll(); // or the api's background sealer got there first
      const links = (await dataSource.query(
        'SELECT event_seq::text AS seq, chain_seq::text AS position FROM audit_seals WHERE event_seq = ANY($1) ORDER BY chain_seq', [[early.seq, late.seq]],
      )) as Array<{ seq: string; position: string }>;
      expect(links.map((link) => link.seq)).toEqual([early.seq, late.seq]);
      expect(BigInt(links[1].position)).toBe(BigInt(links[0].position) + 1n);
      expect((await admin.get('/api/v1/audit-events/verify')).body).toMatchObject({ ok: true, pending: 0 });
    } finally {
      await dataSource.destroy();
    }
  });

  it('refuses to change or delete a link of the chain', async () => {
    const client = new Client({ connectionString: stack.env.DATABASE_URL });
    await client.connect();
    try {
      await admin.get('/api/v1/audit-events/verify');
      await expect(client.query("UPDATE audit_seals SET hash = 'x' WHERE chain_seq = 1")).rejects.toThrow(/append-only/);
      await expect(client.query('DELETE FROM audit_seals WHERE chain_seq = 1')).rejects.toThrow(/append-only/);
      await expect(client.query('TRUNCATE audit_seals')).rejects.toThrow(/append-only/);
    } finally {
      await client.end();
    }
  });

  it('reports a deleted tail of the chain against the head row', async () => {
    await createProject(admin);
    expect((await admin.get('/api/v1/audit-events/verify')).body.ok).toBe(true);
    const superuser = new Client({ connectionString: stack.env.DATABASE_URL });
    await superuser.connect();
    try {
      await superuser.query('SET session_replication_role = replica');
      const [tail] = (await superuser.query('DELETE FROM audit_seals WHERE chain_seq = (SELECT last_chain_seq FROM audit_chain_head) RETURNING *')).rows as Array<Record<string, unknown>>;
      const result = await admin.get('/api/v1/audit-events/verify');
      expect(result.body).toMatchObject({ ok: false });
      expect(result.body.reason).toMatch(/last events are missing/);
      await superuser.query('INSERT INTO audit_seals (chain_seq, event_seq, prev_hash, hash, sealed_at) VALUES ($1, $2, $3, $4, $5)',
        [tail.chain_seq, tail.event_seq, tail.prev_hash, tail.hash, tail.sealed_at]);
      expect((await admin.get('/api/v1/audit-events/verify')).body.ok).toBe(true);
    } finally {
      await superuser.end();
    }
  });

  it('names an edited row, a deleted row, and the offline verifier agrees on an export', async () => {
    await createProject(admin);
    await createProject(admin);
    const token = await adminToken(api);
    // One folder for the test's exports, removed when it ends (each export is megabytes).
    const exportDir = mkdtempSync(join(tmpdir(), 'switchboard-export-'));
    onTestFinished(() => rmSync(exportDir, { recursive: true, force: true }));
    let exports = 0;
    const exportFile = async (): Promise<string> => {
      const response = await api.http.get('/api/v1/audit-events/export?format=jsonl').set('Authorization', `Bearer ${token}`);
      exports += 1;
      const file = join(exportDir, `audit-${exports}.jsonl`);
      writeFileSync(file, response.text);
      return file;
    };
    const offline = async (file: string, ...flags: string[]): Promise<{ ok: boolean; firstBrokenId?: string; reason?: string }> => {
      const result = await run('node', ['-r', '@swc-node/register', 'scripts/audit-verify.ts', file, ...flags], { cwd: root }).catch((error: { stdout: string }) => error);
      return JSON.parse(result.stdout) as { ok: boolean; firstBrokenId?: string; reason?: string };
    };
    expect((await admin.get('/api/v1/audit-events/verify')).body.ok).toBe(true);
    const intact = await exportFile();
    expect((await offline(intact)).ok).toBe(true);
    // A line repeated in the file, even where a filtered export expects gaps.
    const lines = readFileSync(intact, 'utf8').trim().split('\n');
    const repeated = join(exportDir, 'repeated.jsonl');
    writeFileSync(repeated, [...lines.slice(0, 3), lines[1], ...lines.slice(3)].join('\n'));
    expect(await offline(repeated, '--filtered')).toMatchObject({ ok: false, reason: expect.stringMatching(/repeated or out of order/) });

    const superuser = new Client({ connectionString: stack.env.DATABASE_URL });
    await superuser.connect();
    try {
      const [victim] = (await superuser.query(`SELECT id, seq FROM audit_events WHERE action = 'project.created' ORDER BY seq LIMIT 1`)).rows as Array<{ id: string; seq: string }>;
      // A superuser can switch the append-only trigger off; the chain still catches the edit.
      await superuser.query('SET session_replication_role = replica');
      await superuser.query(`UPDATE audit_events SET actor_name = 'mallory' WHERE id = $1`, [victim.id]);
      const edited = await admin.get('/api/v1/audit-events/verify');
      expect(edited.body).toMatchObject({ ok: false, firstBrokenId: victim.id });
      expect((await offline(await exportFile())).firstBrokenId).toBe(victim.id);

      await superuser.query(`UPDATE audit_events SET actor_name = 'admin' WHERE id = $1`, [victim.id]);
      // The event after the victim in the chain (chain order can differ from seq order).
      const [next] = (await superuser.query(
        `SELECT e.id FROM audit_seals s JOIN audit_events e ON e.seq = s.event_seq
         WHERE s.chain_seq = (SELECT chain_seq + 1 FROM audit_seals WHERE event_seq = $1)`, [victim.seq],
      )).rows as Array<{ id: string }>;
      await superuser.query('DELETE FROM audit_events WHERE id = $1', [victim.id]);
      const deleted = await admin.get('/api/v1/audit-events/verify');
      expect(deleted.body).toMatchObject({ ok: false, firstBrokenId: next.id });
      expect((await offline(await exportFile())).firstBrokenId).toBe(next.id);
    } finally {
      await superuser.end();
    }
  });

});

/** The scans of audit_events (and of its indexes) in an EXPLAIN (FORMAT JSON) plan, as "<node type>[ Backward] <index name>". */
function auditEventScans(plan: unknown): string[] {
  const scans: string[] = [];
  const walk = (node: { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; 'Scan Direction'?: string; Plans?: unknown[] }): void => {
    // A bitmap index scan names its index only; the heap scan above it names the table.
    if (node['Relation Name'] === 'audit_events' || (node['Node Type'] === 'Bitmap Index Scan' && node['Index Name'])) {
      const direction = node['Scan Direction'] === 'Backward' ? ' Backward' : '';
      scans.push(`${node['Node Type']}${direction} ${node['Index Name'] ?? ''}`.trim());
    }
    for (const child of node.Plans ?? []) walk(child as typeof node);
  };
  walk((plan as Array<{ Plan: Parameters<typeof walk>[0] }>)[0].Plan);
  return scans;
}
