import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type TestAgent from 'supertest/lib/agent';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DataSource } from 'typeorm';
import { ExecutionEngine, type ExecutionEntity, ExecutionService } from '@switchboard/executions';
import { loginAgent, startTestApi, type TestApi, uniqueName } from './support/test-api';
import { startTestWorker, type TestWorker, waitFor } from './support/test-worker';
import { allLogLines, createProcedure, createProject, runProcedure, waitForStatus } from './factories/procedures';
import { insertQueuedExecution, registerLiveWorker, startsOf } from './factories/executions';

describe('executions: run steps in any language and pass outputs', () => {
  let api: TestApi;
  let worker: TestWorker;
  let admin: TestAgent;
  let projectId: string;

  beforeAll(async () => {
    [api, worker] = await Promise.all([startTestApi(), startTestWorker()]);
    admin = await loginAgent(api);
    projectId = (await createProject(admin)).id;
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
  });

  it('bash, python3 and node steps see their parameters; outputs pass between steps', async () => {
    const procedure = await createProcedure(admin, projectId, {
      name: 'polyglot',
      parameters: { service: { type: 'string', enum: ['api', 'worker'], required: true }, count: { type: 'integer', default: 3 } },
      steps: [
        { name: 'first', shell: 'bash', run: 'echo "bash sees $PARAM_SERVICE x$PARAM_COUNT"\necho "token=abc123" >> "$SWITCHBOARD_OUTPUT"' },
        { name: 'second', shell: 'python3', run: 'import os, json\nparams = json.load(open(os.environ["SWITCHBOARD_PARAMS"]))\nprint("python sees", params["service"], os.environ["STEP_FIRST_TOKEN"])\nopen(os.environ["SWITCHBOARD_OUTPUT"], "a").write("answer=42\\n")' },
        { name: 'third', shell: 'node', run: 'console.log("node sees", process.env.PARAM_SERVICE, process.env.STEP_SECOND_ANSWER)' },
      ],
    });
    const started = await runProcedure(admin, procedure.id, { service: 'worker' });
    expect(started.status).toBe('queued');
    const done = await waitForStatus(admin, started.id, 'terminal');
    expect(done.status).toBe('succeeded');
    expect(done.steps.map((s: { status: string; exitCode: number }) => [s.status, s.exitCode])).toEqual([['succeeded', 0], ['succeeded', 0], ['succeeded', 0]]);
    expect(done.outputs).toEqual({ first: { token: 'abc123' }, second: { answer: '42' }, third: {} });
    const text = (await allLogLines(admin, started.id)).map((l) => l.text);
    expect(text).toContain('bash sees worker x3');
    expect(text).toContain('python sees worker abc123');
    expect(text).toContain('node sees worker 42');
  });

  it('makes workspaces under SWITCHBOARD_WORKSPACE_DIR (created 0700 if missing) and leaves nothing there after a run', async () => {
    const group = uniqueName('workspaces');
    const base = join(tmpdir(), `${group}-base`, 'workspaces');
    const own = await startTestWorker({ SWITCHBOARD_WORKER_GROUPS: group, SWITCHBOARD_WORKSPACE_DIR: base });
    try {
      expect(statSync(base).mode & 0o777).toBe(0o700);
      const procedure = await createProcedure(admin, projectId, {
        name: 'where', worker_group: group,
        steps: [{ name: 'first', run: 'echo "home=$HOME"; echo "cwd=$PWD"' }, { name: 'last', run: 'echo "tmp=$TMPDIR"' }],
      });
      const id = (await runProcedure(admin, procedure.id)).id;
      expect((await waitForStatus(admin, id, 'terminal')).status).toBe('succeeded');
      const text = (await allLogLines(admin, id)).map((l) => l.text);
      for (const [key, dir] of [['home', 'home'], ['cwd', 'work'], ['tmp', 'tmp']]) {
        expect(text.find((t) => t.startsWith(`${key}=`))).toMatch(new RegExp(`^${key}=${base}/switchboard-${id.slice(0, 40)}-[0-9a-f]{12}/${dir}$`));
      }
      await waitFor(async () => readdirSync(base).length === 0, 'the workspace to be removed');
    } finally {
      await own.close();
      rmSync(dirname(base), { recursive: true, force: true });
    }
  });

  it('starts steps from the python launcher by default, and from the node one with SWITCHBOARD_STEP_LAUNCHER=node', async () => {
    const parents: string[] = [];
    for (const setting of ['auto', 'node']) {
      const group = uniqueName(`launcher-${setting}`);
      const own = await startTestWorker({ SWITCHBOARD_WORKER_GROUPS: group, SWITCHBOARD_STEP_LAUNCHER: setting });
      try {
        const procedure = await createProcedure(admin, projectId, { name: `parent-${setting}`, worker_group: group, steps: [{ name: 'who', run: 'cat "/proc/$PPID/comm"' }] });
        const id = (await runProcedure(admin, procedure.id)).id;
        expect((await waitForStatus(admin, id, 'terminal')).status).toBe('succeeded');
        parents.push((await allLogLines(admin, id))[0].text);
      } finally {
        await own.close();
      }
    }
    expect(parents).toEqual(['python3', 'node']);
  });

  it('runs bash steps in warm shells, and never with SWITCHBOARD_WARM_SHELLS=0', async () => {
    const seen: string[][] = [];
    for (const setting of [undefined, '0']) {
      const group = uniqueName('warm');
      const own = await startTestWorker({ SWITCHBOARD_WORKER_GROUPS: group, ...(setting === undefined ? {} : { SWITCHBOARD_WARM_SHELLS: setting }) });
      try {
        // A forked warm shell is in its server's session (a cold one leads its own); a started one is a bash -c.
        const run = 'read -ra s < /proc/$$/stat; [[ $- == *c* || s[5] -ne $$ ]] && echo "warm $0" || echo "cold $0"';
        const procedure = await createProcedure(admin, projectId, { name: uniqueName('warmth'), worker_group: group, steps: [{ name: 'one', run }, { name: 'two', run }] });
        const id = (await runProcedure(admin, procedure.id)).id;
        expect((await waitForStatus(admin, id, 'terminal')).status).toBe('succeeded');
        seen.push((await allLogLines(admin, id)).filter((line) => !line.text.startsWith('[switchboard]')).map((line) => line.text.replace(/ \/.*\/steps\/(\d+)-.*$/, ' script $1')));
      } finally {
        await own.close();
      }
    }
    // The launcher starts its shells when it starts: the worker's first bash step is warm too.
    expect(seen).toEqual([['warm script 2', 'warm script 4'], ['cold script 2', 'cold script 4']]);
  });

  it('prints an injection attempt literally and creates nothing', async () => {
    const marker = `/tmp/switchboard-pwned-${Date.now()}`;
    const procedure = await createProcedure(admin, projectId, {
      name: 'echoer', parameters: { message: { type: 'string', required: true } },
      steps: [{ name: 'say', run: 'echo "message: $PARAM_MESSAGE"' }],
    });
    const payload = `$(touch ${marker}); echo pwned \`touch ${marker}\``;
    const started = await runProcedure(admin, procedure.id, { message: payload });
    const done = await waitForStatus(admin, started.id, 'terminal');
    expect(done.status).toBe('succeeded');
    expect((await allLogLines(admin, started.id)).map((l) => l.text)).toContain(`message: ${payload}`);
    expect(existsSync(marker)).toBe(false);
  });

  it('runs the version active at the trigger, also right after a new one was activated; an archived procedure is not found', async () => {
    const procedure = await createProcedure(admin, projectId, { name: 'evolving', steps: [{ name: 'say', run: 'echo one' }] });
    const first = await runProcedure(admin, procedure.id);
    expect((await admin.get(`/api/v1/executions/${first.id}`)).body.version).toBe(1);
    const proposed = await admin.post(`/api/v1/procedures/${procedure.id}/versions`).set('Content-Type', 'application/yaml')
      .send(`name: ${procedure.name}\nparameters: {level: {type: integer, required: true}}\nsteps: [{name: say, run: 'echo two $PARAM_LEVEL'}]\n`);
    expect(proposed.status).toBe(201);
    // The new version's parameters apply at once: the run the api tried first with version 1 is checked again.
    expect((await admin.post(`/api/v1/procedures/${procedure.id}/executions`).send({ params: {} })).status).toBe(422);
    const second = await runProcedure(admin, procedure.id, { level: 2 });
    const done = await waitForStatus(admin, second.id, 'terminal');
    expect(done).toMatchObject({ status: 'succeeded', version: 2 });
    expect((await allLogLines(admin, second.id)).map((l) => l.text)).toContain('two 2');
    expect((await admin.delete(`/api/v1/procedures/${procedure.id}`)).status).toBe(204);
    expect((await admin.post(`/api/v1/procedures/${procedure.id}/executions`).send({ params: { level: 2 } })).status).toBe(404);
  });

  it('writes triggers that arrive together in shared statements, each run with its own audit event, and all of them run', async () => {
    const procedure = await createProcedure(admin, projectId, {
      name: 'crowd', parameters: { n: { type: 'integer', required: true } }, steps: [{ name: 'say', run: 'echo "run $PARAM_N"' }],
    });
    const started = await Promise.all(Array.from({ length: 24 }, (_, n) => runProcedure(admin, procedure.id, { n })));
    const ids = started.map((s) => s.id);
    const db = api.app.get(DataSource);
    const events = (await db.query(
      `SELECT resource_id, xid::text, action, actor_name, details FROM audit_events WHERE resource_type = 'execution' AND resource_id = ANY($1) AND action = 'execution.queued'`,
      [ids],
    )) as Array<{ resource_id: string; xid: string; details: { params: { n: number }; procedureId: string; version: number } }>;
    expect(events.map((e) => e.resource_id).sort()).toEqual([...ids].sort());
    for (const [n, id] of ids.entries()) {
      expect(events.find((e) => e.resource_id === id)?.details).toMatchObject({ params: { n }, procedureId: procedure.id, version: 1 });
    }
    // Runs of one transaction share its xid: fewer transactions than runs means triggers were grouped.
    expect(new Set(events.map((e) => e.xid)).size).toBeLessThan(ids.length);
    for (const [n, id] of ids.entries()) {
      expect((await waitForStatus(admin, id, 'terminal')).status).toBe('succeeded');
      expect((await allLogLines(admin, id)).map((l) => l.text)).toContain(`run ${n}`);
    }
  });

  it('inserts from a batch only the runs whose procedure is still runnable, and audits only those', async () => {
    const live = await createProcedure(admin, projectId, { name: 'batch-live', steps: [{ name: 'say', run: 'true' }] });
    const archived = await createProcedure(admin, projectId, { name: 'batch-archived', steps: [{ name: 'say', run: 'true' }] });
    const service = api.app.get(ExecutionService);
    const db = api.app.get(DataSource);
    const actor = { type: 'user' as const, id: null, name: 'batch test' };
    const target = async (procedureId: string) => (service as unknown as { readRunTarget(id: string): Promise<unknown> }).readRunTarget(procedureId);
    const runs: Array<{ actor: typeof actor; target: unknown; execution: ExecutionEntity; mustBeActive: boolean }> = [];
    for (const procedureId of [live.id, archived.id, live.id]) {
      const t = await target(procedureId);
      const execution = (service as unknown as { newExecution(...args: unknown[]): ExecutionEntity })
        .newExecution(actor, { can: () => true }, t, {}, 'api', {});
      runs.push({ actor, target: t, execution, mustBeActive: true });
    }
    expect((await admin.delete(`/api/v1/procedures/${archived.id}`)).status).toBe(204);
    const inserted = await (service as unknown as { insertMany(r: typeof runs): Promise<boolean[]> }).insertMany(runs);
    expect(inserted).toEqual([true, false, true]);
    const ids = runs.map((r) => r.execution.id);
    const stored = (await db.query(`SELECT id FROM executions WHERE id = ANY($1)`, [ids])) as Array<{ id: string }>;
    expect(stored.map((r) => r.id).sort()).toEqual([ids[0], ids[2]].sort());
    const audited = (await db.query(`SELECT resource_id FROM audit_events WHERE resource_id = ANY($1)`, [ids])) as Array<{ resource_id: string }>;
    expect(audited.map((r) => r.resource_id).sort()).toEqual([ids[0], ids[2]].sort());
  });

  it('answers 422 with one error per bad parameter and queues nothing', async () => {
    const procedure = await createProcedure(admin, projectId, {
      name: 'strict',
      parameters: {
        service: { type: 'string', enum: ['api', 'worker'], required: true },
        ticket: { type: 'string', pattern: '^[A-Z]+-[0-9]+$' },
        replicas: { type: 'integer', min: 1, max: 5 },
        region: { type: 'string', required: true },
      },
      steps: [{ name: 'noop', run: 'true' }],
    });
    const before = await admin.get(`/api/v1/executions?procedure=${procedure.id}`);
    const response = await admin.post(`/api/v1/procedures/${procedure.id}/executions`).send({ params: { service: 'db', ticket: 'nope', replicas: '3' } });
    expect(response.status).toBe(422);
    expect(response.headers['content-type']).toMatch(/problem\+json/);
    const fields = response.body.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['params.region', 'params.replicas', 'params.service', 'params.ticket']);
    const after = await admin.get(`/api/v1/executions?procedure=${procedure.id}`);
    expect(after.body.items.length).toBe(before.body.items.length);
  });

  it('fails a run whose step exits non-zero and skips the rest', async () => {
    const procedure = await createProcedure(admin, projectId, {
      name: 'failing',
      steps: [{ name: 'boom', run: 'echo about to fail >&2; exit 3' }, { name: 'never', run: 'echo never' }],
    });
    const done = await waitForStatus(admin, (await runProcedure(admin, procedure.id)).id, 'terminal');
    expect(done.status).toBe('failed');
    expect(done.steps).toMatchObject([{ name: 'boom', status: 'failed', exitCode: 3 }, { name: 'never', status: 'skipped' }]);
    expect(done.statusReason).toMatch(/boom/);
  });

  it('continues after a failing step marked continue_on_error', async () => {
    const procedure = await createProcedure(admin, projectId, {
      name: 'tolerant',
      steps: [{ name: 'flaky', run: 'exit 1', continue_on_error: true }, { name: 'after', run: 'echo still here' }],
    });
    const done = await waitForStatus(admin, (await runProcedure(admin, procedure.id)).id, 'terminal');
    expect(done.status).toBe('succeeded');
    expect(done.steps.map((s: { status: string }) => s.status)).toEqual(['failed', 'succeeded']);
  });

  it('retries a failed run with backoff and succeeds on a later attempt', async () => {
    const procedure = await createProcedure(admin, projectId, {
      name: 'retrying', retries: 2, retry_delay: '1s',
      // The marker outlives the first attempt's workspace; the second attempt removes it.
      steps: [{ name: 'sometimes', run: 'f=/tmp/sb-retry-$SWITCHBOARD_EXECUTION_ID; if [ -e $f ]; then rm -f $f; echo second time; else touch $f; exit 1; fi' }],
    });
    const id = (await runProcedure(admin, procedure.id)).id;
    const done = await waitForStatus(admin, id, 'terminal');
    expect(done.status).toBe('succeeded');
    expect((await allLogLines(admin, id)).map((l) => l.text).some((t) => t.includes('retrying in'))).toBe(true);
  });

  it('masks secret parameters in the record and in the output', async () => {
    const procedure = await createProcedure(admin, projectId, {
      name: 'secretive', parameters: { password: { type: 'string', secret: true, required: true } },
      steps: [{ name: 'leak', run: 'echo "the password is $PARAM_PASSWORD"' }],
    });
    const id = (await runProcedure(admin, procedure.id, { password: 'hunter2-very-secret' })).id;
    const done = await waitForStatus(admin, id, 'terminal');
    expect(done.status).toBe('succeeded');
    expect(done.params).toEqual({ password: '***' });
    const lines = await allLogLines(admin, id);
    expect(lines.map((l) => l.text)).toContain('the password is ***');
    expect(JSON.stringify(lines)).not.toContain('hunter2');
    // Re-run keeps the secret encrypted and usable.
    const rerun = await admin.post(`/api/v1/executions/${id}/rerun`);
    expect(rerun.status).toBe(201);
    expect((await waitForStatus(admin, rerun.body.id, 'terminal')).status).toBe('succeeded');
    expect((await allLogLines(admin, rerun.body.id)).map((l) => l.text)).toContain('the password is ***');
  });

  it('lists history with filters, newest first, and pages with a cursor', async () => {
    const procedure = await createProcedure(admin, projectId, { name: 'history', steps: [{ name: 'noop', run: 'true' }] });
    const ids = [];
    for (let i = 0; i < 3; i += 1) ids.push((await runProcedure(admin, procedure.id)).id);
    await Promise.all(ids.map((id) => waitForStatus(admin, id, 'terminal')));
    const first = await admin.get(`/api/v1/executions?procedure=${procedure.id}&limit=2`);
    expect(first.body.items.map((e: { id: string }) => e.id)).toEqual([ids[2], ids[1]]);
    const second = await admin.get(`/api/v1/executions?procedure=${procedure.id}&limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((e: { id: string }) => e.id)).toEqual([ids[0]]);
    expect(second.body.nextCursor).toBeNull();
    const bad = await admin.get('/api/v1/executions?status=bogus');
    expect(bad.status).toBe(400);
  });

  it('runs at most `concurrency` at a time; extra runs wait in queued', async () => {
    const procedure = await createProcedure(admin, projectId, {
      name: 'serial', concurrency: 1, steps: [{ name: 'hold', run: 'sleep 0.5' }],
    });
    const ids = [await runProcedure(admin, procedure.id), await runProcedure(admin, procedure.id), await runProcedure(admin, procedure.id)].map((e) => e.id);
    let maxRunning = 0;
    await waitFor(async () => {
      const list = await admin.get(`/api/v1/executions?procedure=${procedure.id}`);
      const statuses = list.body.items.map((e: { status: string }) => e.status);
      maxRunning = Math.max(maxRunning, statuses.filter((s: string) => s === 'running').length);
      return statuses.every((s: string) => s === 'succeeded');
    }, 'all serial runs to finish', 30_000, 20);
    expect(maxRunning).toBe(1);
    expect(ids).toHaveLength(3);
  });

  it('reports usage: runs, success rate, duration percentiles and toil saved', async () => {
    const procedure = await createProcedure(admin, projectId, { name: 'measured', toil_minutes: 15, steps: [{ name: 'noop', run: 'true' }] });
    for (let i = 0; i < 3; i += 1) await waitForStatus(admin, (await runProcedure(admin, procedure.id)).id, 'terminal');
    const stats = (await admin.get(`/api/v1/procedures/${procedure.id}/stats`)).body;
    expect(stats).toMatchObject({ runs: 3, succeeded: 3, failed: 0, successRate: 1, toilMinutesSaved: 45 });
    expect(stats.durationMs.p50).toBeGreaterThanOrEqual(0);
    expect(stats.lastRunAt).not.toBeNull();
  });

  it('exports YAML that re-imports identically', async () => {
    const procedure = await createProcedure(admin, projectId, {
      name: 'roundtrip', description: 'Round trip', parameters: { env: { type: 'string', enum: ['a', 'b'], default: 'a' } },
      steps: [{ name: 'one', shell: 'python3', run: 'print("hi")\n' }], timeout: '5m', tags: ['x'],
    });
    const exported = await admin.get(`/api/v1/procedures/${procedure.id}/export`);
    expect(exported.headers['content-type']).toMatch(/yaml/);
    const second = await createProject(admin);
    const reimported = await admin.post(`/api/v1/projects/${second.id}/procedures`).set('Content-Type', 'application/yaml').send(exported.text);
    expect(reimported.status).toBe(201);
    const a = await admin.get(`/api/v1/procedures/${procedure.id}`);
    const b = await admin.get(`/api/v1/procedures/${reimported.body.id}`);
    expect(b.body.definition).toEqual(a.body.definition);
  });

  it('refuses an invalid definition with field paths and YAML line numbers', async () => {
    const yaml = `name: ${uniqueName('bad')}\nsteps:\n  - name: one\n    shell: "not an interpreter"\n    run: echo hi\n`;
    const response = await admin.post(`/api/v1/projects/${projectId}/procedures`).set('Content-Type', 'application/yaml').send(yaml);
    expect(response.status).toBe(400);
    expect(response.body.errors[0]).toMatchObject({ field: 'steps[0].shell', line: 4 });
  });

  it('refuses a YAML alias bomb in bounded time', async () => {
    const bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 0; i < 9; i += 1) bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`);
    const started = Date.now();
    const response = await admin.post(`/api/v1/projects/${projectId}/procedures`).set('Content-Type', 'application/yaml').send(bomb.join('\n'));
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses an oversized definition with 413', async () => {
    const response = await admin.post(`/api/v1/projects/${projectId}/procedures`).set('Content-Type', 'application/yaml')
      .send(`name: big\ndescription: "${'x'.repeat(300 * 1024)}"\nsteps: [{name: a, run: "true"}]\n`);
    expect(response.status).toBe(413);
  });

  /** The worker's claim of a queued run (queued → running, once). */
  describe('the claim', () => {
    let own: TestWorker;
    let db: Client;

    beforeAll(async () => {
      own = await startTestWorker({ SWITCHBOARD_WORKER_GROUPS: uniqueName('claims') });
      db = new Client({ connectionString: inject('databaseUrl') });
      await db.connect();
    });
    afterAll(async () => {
      await db?.end();
      await own?.close();
    });

    it('claims a run of a procedure without a concurrency limit that the first claim missed, instead of holding it as busy', async () => {
      // The first claim can miss a run that becomes queued again (a retry) just after its snapshot,
      // and the limited claim, a statement later, then sees it queued. That window cannot be timed
      // from outside, so the limited claim is called directly: it used to count running runs
      // against a limit of 0, so such a run waited a second as busy.
      const procedure = await createProcedure(admin, projectId, { name: 'unlimited', worker_group: uniqueName('nobody'), steps: [{ name: 'say', run: 'true' }] });
      const id = randomUUID();
      await insertQueuedExecution(db, procedure.id, id);
      const engine = own.app.get(ExecutionEngine) as unknown as { claimLimited(executionId: string, workerId: string): Promise<unknown> };
      expect(await engine.claimLimited(id, 'test-worker')).toMatchObject({ id, status: 'queued' });
      expect(await startsOf(db, id)).toEqual({ attempt: 1, started: 1 });
    });

    it('claims and ends runs that arrive together in shared statements, each with its own audit event, the first of a run named twice only', async () => {
      // Under load the worker's claims and ends go together (group commit); that timing cannot be
      // forced from outside, so the batch methods are called directly, as for the trigger batch.
      const procedure = await createProcedure(admin, projectId, { name: 'claimed-together', worker_group: uniqueName('nobody'), steps: [{ name: 'say', run: 'true' }] });
      const limited = await createProcedure(admin, projectId, { name: 'claimed-limited', worker_group: uniqueName('nobody'), concurrency: 1, steps: [{ name: 'say', run: 'true' }] });
      const [a, b, c, late] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      for (const id of [a, b]) await insertQueuedExecution(db, procedure.id, id);
      await insertQueuedExecution(db, limited.id, c);
      await insertQueuedExecution(db, procedure.id, late);
      await db.query(`UPDATE executions SET status = 'canceled', finished_at = now() WHERE id = $1`, [late]);
      // Claimed in the name of a worker that is not running: it needs a heartbeat, or a reconciler may end the runs as lost meanwhile.
      await registerLiveWorker(db, 'batch-worker');
      type Batch = Array<{ executionId: string; workerId: string }>;
      const engine = own.app.get(ExecutionEngine) as unknown as {
        claimMany(claims: Batch): Promise<Array<{ id: string; attempt: number; procedureName: string; definition: unknown } | undefined>>;
        endMany(ends: unknown[]): Promise<boolean[]>;
      };
      const claimed = await engine.claimMany([a, b, a, c, late].map((executionId) => ({ executionId, workerId: 'batch-worker' })));
      // The second `a` gets nothing (claimLimited then finds it running); `c` has a limit and `late` ended: claimLimited's to answer.
      expect(claimed.map((r) => r?.id)).toEqual([a, b, undefined, undefined, undefined]);
      expect(claimed[0]).toMatchObject({ attempt: 1, procedureName: procedure.name, definition: { name: procedure.name } });
      for (const id of [a, b]) expect(await startsOf(db, id)).toEqual({ attempt: 1, started: 1 });
      for (const id of [c, late]) expect((await startsOf(db, id)).started).toBe(0);
      const started = (await db.query(
        `SELECT resource_id, xid::text, project_id, actor_name, details FROM audit_events WHERE resource_id = ANY($1) AND action = 'execution.started'`, [[a, b]],
      )).rows as Array<{ resource_id: string; xid: string; project_id: string; actor_name: string; details: Record<string, unknown> }>;
      expect(new Set(started.map((e) => e.xid)).size).toBe(1);
      for (const event of started) {
        expect(event).toMatchObject({ project_id: projectId, actor_name: 'worker:batch-worker', details: { procedure: procedure.name, version: 1, attempt: 1, workerId: 'batch-worker' } });
      }

      const runnable = (id: string) => claimed.find((r) => r?.id === id)!;
      const end = (id: string, workerId: string, status: string, seq: number) => ({
        execution: { ...runnable(id), projectId }, workerId, outcome: { status, reason: status === 'failed' ? 'step say failed with exit code 3' : null },
        steps: [{ name: 'say', status, exitCode: status === 'failed' ? 3 : 0, startedAt: null, finishedAt: null }], outputs: { say: { answer: id.slice(0, 4) } },
        lines: [{ seq, ts: new Date().toISOString(), stream: 'system', step: null, text: `[switchboard] ${status} ${id}` }], lastSeq: seq, bytes: 20,
      });
      // `b` is ended by another worker's statement: the row says batch-worker, so nothing of it is recorded but its line.
      const ended = await engine.endMany([end(a, 'batch-worker', 'succeeded', 1), end(b, 'someone-else', 'succeeded', 1)]);
      expect(ended).toEqual([true, false]);
      const againB = await engine.endMany([end(b, 'batch-worker', 'failed', 2), end(a, 'batch-worker', 'failed', 2)]);
      expect(againB).toEqual([true, false]);
      const rows = (await db.query(`SELECT id, status, status_reason, outputs, log_seq, steps FROM executions WHERE id = ANY($1)`, [[a, b]])).rows as Array<Record<string, unknown>>;
      expect(rows.find((r) => r.id === a)).toMatchObject({ status: 'succeeded', status_reason: null, outputs: { say: { answer: a.slice(0, 4) } }, log_seq: 1 });
      expect(rows.find((r) => r.id === b)).toMatchObject({ status: 'failed', status_reason: 'step say failed with exit code 3', log_seq: 2, steps: [{ name: 'say', exitCode: 3 }] });
      const lines = (await db.query(`SELECT execution_id, seq, text FROM execution_logs WHERE execution_id = ANY($1) ORDER BY execution_id, seq`, [[a, b]])).rows as Array<{ execution_id: string; seq: number; text: string }>;
      expect(lines.filter((l) => l.execution_id === a).map((l) => l.text)).toEqual([`[switchboard] succeeded ${a}`, `[switchboard] failed ${a}`]);
      expect(lines.filter((l) => l.execution_id === b).map((l) => l.text)).toEqual([`[switchboard] succeeded ${b}`, `[switchboard] failed ${b}`]);
      const ends = (await db.query(
        `SELECT resource_id, action, outcome, reason, project_id, details FROM audit_events WHERE resource_id = ANY($1) AND action IN ('execution.succeeded', 'execution.failed')`, [[a, b]],
      )).rows as Array<Record<string, unknown>>;
      expect(ends).toHaveLength(2);
      expect(ends.find((e) => e.resource_id === a)).toMatchObject({ action: 'execution.succeeded', outcome: 'succeeded', project_id: projectId, details: { procedure: procedure.name, steps: [{ name: 'say', status: 'succeeded', exitCode: 0 }] } });
      expect(ends.find((e) => e.resource_id === b)).toMatchObject({ action: 'execution.failed', outcome: 'failed', reason: 'step say failed with exit code 3' });
    });
  });
});
