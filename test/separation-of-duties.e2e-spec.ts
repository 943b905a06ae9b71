import type TestAgent from 'supertest/lib/agent';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Client } from 'pg';
import { loginAgent, startTestApi, type TestApi, uniqueName } from './support/test-api';
import { startTestWorker, type TestWorker } from './support/test-worker';
import { createUser, type TestUser } from './factories/users';
import { bind, createTeam } from './factories/access';
import { allLogLines, createProcedure, createProject, runProcedure, waitForStatus } from './factories/procedures';

describe('separation of duties', () => {
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

  it('an author proposes; the same author may not approve; another owner approves and the new version runs; earlier runs keep their version', async () => {
    const project = await createProject(admin, { requireReview: true });
    const [author, owner, otherOwner] = [await createUser(admin, 'author'), await createUser(admin, 'owner'), await createUser(admin, 'owner2')];
    await bind(admin, { type: 'user', id: author.id }, 'owner', { type: 'project', id: project.id });
    await bind(admin, { type: 'user', id: owner.id }, 'owner', { type: 'project', id: project.id });
    await bind(admin, { type: 'user', id: otherOwner.id }, 'owner', { type: 'project', id: project.id });
    const [authorAgent, ownerAgent] = [await as(author), await as(owner)];
    const name = uniqueName('reviewed');
    const v1 = (text: string): string => stringify({ name, steps: [{ name: 'say', run: `echo ${text}` }] });

    // Version 1: proposed by the author, approved by an owner.
    const created = await authorAgent.post(`/api/v1/projects/${project.id}/procedures`).set('Content-Type', 'application/yaml').send(v1('one'));
    expect(created.body).toMatchObject({ version: 1, status: 'draft' });
    const id = created.body.id as string;
    expect((await authorAgent.post(`/api/v1/procedures/${id}/executions`).send({ params: {} })).status).toBe(409); // nothing active yet
    expect((await authorAgent.post(`/api/v1/procedures/${id}/versions/1/submit`)).body.status).toBe('in_review');
    expect((await authorAgent.post(`/api/v1/procedures/${id}/versions/1/approve`).send({})).status).toBe(403);
    const inbox = await ownerAgent.get('/api/v1/approvals?state=pending');
    expect(inbox.body.items).toContainEqual(expect.objectContaining({ kind: 'version', procedureId: id, version: 1 }));
    expect((await authorAgent.get('/api/v1/approvals')).body.items.some((i: { procedureId?: string }) => i.procedureId === id)).toBe(false);
    expect((await ownerAgent.post(`/api/v1/procedures/${id}/versions/1/approve`).send({ comment: 'looks good' })).body.status).toBe('active');
    const first = await runProcedure(authorAgent, id);
    expect((await waitForStatus(authorAgent, first.id, 'terminal')).status).toBe('succeeded');

    // Version 2: a diff for the reviewer; approved by another owner; version 1 is superseded.
    await authorAgent.post(`/api/v1/procedures/${id}/versions`).set('Content-Type', 'application/yaml').send(v1('two'));
    await authorAgent.post(`/api/v1/procedures/${id}/versions/2/submit`);
    const review = await ownerAgent.get(`/api/v1/procedures/${id}/versions/2`);
    expect(review.body.diffAgainstActive.activeVersion).toBe(1);
    expect(JSON.stringify(review.body.diffAgainstActive.changes)).toContain('echo two');
    expect((await (await as(otherOwner)).post(`/api/v1/procedures/${id}/versions/2/approve`).send({})).body.status).toBe('active');
    const versions = await ownerAgent.get(`/api/v1/procedures/${id}/versions`);
    expect(versions.body.items.map((v: { version: number; status: string }) => [v.version, v.status])).toEqual([[2, 'active'], [1, 'superseded']]);
    const second = await runProcedure(authorAgent, id);
    await waitForStatus(authorAgent, second.id, 'terminal');
    expect((await allLogLines(authorAgent, second.id)).map((l) => l.text)).toContain('two');
    expect((await authorAgent.get(`/api/v1/executions/${first.id}`)).body.version).toBe(1);
    expect((await allLogLines(authorAgent, first.id)).map((l) => l.text)).toContain('one');

    // A rejected proposal never becomes active.
    await authorAgent.post(`/api/v1/procedures/${id}/versions`).set('Content-Type', 'application/yaml').send(v1('three'));
    await authorAgent.post(`/api/v1/procedures/${id}/versions/3/submit`);
    expect((await ownerAgent.post(`/api/v1/procedures/${id}/versions/3/reject`).send({ comment: 'no' })).body.status).toBe('rejected');
    expect((await ownerAgent.get(`/api/v1/procedures/${id}`)).body.version).toBe(2);
  });

  const guarded = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    name,
    parameters: { environment: { type: 'string', enum: ['staging', 'production'], default: 'staging' } },
    approval: { when: "environment == 'production'", approvers: 1, ...extra },
    steps: [{ name: 'deploy', run: 'echo "deploying to $PARAM_ENVIRONMENT"' }],
  });

  it('a production run waits; the requester may not approve; a second person approves and it runs; staging does not wait', async () => {
    const project = await createProject(admin);
    const procedure = await createProcedure(admin, project.id, guarded('deploy'));
    const [requester, approver] = [await createUser(admin, 'dev'), await createUser(admin, 'approver')];
    await bind(admin, { type: 'user', id: requester.id }, 'runner', { type: 'project', id: project.id });
    await bind(admin, { type: 'user', id: requester.id }, 'approver', { type: 'project', id: project.id });
    await bind(admin, { type: 'user', id: approver.id }, 'approver', { type: 'project', id: project.id });
    const [requesterAgent, approverAgent] = [await as(requester), await as(approver)];

    const staging = await runProcedure(requesterAgent, procedure.id, { environment: 'staging' });
    expect(staging.status).toBe('queued');
    const production = await runProcedure(requesterAgent, procedure.id, { environment: 'production' });
    expect(production.status).toBe('pending_approval');
    expect((await requesterAgent.post(`/api/v1/executions/${production.id}/approve`).send({})).status).toBe(403);
    expect((await requesterAgent.get('/api/v1/approvals')).body.items.some((i: { id?: string }) => i.id === production.id)).toBe(false);
    expect((await approverAgent.get('/api/v1/approvals')).body.items).toContainEqual(expect.objectContaining({ kind: 'execution', id: production.id }));
    const approved = await approverAgent.post(`/api/v1/executions/${production.id}/approve`).send({ comment: 'go' });
    expect(['queued', 'running', 'succeeded']).toContain(approved.body.status); // a worker may claim it at once
    expect(approved.body.approval.decisions).toEqual([expect.objectContaining({ decision: 'approved', comment: 'go', by: expect.objectContaining({ id: approver.id }) })]);
    expect((await waitForStatus(requesterAgent, production.id, 'terminal')).status).toBe('succeeded');
    expect((await waitForStatus(requesterAgent, staging.id, 'terminal')).status).toBe('succeeded');
    const audit = (await admin.get(`/api/v1/audit-events?resourceId=${production.id}`)).body.items.map((e: { action: string }) => e.action);
    expect(audit).toEqual(expect.arrayContaining(['execution.approval_requested', 'execution.approval.approved', 'execution.queued', 'execution.started', 'execution.succeeded']));
  });

  it('needs N distinct approvers, only from the named team', async () => {
    const project = await createProject(admin);
    const team = await createTeam(admin);
    const procedure = await createProcedure(admin, project.id, guarded('two-person', { approvers: 2, from: { teams: [team.name] } }));
    const [a, b, outsider] = [await createUser(admin, 'a'), await createUser(admin, 'b'), await createUser(admin, 'outsider')];
    for (const user of [a, b, outsider]) await bind(admin, { type: 'user', id: user.id }, 'approver', { type: 'project', id: project.id });
    for (const user of [a, b]) await admin.post(`/api/v1/teams/${team.id}/members/${user.id}`);
    const run = await runProcedure(admin, procedure.id, { environment: 'production' });
    expect((await (await as(outsider)).post(`/api/v1/executions/${run.id}/approve`).send({})).status).toBe(403);
    const agentA = await as(a);
    expect((await agentA.post(`/api/v1/executions/${run.id}/approve`).send({})).body.status).toBe('pending_approval');
    expect((await agentA.post(`/api/v1/executions/${run.id}/approve`).send({})).status).toBe(409);
    expect(['queued', 'running', 'succeeded']).toContain((await (await as(b)).post(`/api/v1/executions/${run.id}/approve`).send({})).body.status);
    expect((await waitForStatus(admin, run.id, 'terminal')).status).toBe('succeeded');
  });

  it('a rejected run never reaches a worker; nor does an expired one', async () => {
    const project = await createProject(admin);
    const procedure = await createProcedure(admin, project.id, guarded('refused', { expires_after: '1h' }));
    const approver = await createUser(admin, 'rejecter');
    await bind(admin, { type: 'user', id: approver.id }, 'approver', { type: 'project', id: project.id });
    const rejected = await runProcedure(admin, procedure.id, { environment: 'production' });
    const decision = await (await as(approver)).post(`/api/v1/executions/${rejected.id}/reject`).send({ comment: 'not today' });
    expect(decision.body).toMatchObject({ status: 'rejected', statusReason: expect.stringContaining('not today') });
    const expired = await runProcedure(admin, procedure.id, { environment: 'production' });
    expect(new Date((await admin.get(`/api/v1/executions/${expired.id}`)).body.approval.expiresAt).getTime()).toBeGreaterThan(Date.now() + 3_500_000);
    // An hour passes (the clock is moved, not waited for).
    const db = new Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    await db.query(`UPDATE executions SET approval_expires_at = now() - interval '1 second' WHERE id = $1`, [expired.id]);
    await db.end();
    const ended = await waitForStatus(admin, expired.id, 'terminal', 20_000);
    expect(ended).toMatchObject({ status: 'rejected', statusReason: 'the approval request expired' });
    expect((await (await as(approver)).post(`/api/v1/executions/${expired.id}/approve`).send({})).status).toBe(409);
    for (const id of [rejected.id, expired.id]) {
      const execution = (await admin.get(`/api/v1/executions/${id}`)).body;
      expect(execution.startedAt).toBeNull();
      expect(execution.attempt).toBe(0);
      expect((await admin.get(`/api/v1/audit-events?resourceId=${id}&action=execution.started`)).body.items).toEqual([]);
    }
  });

  it('refuses an approval condition that tries to run code, when the definition is saved', async () => {
    const project = await createProject(admin);
    for (const when of ["constructor.constructor('return process')()", 'process.exit()', "environment == 'x'; require('fs')", '__proto__ == 1']) {
      const response = await admin.post(`/api/v1/projects/${project.id}/procedures`).set('Content-Type', 'application/yaml')
        .send(stringify({ ...guarded(uniqueName('evil')), approval: { when } }));
      expect(response.status, when).toBe(400);
      expect(response.body.errors[0].field).toBe('approval.when');
    }
  });
});
