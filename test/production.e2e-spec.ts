import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { resolve } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateStack, type PrivateStack } from './support/private-stack';
import { freePort } from '../scripts/local-stack';
import { waitFor } from './support/test-worker';
import { DEMO_PROCEDURES } from '../scripts/demo-seed';

const run = promisify(execFile);

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-(child.pid as number), signal);
  } catch {
    // already gone
  }
}
const root = resolve(__dirname, '..');

/**
 * The production commands exactly as the README gives them, against an externally started
 * PostgreSQL and Redis, configured by environment variables only.
 */
describe('production commands', () => {
  let stack: PrivateStack;
  const children: ChildProcess[] = [];
  let logs = '';

  beforeAll(async () => {
    [stack] = await Promise.all([startPrivateStack({ migrate: false }), run('npm', ['run', 'build'], { cwd: root })]);
  }, 180_000);
  afterAll(async () => {
    for (const child of children) signalGroup(child, 'SIGTERM');
    await Promise.all(children.map((child) => new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)))));
    await stack?.stop();
  });

  const start = (script: string, env: Record<string, string>): ChildProcess => {
    // Its own process group, so a signal reaches npm and what it started, as from a terminal.
    const child = spawn('npm', ['run', script], { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout?.on('data', (chunk: Buffer) => { logs += chunk.toString(); });
    child.stderr?.on('data', (chunk: Buffer) => { logs += chunk.toString(); });
    children.push(child);
    return child;
  };

  it('stops with one clear line naming a missing variable', async () => {
    const failure = await run('node', ['dist/apps/api/src/main.js'], { cwd: root, env: { PATH: process.env.PATH, REDIS_URL: stack.env.REDIS_URL } }).catch((error: { stderr: string; code: number }) => error);
    expect((failure as { code: number }).code).toBe(78);
    expect((failure as { stderr: string }).stderr.trim()).toBe('configuration: DATABASE_URL is required (e.g. postgres://user:pass@host:5432/db)');
    const bad = await run('node', ['dist/apps/worker/src/main.js'], { cwd: root, env: { PATH: process.env.PATH, ...stack.env, PORT: 'abc' } }).catch((error: { stderr: string }) => error);
    expect((bad as { stderr: string }).stderr).toMatch(/^configuration: PORT /);
  });

  it('migrates, then serves the api and runs work on two api and two worker processes', async () => {
    const env = { DATABASE_URL: stack.env.DATABASE_URL, REDIS_URL: stack.env.REDIS_URL };
    const migrated = await run('npm', ['run', 'migrate'], { cwd: root, env: { PATH: process.env.PATH, ...env, SWITCHBOARD_ADMIN_PASSWORD: 'first-admin-password' } });
    expect(migrated.stdout).toMatch(/created admin user "admin"/);
    const again = await run('npm', ['run', 'migrate'], { cwd: root, env: { PATH: process.env.PATH, ...env } });
    expect(again.stdout).toMatch(/schema is up to date/);
    const ports = [await freePort(), await freePort()];
    for (const port of ports) start('start:api', { ...env, PORT: String(port) });
    start('start:worker', env);
    start('start:worker', env);
    for (const port of ports) {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => null))?.status === 200, `api on ${port}`, 60_000, 200)
        .catch((error: Error) => { throw new Error(`${error.message}\n${logs.slice(-3000)}`); });
    }
    const agent = request.agent(`http://127.0.0.1:${ports[0]}`);
    expect((await agent.post('/api/v1/auth/login').send({ username: 'admin', password: 'first-admin-password' })).status).toBe(200);
    agent.set('X-Requested-With', 'switchboard');
    const project = await agent.post('/api/v1/projects').send({ name: 'prod-check' });
    const procedure = await agent.post(`/api/v1/projects/${project.body.id}/procedures`).set('Content-Type', 'application/yaml').send(DEMO_PROCEDURES[0]);
    expect(procedure.status).toBe(201);
    const ids: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const response = await agent.post(`/api/v1/procedures/${procedure.body.id}/executions`).send({ params: { name: `run ${i}` } });
      ids.push(response.body.id as string);
    }
    // The other api process sees the same state.
    const other = request.agent(`http://127.0.0.1:${ports[1]}`);
    await other.post('/api/v1/auth/login').send({ username: 'admin', password: 'first-admin-password' });
    for (const id of ids) {
      const done = await waitFor(async () => {
        const body = (await other.get(`/api/v1/executions/${id}`)).body as { status: string };
        return ['succeeded', 'failed'].includes(body.status) ? body : null;
      }, `execution ${id}`, 30_000);
      expect(done.status).toBe('succeeded');
    }
    // The access log: one line per request once it is answered, with its route; never the query
    // string, credentials or Fastify's separate "incoming request" line.
    const marker = `not-logged-${Date.now()}`;
    await other.get(`/api/v1/executions?limit=1&q=${marker}`);
    expect((await other.get(`/api/v1/no-such-thing?q=${marker}`)).status).toBe(404);
    const accessLine = await waitFor(async () => logs.split('\n')
      .filter((line) => line.includes('"msg":"request completed"') && line.trimEnd().endsWith('}'))
      .map((line) => JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>)
      .find((line) => line.route === '/api/v1/executions') ?? null, 'the access line of GET /api/v1/executions');
    expect(accessLine).toMatchObject({ level: 'info', method: 'GET', path: '/api/v1/executions', status: expect.any(Number), responseTime: expect.any(Number) });
    expect(accessLine.requestId).toEqual(expect.any(String));
    expect(logs).not.toContain(marker);
    expect(logs).not.toContain('incoming request');
    expect(logs).not.toContain('first-admin-password');
  });

  it('npm start: embedded PostgreSQL and redis-server, seeded demo, admin login, Ctrl-C stops everything', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-start-'));
    chmodSync(dataDir, 0o711);
    const [port, pgPort, redisPort] = [await freePort(), await freePort(), await freePort()];
    const child = start('start', { SWITCHBOARD_DATA_DIR: dataDir, PORT: String(port), SWITCHBOARD_PG_PORT: String(pgPort), SWITCHBOARD_REDIS_PORT: String(redisPort) });
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitFor(async () => (await fetch(`${url}/health/ready`).catch(() => null))?.status === 200, 'npm start to be ready', 90_000, 250)
        .catch((error: Error) => { throw new Error(`${error.message}\n${logs.slice(-3000)}`); });
      await waitFor(async () => logs.includes('admin login:'), 'the admin login to be printed');
      const password = readFileSync(join(dataDir, 'admin-password'), 'utf8').trim();
      expect(logs).toContain(`admin login: admin / ${password}`);
      const agent = request.agent(url);
      expect((await agent.post('/api/v1/auth/login').send({ username: 'admin', password })).status).toBe(200);
      const catalog = await agent.get('/api/v1/procedures?q=');
      expect(catalog.body.items.map((p: { name: string }) => p.name).sort()).toEqual(['always-fails', 'countdown', 'hello-world', 'python-report']);
      const hello = catalog.body.items.find((p: { name: string }) => p.name === 'hello-world');
      const run = await agent.post(`/api/v1/procedures/${hello.id}/executions`).set('X-Requested-With', 'switchboard').send({ params: {} });
      const done = await waitFor(async () => {
        const body = (await agent.get(`/api/v1/executions/${run.body.id}`)).body as { status: string };
        return ['succeeded', 'failed'].includes(body.status) ? body : null;
      }, 'the demo run');
      expect(done.status).toBe('succeeded');
    } finally {
      // npm runs the script in a child; signal the whole group like a terminal's Ctrl-C does.
      const exited = new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
      signalGroup(child, 'SIGINT');
      await exited;
      await waitFor(async () => {
        const { stdout } = await run('ps', ['-eo', 'args']);
        return !stdout.includes(dataDir) && !stdout.includes(`--port ${redisPort}`);
      }, 'every process npm start started to stop', 30_000, 200);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
