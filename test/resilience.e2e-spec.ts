import type TestAgent from 'supertest/lib/agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAgent, startTestApi, type TestApi } from './support/test-api';
import { startTestWorker, waitFor } from './support/test-worker';
import { startPrivateStack, type PrivateStack } from './support/private-stack';
import { createProcedure, createProject, runProcedure, waitForStatus } from './factories/procedures';

/** These tests restart and wipe their servers, so they use a PostgreSQL and Redis of their own. */
describe('resilience: Redis and PostgreSQL restarts', () => {
  let stack: PrivateStack;
  let api: TestApi;
  let admin: TestAgent;
  let projectId: string;

  beforeAll(async () => {
    stack = await startPrivateStack();
    api = await startTestApi(stack.env);
    admin = await loginAgent(api);
    projectId = (await createProject(admin)).id;
  });
  afterAll(async () => {
    await api?.close();
    await stack?.stop();
  });

  it('runs every queued execution after Redis restarts with its data lost', async () => {
    const procedure = await createProcedure(admin, projectId, { name: 'survivor', steps: [{ name: 'hi', run: 'echo hi' }] });
    // No worker yet: the runs wait in Redis, which then loses everything.
    const ids = [];
    for (let i = 0; i < 5; i += 1) ids.push((await runProcedure(admin, procedure.id)).id);
    await stack.redis.restartEmpty();
    const worker = await startTestWorker(stack.env);
    try {
      for (const id of ids) expect((await waitForStatus(admin, id, 'terminal', 30_000)).status).toBe('succeeded');
    } finally {
      await worker.close();
    }
    // The api reconnected to the new Redis too.
    await waitFor(async () => (await api.http.get('/health/ready')).status === 200, 'the api to see Redis again');
  });

  it('accepts triggers while Redis is down, and runs them once it is back', async () => {
    const worker = await startTestWorker(stack.env);
    try {
      const procedure = await createProcedure(admin, projectId, { name: 'redis-away', steps: [{ name: 'hi', run: 'echo hi' }] });
      await stack.redis.kill();
      // The run is safe in PostgreSQL once its insert commits: the answer does not wait for Redis
      // (it would wait for as long as Redis stays away, and Redis comes back only after it).
      const run = await runProcedure(admin, procedure.id);
      expect(run.status).toBe('queued');
      expect((await admin.get(`/api/v1/executions/${run.id}`)).body.status).toBe('queued');
      await stack.redis.startEmpty();
      expect((await waitForStatus(admin, run.id, 'terminal', 30_000)).status).toBe('succeeded');
    } finally {
      await worker.close();
    }
  });

  it('ends every execution when PostgreSQL restarts under running executions; api and worker reconnect', async () => {
    const worker = await startTestWorker(stack.env);
    try {
      const procedure = await createProcedure(admin, projectId, {
        name: 'through-restart', steps: [{ name: 'work', run: 'for i in 1 2 3 4 5 6; do echo "tick $i"; sleep 0.5; done' }],
      });
      const ids = [];
      for (let i = 0; i < 3; i += 1) ids.push((await runProcedure(admin, procedure.id)).id);
      await Promise.all(ids.map((id) => waitForStatus(admin, id, ['running'])));
      await stack.postgres.restart();
      await waitFor(async () => (await api.http.get('/health/ready')).status === 200, 'the api to reconnect to PostgreSQL', 30_000);
      const ends = await Promise.all(ids.map((id) => waitForStatus(admin, id, 'terminal', 60_000)));
      for (const end of ends) expect(['succeeded', 'worker_lost']).toContain(end.status);
      // And new work runs on the same processes.
      const after = (await runProcedure(admin, procedure.id)).id;
      expect((await waitForStatus(admin, after, 'terminal', 30_000)).status).toBe('succeeded');
    } finally {
      await worker.close();
    }
  });
});
