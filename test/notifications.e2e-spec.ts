import { createHmac } from 'node:crypto';
import type TestAgent from 'supertest/lib/agent';
import { QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedisConnection, NOTIFICATIONS_QUEUE, QUEUE_PREFIX } from '@switchboard/core';
import { loginAgent, startTestApi, type TestApi, uniqueName } from './support/test-api';
import { startTestWorker, type TestWorker, waitFor } from './support/test-worker';
import { startHttpReceiver, startSmtpSink } from './support/receivers';
import { createUser } from './factories/users';
import { bind } from './factories/access';
import { createProcedure, createProject, runProcedure, waitForStatus } from './factories/procedures';

describe('notifications', () => {
  let api: TestApi;
  let worker: TestWorker;
  let admin: TestAgent;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    [api, worker] = await Promise.all([startTestApi(), startTestWorker({ SWITCHBOARD_SMTP_URL: smtp.url, SWITCHBOARD_PUBLIC_URL: 'https://switchboard.example.com' })]);
    admin = await loginAgent(api);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await smtp?.close();
  });

  it('a failed run sends an email and a webhook whose signature verifies; owners hear of it too', async () => {
    const receiver = await startHttpReceiver();
    try {
      const project = await createProject(admin);
      const mail = await admin.post(`/api/v1/projects/${project.id}/channels`).send({ name: 'ops-mail', type: 'email', config: { to: ['ops@example.com'] } });
      expect(mail.status).toBe(201);
      const hook = await admin.post(`/api/v1/projects/${project.id}/channels`).send({ name: 'ops-hook', type: 'webhook', config: { url: receiver.url } });
      expect(hook.status).toBe(201);
      expect(hook.body.secret).toMatch(/^whsec_/);
      expect(JSON.stringify((await admin.get(`/api/v1/projects/${project.id}/channels`)).body)).not.toContain(hook.body.secret);
      const owner = await createUser(admin, 'owner', { email: `owner-${Date.now()}@example.com` });
      await bind(admin, { type: 'user', id: owner.id }, 'owner', { type: 'project', id: project.id });
      const procedure = await createProcedure(admin, project.id, {
        name: 'breaks', parameters: { token: { type: 'string', secret: true }, target: { type: 'string', default: 'db-1' } },
        notify: { on: ['failed'], channels: ['ops-mail', 'ops-hook'] },
        steps: [{ name: 'try', run: 'exit 7' }],
      });
      const run = await runProcedure(admin, procedure.id, { token: 'top-secret-token-value' });
      expect((await waitForStatus(admin, run.id, 'terminal')).status).toBe('failed');

      await waitFor(async () => receiver.received.length >= 1, 'the webhook');
      const request = receiver.received[0];
      const [t, v1] = String(request.headers['x-switchboard-signature']).split(',').map((part) => part.split('=')[1]);
      expect(createHmac('sha256', hook.body.secret as string).update(`${t}.${request.body}`).digest('hex')).toBe(v1);
      const payload = JSON.parse(request.body) as { event: string; executionId: string; text: string };
      expect(payload).toMatchObject({ event: 'failed', executionId: run.id });
      expect(payload.text).toContain('token = ***');

      const mails = await waitFor(async () => {
        const mine = smtp.messages.filter((m) => m.text?.includes(run.id));
        return mine.length >= 2 ? mine : null;
      }, 'the channel email and the owner email');
      const recipients = mails.map((m) => (Array.isArray(m.to) ? m.to : [m.to]).flatMap((a) => a?.value.map((v) => v.address))).flat().sort();
      expect(recipients).toEqual(['ops@example.com', (await admin.get(`/api/v1/users?q=${owner.username}`)).body.items[0].email].sort());
      for (const message of mails) {
        expect(message.subject).toContain('FAILED');
        expect(message.text).toContain(`https://switchboard.example.com/executions/${run.id}`);
        expect(message.text).not.toContain('top-secret-token-value');
      }
      const deliveries = await waitFor(async () => {
        const items = (await admin.get(`/api/v1/notifications/deliveries?execution=${run.id}`)).body.items as Array<{ status: string; target: string }>;
        return items.length >= 3 && items.every((d) => d.status === 'delivered') ? items : null;
      }, 'three delivered deliveries');
      expect(deliveries.map((d) => d.target)).toEqual(expect.arrayContaining(['ops-mail', 'ops-hook']));
    } finally {
      await receiver.close();
    }
  });

  it('retries a receiver that fails twice, then delivers once it recovers: three attempts', async () => {
    const receiver = await startHttpReceiver((_request, index) => (index < 2 ? 500 : 200));
    try {
      const project = await createProject(admin);
      await admin.post(`/api/v1/projects/${project.id}/channels`).send({ name: 'flaky', type: 'webhook', config: { url: receiver.url }, events: ['succeeded'] });
      const procedure = await createProcedure(admin, project.id, { name: 'fine', steps: [{ name: 'ok', run: 'true' }] });
      const run = await runProcedure(admin, procedure.id);
      await waitForStatus(admin, run.id, 'terminal');
      const delivery = await waitFor(async () => {
        const [item] = (await admin.get(`/api/v1/notifications/deliveries?execution=${run.id}`)).body.items as Array<{ status: string; attempts: Array<{ ok: boolean; status?: number }> }>;
        return item?.status === 'delivered' ? item : null;
      }, 'the delivery to succeed', 30_000, 200);
      expect(delivery.attempts.map((a) => [a.ok, a.status])).toEqual([[false, 500], [false, 500], [true, 200]]);
      expect(receiver.received).toHaveLength(3);
    } finally {
      await receiver.close();
    }
  });

  it('queues no notification for a run nobody hears of; a channel added afterwards hears of the next run', async () => {
    // A worker without SMTP: owners are told by email only, so without channels nobody hears of a run.
    const group = uniqueName('quiet');
    const quietWorker = await startTestWorker({ SWITCHBOARD_WORKER_GROUPS: group });
    const connection = createRedisConnection(inject('redisUrl'), { forBullWorker: true });
    const events = new QueueEvents(NOTIFICATIONS_QUEUE, { connection, prefix: QUEUE_PREFIX });
    const receiver = await startHttpReceiver();
    try {
      await events.waitUntilReady();
      const queued: string[] = [];
      events.on('added', ({ jobId }) => queued.push(jobId));
      const project = await createProject(admin);
      const procedure = await createProcedure(admin, project.id, { name: 'quiet', worker_group: group, steps: [{ name: 'ok', run: 'true' }] });
      const unheard = await runProcedure(admin, procedure.id);
      expect((await waitForStatus(admin, unheard.id, 'terminal')).status).toBe('succeeded');

      const channel = await admin.post(`/api/v1/projects/${project.id}/channels`).send({ name: 'late', type: 'webhook', config: { url: receiver.url }, events: ['succeeded'] });
      expect(channel.status).toBe(201);
      const heard = await runProcedure(admin, procedure.id);
      await waitForStatus(admin, heard.id, 'terminal');
      await waitFor(async () => receiver.received.length >= 1, 'the webhook of the run after the channel was added');
      expect((JSON.parse(receiver.received[0].body) as { executionId: string }).executionId).toBe(heard.id);
      // Events are read in order: once the second run's job is seen, the first run's would have been.
      await waitFor(async () => queued.some((id) => id.includes(heard.id)), 'the second run\'s notification job');
      expect(queued.filter((id) => id.includes(unheard.id))).toEqual([]);
      expect(queued.filter((id) => id.includes(heard.id))).toEqual([`event-${heard.id}_succeeded`]);
    } finally {
      await receiver.close();
      await events.close();
      connection.disconnect();
      await quietWorker.close();
    }
  });

  it('refuses a webhook to a denied address when the channel is saved', async () => {
    const project = await createProject(admin);
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[fd00:ec2::254]/']) {
      const response = await admin.post(`/api/v1/projects/${project.id}/channels`).send({ name: uniqueName('bad'), type: 'webhook', config: { url } });
      expect(response.status, url).toBe(400);
      expect(response.body.errors[0]).toMatchObject({ field: 'config.url', message: expect.stringMatching(/never allowed/) });
    }
    const strict = await startTestApi({ SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE: 'false' });
    try {
      const agent = await loginAgent(strict);
      const response = await agent.post(`/api/v1/projects/${project.id}/channels`).send({ name: uniqueName('local'), type: 'slack', config: { url: 'http://127.0.0.1:9/slack' } });
      expect(response.status).toBe(400);
      expect(response.body.errors[0].message).toMatch(/private or loopback/);
    } finally {
      await strict.close();
    }
  });

  it('1,000 runs in a minute: every notification delivered exactly once per channel', async () => {
    const group = uniqueName('burst');
    const burstWorker = await startTestWorker({ SWITCHBOARD_WORKER_GROUPS: group, SWITCHBOARD_WORKER_CONCURRENCY: '8' });
    const [first, second] = [await startHttpReceiver(), await startHttpReceiver()];
    try {
      const project = await createProject(admin);
      await admin.post(`/api/v1/projects/${project.id}/channels`).send({ name: 'one', type: 'webhook', config: { url: first.url }, events: ['succeeded'] });
      await admin.post(`/api/v1/projects/${project.id}/channels`).send({ name: 'two', type: 'webhook', config: { url: second.url }, events: ['succeeded'] });
      const procedure = await createProcedure(admin, project.id, { name: 'burst', worker_group: group, steps: [{ name: 'ok', run: 'true' }] });
      const started = Date.now();
      const ids: string[] = [];
      for (let batch = 0; batch < 20; batch += 1) {
        const runs = await Promise.all(Array.from({ length: 50 }, () => runProcedure(admin, procedure.id)));
        ids.push(...runs.map((r) => r.id));
      }
      const triggered = Date.now() - started;
      await waitFor(async () => first.received.length >= 1000 && second.received.length >= 1000, 'a webhook per run per channel', 120_000, 250);
      const delivered = Date.now() - started;
      for (const receiver of [first, second]) {
        const executions = receiver.received.map((r) => (JSON.parse(r.body) as { executionId: string }).executionId);
        expect(new Set(executions).size).toBe(1000);
        expect(executions.length).toBe(1000);
        expect(new Set(executions)).toEqual(new Set(ids));
      }
      // Nothing arrives twice later either.
      await new Promise((r) => setTimeout(r, 1000));
      expect([first.received.length, second.received.length]).toEqual([1000, 1000]);
      process.stdout.write(`notifications burst: 1000 runs triggered in ${triggered} ms; 2000 webhooks delivered ${delivered} ms after the first trigger\n`);
    } finally {
      await burstWorker.close();
      await first.close();
      await second.close();
    }
  }, 180_000);
});
