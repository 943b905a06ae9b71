import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import type TestAgent from 'supertest/lib/agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, loginAgent, startTestApi, type TestApi, uniqueName } from './support/test-api';
import { spawnWorker, startTestWorker, type TestWorker, waitFor } from './support/test-worker';
import { readEvents } from './support/sse-client';
import { allLogLines, createProcedure, createProject, runProcedure, waitForStatus } from './factories/procedures';

function rssKb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : 0;
}

describe('live output: SSE, replay, big outputs', () => {
  let api: TestApi;
  let worker: TestWorker;
  let admin: TestAgent;
  let token: string;
  let projectId: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    [api, worker] = await Promise.all([startTestApi(), startTestWorker()]);
    admin = await loginAgent(api);
    token = await adminToken(api);
    projectId = (await createProject(admin)).id;
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await worker?.close();
    await api?.close();
  });

  it('streams lines live, and a client that reconnects with Last-Event-ID receives every line once', async () => {
    const procedure = await createProcedure(admin, projectId, {
      name: 'ticker', steps: [{ name: 'tick', run: 'for i in $(seq 1 30); do echo "line $i"; sleep 0.05; done' }],
    });
    const id = (await runProcedure(admin, procedure.id)).id;
    const url = `${api.url}/api/v1/executions/${id}/logs/stream`;
    const auth = { authorization: `Bearer ${token}` };
    const seen: number[] = [];
    // First connection: read a few lines, then hang up mid-run.
    const first = new AbortController();
    for await (const event of readEvents(url, auth, first.signal)) {
      if (event.event === 'line') seen.push(Number(event.id));
      if (seen.length >= 5) break;
    }
    first.abort();
    // Reconnect from where we were.
    let end: { status: string } | undefined;
    const second = new AbortController();
    for await (const event of readEvents(url, { ...auth, 'last-event-id': String(seen[seen.length - 1]) }, second.signal)) {
      if (event.event === 'line') seen.push(Number(event.id));
      if (event.event === 'end') {
        end = JSON.parse(event.data) as { status: string };
        break;
      }
    }
    second.abort();
    expect(end?.status).toBe('succeeded');
    const stored = await allLogLines(admin, id);
    expect(seen).toEqual(stored.map((l) => l.seq));
    expect(new Set(seen).size).toBe(seen.length);
    expect(stored.filter((l) => l.text.startsWith('line ')).length).toBe(30);
  });

  it('replays a finished execution and ends at once', async () => {
    const procedure = await createProcedure(admin, projectId, { name: 'short', steps: [{ name: 'say', run: 'echo one; echo two >&2' }] });
    const id = (await runProcedure(admin, procedure.id)).id;
    await waitForStatus(admin, id, 'terminal');
    const events = [];
    for await (const event of readEvents(`${api.url}/api/v1/executions/${id}/logs/stream`, { authorization: `Bearer ${token}` }, new AbortController().signal)) {
      events.push(event);
    }
    const lines = events.filter((e) => e.event === 'line').map((e) => JSON.parse(e.data) as { stream: string; text: string });
    expect(lines.map((l) => [l.stream, l.text]).slice(0, 2)).toEqual([['stdout', 'one'], ['stderr', 'two']]);
    expect(events[events.length - 1].event).toBe('end');
  });

  it('refuses the stream of an execution the caller may not see with 404', async () => {
    const response = await fetch(`${api.url}/api/v1/executions/00000000-0000-4000-8000-000000000000/logs/stream`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(404);
  });

  it('stores 5 MB of output completely while the worker\'s memory stays flat', async () => {
    const group = uniqueName('bigout');
    const child = spawnWorker({ SWITCHBOARD_WORKER_GROUPS: group });
    children.push(child);
    const procedure = await createProcedure(admin, projectId, {
      name: 'chatty', worker_group: group,
      // 50,000 lines of 100 bytes = 5 MB.
      steps: [{ name: 'spew', shell: 'python3', run: 'import sys\nfor i in range(50000):\n    sys.stdout.write("%08d %s\\n" % (i, "x" * 90))\n' }],
    });
    // Warm the worker up with a small run (modules loaded, pools open), then measure the big one.
    const warmUp = await createProcedure(admin, projectId, { name: 'warmup', worker_group: group, steps: [{ name: 'hi', run: 'seq 1 2000' }] });
    await waitForStatus(admin, (await runProcedure(admin, warmUp.id)).id, 'terminal', 60_000);
    const before = rssKb(child.pid!);
    let peak = before;
    const id = (await runProcedure(admin, procedure.id)).id;
    await waitFor(async () => {
      peak = Math.max(peak, rssKb(child.pid!));
      const status = (await admin.get(`/api/v1/executions/${id}`)).body.status as string;
      return status !== 'queued' && status !== 'running' ? status : null;
    }, 'the big run to end', 60_000, 25);
    const execution = (await admin.get(`/api/v1/executions/${id}`)).body;
    expect(execution.status).toBe('succeeded');
    const lines = await allLogLines(admin, id);
    const output = lines.filter((l) => l.stream === 'stdout');
    expect(output.length).toBe(50_000);
    expect(output[49_999].text.startsWith('00049999 ')).toBe(true);
    expect(output.reduce((sum, l) => sum + l.text.length + 1, 0)).toBe(5_000_000);
    // Memory does not grow with the output: far less than the 5 MB passing through twice over.
    expect(peak - before).toBeLessThan(60 * 1024);
  }, 180_000);

  it('truncates output past the per-execution cap with a visible marker', async () => {
    const group = uniqueName('capped');
    const capped = await startTestWorker({ SWITCHBOARD_WORKER_GROUPS: group, SWITCHBOARD_OUTPUT_LIMIT_BYTES: '10000' });
    try {
      const procedure = await createProcedure(admin, projectId, {
        name: 'overflow', worker_group: group, steps: [{ name: 'spew', run: 'for i in $(seq 1 2000); do echo "line $i of many"; done' }],
      });
      const id = (await runProcedure(admin, procedure.id)).id;
      expect((await waitForStatus(admin, id, 'terminal')).status).toBe('succeeded');
      const lines = await allLogLines(admin, id);
      expect(lines.some((l) => l.stream === 'system' && /output truncated/.test(l.text))).toBe(true);
      expect(lines.length).toBeLessThan(1000);
    } finally {
      await capped.close();
    }
  });
});
