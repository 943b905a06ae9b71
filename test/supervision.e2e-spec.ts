import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type TestAgent from 'supertest/lib/agent';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loginAgent, startTestApi, type TestApi, uniqueName } from './support/test-api';
import { spawnWorker, startTestWorker, type TestWorker, waitFor } from './support/test-worker';
import { allLogLines, createProcedure, createProject, runProcedure, waitForStatus } from './factories/procedures';
import { killGroup, liveMembers } from './support/process-groups';
import { insertQueuedExecution } from './factories/executions';

/** A step that starts a tree of sleepers and reports its process group id. */
const TREE = `echo "pgid=$(ps -o pgid= $$ | tr -d ' ')"\nsleep 300 &\n(sleep 300; echo never) &\nsleep 300\n`;

async function pgidOf(agent: TestAgent, executionId: string): Promise<number> {
  return waitFor(async () => {
    const line = (await allLogLines(agent, executionId)).find((l) => l.text.startsWith('pgid='));
    return line ? Number(line.text.slice(5)) : null;
  }, 'the step to report its process group');
}

describe('supervision: cancel, timeout, lost workers', () => {
  let api: TestApi;
  let worker: TestWorker;
  let admin: TestAgent;
  let projectId: string;
  const children: ChildProcess[] = [];
  const groups: number[] = [];
  /** Runs of workers killed with SIGKILL: nobody removes their workspaces but the test. */
  const orphaned: string[] = [];

  beforeAll(async () => {
    [api, worker] = await Promise.all([startTestApi(), startTestWorker()]);
    admin = await loginAgent(api);
    projectId = (await createProject(admin)).id;
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    for (const pgid of groups) killGroup(pgid);
    for (const name of readdirSync(tmpdir())) {
      if (orphaned.some((id) => name.startsWith(`switchboard-${id}-`))) rmSync(join(tmpdir(), name), { recursive: true, force: true });
    }
    await worker?.close();
    await api?.close();
  });

  it('cancel of a running countdown ends its whole process tree', async () => {
    const procedure = await createProcedure(admin, projectId, { name: 'tree', steps: [{ name: 'sleepers', run: TREE }] });
    const id = (await runProcedure(admin, procedure.id)).id;
    const pgid = await pgidOf(admin, id);
    groups.push(pgid);
    expect(liveMembers(pgid).length).toBeGreaterThanOrEqual(3);
    const cancel = await admin.post(`/api/v1/executions/${id}/cancel`);
    expect(cancel.status).toBe(200);
    const done = await waitForStatus(admin, id, 'terminal');
    expect(done.status).toBe('canceled');
    expect(done.steps[0].status).toBe('canceled');
    await waitFor(async () => liveMembers(pgid).length === 0, 'the process group to be gone', 10_000);
    expect((await admin.post(`/api/v1/executions/${id}/cancel`)).status).toBe(409);
  });

  it('cancels a queued run before it starts', async () => {
    const procedure = await createProcedure(admin, projectId, { name: 'nobody-runs-me', worker_group: uniqueName('idle'), steps: [{ name: 'x', run: 'true' }] });
    const id = (await runProcedure(admin, procedure.id)).id;
    const cancel = await admin.post(`/api/v1/executions/${id}/cancel`);
    expect(cancel.body.status).toBe('canceled');
  });

  it('times out a run: state timed_out, the reason recorded, no process left', async () => {
    const procedure = await createProcedure(admin, projectId, { name: 'slowpoke', timeout: '2s', steps: [{ name: 'sleepers', run: TREE }] });
    const id = (await runProcedure(admin, procedure.id)).id;
    const pgid = await pgidOf(admin, id);
    groups.push(pgid);
    const done = await waitForStatus(admin, id, 'terminal');
    expect(done.status).toBe('timed_out');
    expect(done.statusReason).toMatch(/timeout/);
    await waitFor(async () => liveMembers(pgid).length === 0, 'the process group to be gone', 10_000);
  });

  it('times out a single step by its own timeout', async () => {
    const procedure = await createProcedure(admin, projectId, { name: 'steptimeout', steps: [{ name: 'slow', run: 'sleep 30', timeout: '1s' }, { name: 'after', run: 'true' }] });
    const done = await waitForStatus(admin, (await runProcedure(admin, procedure.id)).id, 'terminal');
    expect(done.status).toBe('timed_out');
    expect(done.steps.map((s: { status: string }) => s.status)).toEqual(['timed_out', 'skipped']);
  });

  it('ends the run of a worker killed with SIGKILL as worker_lost', async () => {
    const group = uniqueName('doomed');
    const child = spawnWorker({ SWITCHBOARD_WORKER_GROUPS: group });
    children.push(child);
    const procedure = await createProcedure(admin, projectId, { name: 'orphaned', worker_group: group, steps: [{ name: 'sleepers', run: TREE }] });
    const id = (await runProcedure(admin, procedure.id)).id;
    orphaned.push(id);
    groups.push(await pgidOf(admin, id));
    expect((await admin.get(`/api/v1/executions/${id}`)).body.status).toBe('running');
    child.kill('SIGKILL');
    const done = await waitForStatus(admin, id, 'terminal', 30_000);
    expect(done.status).toBe('worker_lost');
    expect(done.statusReason).toMatch(/heartbeat/);
  });

  it('ends a lost run that has no step records yet, and the reconciler goes on with the rest', async () => {
    // jsonb_agg over no steps is NULL: the not-null violation rolled back every reconciler pass,
    // so no lost run ended and no approval expired anywhere, for good.
    const procedure = await createProcedure(admin, projectId, { name: 'stepless', worker_group: uniqueName('nobody'), steps: [{ name: 'a', run: 'true' }] });
    const db = new Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    try {
      const id = randomUUID();
      await insertQueuedExecution(db, procedure.id, id);
      await db.query(`UPDATE executions SET status = 'running', started_at = now(), attempt = 1, worker_id = 'gone-worker', steps = '[]' WHERE id = $1`, [id]);
      const done = await waitForStatus(admin, id, 'terminal', 30_000);
      expect(done).toMatchObject({ status: 'worker_lost', steps: [] });
    } finally {
      await db.end();
    }
  });

  it('ends other lost runs, and expires approvals, even while one lost run cannot be ended', async () => {
    const procedure = await createProcedure(admin, projectId, { name: 'poisoned', worker_group: uniqueName('nobody'), steps: [{ name: 'a', run: 'true' }] });
    const db = new Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    const [poison, healthy, expiring] = [randomUUID(), randomUUID(), randomUUID()];
    try {
      for (const id of [poison, healthy]) {
        await insertQueuedExecution(db, procedure.id, id);
        await db.query(`UPDATE executions SET status = 'running', started_at = now(), attempt = 1, worker_id = 'gone-worker' WHERE id = $1`, [id]);
      }
      await insertQueuedExecution(db, procedure.id, expiring);
      await db.query(`UPDATE executions SET status = 'pending_approval', approvals_required = 1, approval_expires_at = now() - interval '1 second' WHERE id = $1`, [expiring]);
      // Steps that are not an array: rewriting them to end the run fails, every time.
      await db.query(`UPDATE executions SET steps = '{}' WHERE id = $1`, [poison]);
      expect((await waitForStatus(admin, healthy, 'terminal', 30_000)).status).toBe('worker_lost');
      expect((await waitForStatus(admin, expiring, 'terminal', 30_000)).status).toBe('rejected');
      expect((await admin.get(`/api/v1/executions/${poison}`)).body.status).toBe('running');
    } finally {
      await db.query(`UPDATE executions SET status = 'failed', finished_at = now(), steps = '[]' WHERE id = $1`, [poison]);
      await db.end();
    }
  });

  it('retries the run of a lost worker on another worker when the procedure allows', async () => {
    const group = uniqueName('retry');
    const first = spawnWorker({ SWITCHBOARD_WORKER_GROUPS: group });
    children.push(first);
    const procedure = await createProcedure(admin, projectId, {
      name: 'resilient', worker_group: group, retries: 1,
      steps: [{ name: 'work', run: 'echo "pgid=$(ps -o pgid= $$ | tr -d \' \')"\nif [ -n "$SECOND" ]; then exit 0; fi\nsleep 3\necho done' }],
    });
    const id = (await runProcedure(admin, procedure.id)).id;
    orphaned.push(id);
    groups.push(await pgidOf(admin, id));
    first.kill('SIGKILL');
    const second = spawnWorker({ SWITCHBOARD_WORKER_GROUPS: group });
    children.push(second);
    const done = await waitForStatus(admin, id, 'terminal', 40_000);
    expect(done.status).toBe('succeeded');
    expect(done.attempt).toBe(2);
  });

  it('drains on SIGTERM: the running execution finishes before the worker exits', async () => {
    const group = uniqueName('drain');
    const child = spawnWorker({ SWITCHBOARD_WORKER_GROUPS: group });
    children.push(child);
    const procedure = await createProcedure(admin, projectId, { name: 'draining', worker_group: group, steps: [{ name: 'work', run: 'echo start; sleep 1.5; echo end' }] });
    const id = (await runProcedure(admin, procedure.id)).id;
    await waitForStatus(admin, id, ['running']);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect((await admin.get(`/api/v1/executions/${id}`)).body.status).toBe('succeeded');
  });

  it('frees a slot when the steps are over: the next run goes while the end commits, and the drain waits for that end', async () => {
    const group = uniqueName('ending');
    const child = spawnWorker({ SWITCHBOARD_WORKER_GROUPS: group, SWITCHBOARD_WORKER_CONCURRENCY: '1' });
    children.push(child);
    const first = await createProcedure(admin, projectId, { name: 'held-end', worker_group: group, steps: [{ name: 'work', run: 'echo first; sleep 0.5' }] });
    const second = await createProcedure(admin, projectId, { name: 'next-run', worker_group: group, steps: [{ name: 'work', run: 'echo second' }] });
    const held = (await runProcedure(admin, first.id)).id;
    await waitForStatus(admin, held, ['running']);
    // Hold the row: the first run's end statement waits on this lock once its step is over.
    const db = new Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    try {
      await db.query('BEGIN');
      await db.query('SELECT id FROM executions WHERE id = $1 FOR UPDATE', [held]);
      const next = (await runProcedure(admin, second.id)).id;
      // Concurrency 1: the second run can only start once the first one's step is over.
      expect((await waitForStatus(admin, next, 'terminal')).status).toBe('succeeded');
      expect((await admin.get(`/api/v1/executions/${held}`)).body.status).toBe('running');
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      expect(child.exitCode).toBeNull();
      await db.query('COMMIT');
      expect(await exited).toBe(0);
    } finally {
      await db.end();
    }
    const ended = (await admin.get(`/api/v1/executions/${held}`)).body;
    expect(ended.status).toBe('succeeded');
    expect(ended.steps[0].exitCode).toBe(0);
  });
});
