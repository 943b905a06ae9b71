import type request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loginAgent, startTestApi, type TestApi } from './support/test-api';
import { startTestWorker, type TestWorker } from './support/test-worker';
import { startApiProcess } from './support/api-process';
import { createUser, type TestUser } from './factories/users';
import { bind, createTeam, tokenFor } from './factories/access';
import { createProcedure, createProject, runProcedure, waitForStatus } from './factories/procedures';
import { createDataSource } from '@switchboard/platform';

const SIMPLE = (name: string): Record<string, unknown> => ({ name, steps: [{ name: 'go', run: 'echo "$PARAM_X"' }], parameters: { x: { type: 'string', default: 'hi' } } });

describe('access control', () => {
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

  const as = (user: TestUser): Promise<TestAgent> => loginAgent(api, user.username, user.password);

  it('payments-devs may run restart-service and nothing else: one team binding at procedure scope', async () => {
    const project = await createProject(admin);
    const restart = await createProcedure(admin, project.id, SIMPLE('restart-service'));
    const other = await createProcedure(admin, project.id, SIMPLE('drop-database'));
    const team = await createTeam(admin);
    const dev = await createUser(admin, 'paydev');
    expect((await admin.post(`/api/v1/teams/${team.id}/members/${dev.id}`)).status).toBe(204);
    await bind(admin, { type: 'team', id: team.id }, 'runner', { type: 'procedure', id: restart.id });
    const agent = await as(dev);

    const catalog = await agent.get('/api/v1/procedures');
    expect(catalog.body.items.map((p: { id: string }) => p.id)).toEqual([restart.id]);
    const form = await agent.get(`/api/v1/procedures/${restart.id}`);
    expect(form.status).toBe(200);
    expect(form.body.parameterSchema.properties.x).toBeDefined();
    expect(form.body.definition).toBeUndefined(); // run but not read: no steps' text
    const run = await runProcedure(agent, restart.id, { x: 'go' });
    expect((await waitForStatus(agent, run.id, 'terminal')).status).toBe('succeeded');

    expect((await agent.get(`/api/v1/procedures/${other.id}`)).status).toBe(404);
    expect((await agent.post(`/api/v1/procedures/${other.id}/executions`).send({ params: {} })).status).toBe(404);
    expect((await agent.post(`/api/v1/procedures/${restart.id}/versions`).set('Content-Type', 'application/yaml').send('name: x\nsteps: [{name: a, run: "true"}]')).status).toBe(403);
    expect((await agent.delete(`/api/v1/procedures/${restart.id}`)).status).toBe(403);
    expect((await agent.get(`/api/v1/procedures/${restart.id}/export`)).status).toBe(403);
    const history = await agent.get('/api/v1/executions');
    expect(history.body.items.every((e: { procedureId: string }) => e.procedureId === restart.id)).toBe(true);
  });

  it('an auditor reads every execution but every write, run, cancel and approval is refused', async () => {
    const project = await createProject(admin);
    const procedure = await createProcedure(admin, project.id, SIMPLE('audited'));
    const execution = await runProcedure(admin, procedure.id);
    await waitForStatus(admin, execution.id, 'terminal');
    const auditor = await createUser(admin, 'auditor');
    await bind(admin, { type: 'user', id: auditor.id }, 'auditor', { type: 'global' });
    const agent = await as(auditor);
    expect((await agent.get(`/api/v1/executions/${execution.id}`)).status).toBe(200);
    expect((await agent.get(`/api/v1/executions/${execution.id}/logs`)).status).toBe(200);
    expect((await agent.get(`/api/v1/procedures/${procedure.id}`)).body.definition).toBeDefined();
    expect((await agent.get('/api/v1/users')).status).toBe(200);
    const writes = [
      agent.post(`/api/v1/procedures/${procedure.id}/executions`).send({ params: {} }),
      agent.post(`/api/v1/executions/${execution.id}/cancel`),
      agent.post(`/api/v1/executions/${execution.id}/rerun`),
      agent.post(`/api/v1/projects/${project.id}/procedures`).set('Content-Type', 'application/yaml').send('name: nope\nsteps: [{name: a, run: "true"}]'),
      agent.delete(`/api/v1/procedures/${procedure.id}`),
      agent.post('/api/v1/projects').send({ name: 'auditor-project' }),
      agent.post('/api/v1/users').send({ username: 'auditor-made', password: 'long-enough-password' }),
      agent.post('/api/v1/role-bindings').send({ subject: { type: 'user', id: auditor.id }, role: 'admin', scope: { type: 'global' } }),
      agent.post('/api/v1/teams').send({ name: 'auditor-team' }),
    ];
    for (const response of await Promise.all(writes)) expect(response.status, `${response.status} ${JSON.stringify(response.body)}`).toBe(403);
  });

  it('removing a user from a team takes effect on the very next request, in another api process too', async () => {
    const project = await createProject(admin);
    const procedure = await createProcedure(admin, project.id, SIMPLE('team-gated'));
    const team = await createTeam(admin);
    const dev = await createUser(admin, 'member');
    await admin.post(`/api/v1/teams/${team.id}/members/${dev.id}`);
    await bind(admin, { type: 'team', id: team.id }, 'viewer', { type: 'project', id: project.id });
    const other = await startApiProcess();
    try {
      const token = await tokenFor(await as(dev));
      const here = (): Promise<number> => api.http.get(`/api/v1/procedures/${procedure.id}`).set('Authorization', `Bearer ${token}`).then((r) => r.status);
      const there = (): Promise<number> => other.http.get(`/api/v1/procedures/${procedure.id}`).set('Authorization', `Bearer ${token}`).then((r) => r.status);
      expect([await here(), await there()]).toEqual([200, 200]);
      expect([await here(), await there()]).toEqual([200, 200]); // both processes have cached the token and the grants now
      expect((await admin.delete(`/api/v1/teams/${team.id}/members/${dev.id}`)).status).toBe(204);
      expect([await here(), await there()]).toEqual([404, 404]);
    } finally {
      await other.stop();
    }
  });

  it('limits runners to their own executions when the project says so', async () => {
    const project = await createProject(admin);
    const procedure = await createProcedure(admin, project.id, SIMPLE('shared'));
    const [alice, bob] = [await createUser(admin, 'alice'), await createUser(admin, 'bob')];
    await bind(admin, { type: 'user', id: alice.id }, 'runner', { type: 'project', id: project.id });
    await bind(admin, { type: 'user', id: bob.id }, 'runner', { type: 'project', id: project.id });
    const [aliceAgent, bobAgent] = [await as(alice), await as(bob)];
    const alices = await runProcedure(aliceAgent, procedure.id);
    expect((await bobAgent.get(`/api/v1/executions/${alices.id}`)).status).toBe(200);
    expect((await bobAgent.post(`/api/v1/executions/${alices.id}/cancel`)).status).toBe(403);
    expect((await admin.patch(`/api/v1/projects/${project.id}`).send({ runnersSeeOwnRunsOnly: true })).status).toBe(200);
    expect((await bobAgent.get(`/api/v1/executions/${alices.id}`)).status).toBe(404);
    expect((await bobAgent.get(`/api/v1/executions?project=${project.id}`)).body.items).toEqual([]);
    expect((await aliceAgent.get(`/api/v1/executions/${alices.id}`)).status).toBe(200);
  });

  it('lets nobody grant more than they hold', async () => {
    const project = await createProject(admin);
    const owner = await createUser(admin, 'owner');
    const target = await createUser(admin, 'target');
    await bind(admin, { type: 'user', id: owner.id }, 'owner', { type: 'project', id: project.id });
    const agent = await as(owner);
    // An owner may grant runner in their project…
    await bind(agent, { type: 'user', id: target.id }, 'runner', { type: 'project', id: project.id });
    // …but not admin, not globally, and not in another project.
    const other = await createProject(admin);
    expect((await agent.post('/api/v1/role-bindings').send({ subject: { type: 'user', id: target.id }, role: 'admin', scope: { type: 'project', id: project.id } })).status).toBe(403);
    expect((await agent.post('/api/v1/role-bindings').send({ subject: { type: 'user', id: target.id }, role: 'runner', scope: { type: 'global' } })).status).toBe(403);
    expect((await agent.post('/api/v1/role-bindings').send({ subject: { type: 'user', id: target.id }, role: 'runner', scope: { type: 'project', id: other.id } })).status).toBe(403);
    expect((await agent.post('/api/v1/role-bindings').send({ subject: { type: 'user', id: target.id }, role: 'auditor', scope: { type: 'project', id: project.id } })).status).toBe(403);
  });

  it('narrows a token to one procedure, and the token never exceeds its owner\'s current rights', async () => {
    const project = await createProject(admin);
    const allowed = await createProcedure(admin, project.id, SIMPLE('token-ok'));
    const other = await createProcedure(admin, project.id, SIMPLE('token-no'));
    const owner = await createUser(admin, 'tokenowner');
    const binding = await bind(admin, { type: 'user', id: owner.id }, 'owner', { type: 'project', id: project.id });
    const agent = await as(owner);
    const narrowed = await tokenFor(agent, [{ action: 'run', subject: 'Procedure', id: allowed.id }]);
    const bearer = (path: string): request.Test => api.http.post(path).set('Authorization', `Bearer ${narrowed}`);
    expect((await bearer(`/api/v1/procedures/${allowed.id}/executions`).send({ params: {} })).status).toBe(201);
    expect((await bearer(`/api/v1/procedures/${other.id}/executions`).send({ params: {} })).status).toBe(404);
    expect((await api.http.get(`/api/v1/procedures/${allowed.id}/export`).set('Authorization', `Bearer ${narrowed}`)).status).toBe(403);
    expect((await bearer('/api/v1/tokens').send({ name: 'escalate' })).status).toBe(403);
    // A scope beyond the owner's rights is refused when the token is made.
    const beyond = await agent.post('/api/v1/tokens').send({ name: 'too-much', scopes: [{ action: 'create', subject: 'User' }] });
    expect(beyond.status).toBe(400);
    // An admin's token narrowed to one binding by id lists none (a list filter knows projects
    // and procedures only), not every binding the admin could see.
    const oneBinding = await tokenFor(admin, [{ action: 'read', subject: 'RoleBinding', id: binding }]);
    const listed = await api.http.get('/api/v1/role-bindings').set('Authorization', `Bearer ${oneBinding}`);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([]);
    expect((await admin.get('/api/v1/role-bindings')).body.items.map((b: { id: string }) => b.id)).toContain(binding);
    // Revoking the owner's binding narrows the token at once.
    expect((await admin.delete(`/api/v1/role-bindings/${binding}`)).status).toBe(204);
    expect([403, 404]).toContain((await bearer(`/api/v1/procedures/${allowed.id}/executions`).send({ params: {} })).status);
  });

  it('service accounts cannot log in but can use tokens an admin made for them', async () => {
    const project = await createProject(admin);
    const procedure = await createProcedure(admin, project.id, SIMPLE('ci-run'));
    const bot = await admin.post('/api/v1/users').send({ username: `ci-bot-${Date.now()}`, serviceAccount: true });
    expect(bot.status).toBe(201);
    await bind(admin, { type: 'user', id: bot.body.id }, 'runner', { type: 'procedure', id: procedure.id });
    const token = await admin.post('/api/v1/tokens').send({ name: 'ci', userId: bot.body.id });
    expect(token.status).toBe(201);
    const run = await api.http.post(`/api/v1/procedures/${procedure.id}/executions`).set('Authorization', `Bearer ${token.body.token}`).send({ params: {} });
    expect(run.status).toBe(201);
    expect((await api.http.post('/api/v1/auth/login').send({ username: bot.body.username, password: 'anything-at-all' })).status).toBe(401);
  });

  it('explains why a user may or may not do something', async () => {
    const project = await createProject(admin);
    const procedure = await createProcedure(admin, project.id, SIMPLE('explained'));
    const user = await createUser(admin, 'explained');
    const binding = await bind(admin, { type: 'user', id: user.id }, 'runner', { type: 'procedure', id: procedure.id });
    const yes = await admin.get(`/api/v1/access/explain?user=${user.id}&action=run&subject=Procedure&id=${procedure.id}`);
    expect(yes.body).toMatchObject({ allowed: true, decidedBy: [{ bindingId: binding, role: 'runner' }] });
    const no = await admin.get(`/api/v1/access/explain?user=${user.id}&action=update&subject=Procedure&id=${procedure.id}`);
    expect(no.body).toMatchObject({ allowed: false, decidedBy: [] });
    expect(no.body.reason).toMatch(/denied/);
    expect((await (await as(user)).get(`/api/v1/access/explain?user=${user.id}&action=run&subject=Procedure`)).status).toBe(403);
  });

  it('GET /me/permissions tells the UI what the caller may do', async () => {
    const project = await createProject(admin);
    const user = await createUser(admin, 'perms');
    await bind(admin, { type: 'user', id: user.id }, 'viewer', { type: 'project', id: project.id });
    const response = await (await as(user)).get('/api/v1/me/permissions');
    expect(response.body.isAdmin).toBe(false);
    const readProcedure = response.body.permissions.find((p: { action: string; subject: string }) => p.action === 'read' && p.subject === 'Procedure');
    expect(readProcedure.scope.projectIds).toEqual([project.id]);
    expect(response.body.permissions.some((p: { action: string }) => p.action === 'run')).toBe(false);
  });

  it('filters a catalog of 10,000 procedures in SQL: one visible, and the plan uses the filter', async () => {
    const project = await createProject(admin);
    const visible = await createProcedure(admin, project.id, SIMPLE('needle'));
    const dataSource = await createDataSource({ url: inject('databaseUrl'), poolSize: 1 }).initialize();
    try {
      await dataSource.query(
        `INSERT INTO procedures (project_id, name, description, latest_version) SELECT $1, 'hay-' || g || '-' || $2, '', 0 FROM generate_series(1, 10000) g`,
        [project.id, Date.now()],
      );
      await dataSource.query('ANALYZE procedures');
      const user = await createUser(admin, 'needle');
      await bind(admin, { type: 'user', id: user.id }, 'runner', { type: 'procedure', id: visible.id });
      const agent = await as(user);
      const catalog = await agent.get(`/api/v1/procedures?project=${project.id}&limit=500`);
      expect(catalog.body.items.map((p: { id: string }) => p.id)).toEqual([visible.id]);
      expect(catalog.body.nextCursor).toBeNull();
      const plan = (await dataSource.query(
        `EXPLAIN SELECT p.* FROM procedures p WHERE p.archived_at IS NULL AND (p.id = ANY($1)) ORDER BY p.name LIMIT 51`,
        [[visible.id]],
      )) as Array<{ 'QUERY PLAN': string }>;
      expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index Scan|Bitmap Index Scan/);
    } finally {
      await dataSource.destroy();
    }
  });
});
