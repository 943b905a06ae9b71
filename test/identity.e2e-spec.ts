import request from 'supertest';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDataSource } from '@switchboard/platform';
import { loginAgent, startTestApi, type TestApi } from './support/test-api';
import { type ApiProcess, startApiProcess } from './support/api-process';
import { createUser, type TestUser } from './factories/users';
import { tokenFor } from './factories/access';
import { ADMIN_PASSWORD, ADMIN_USERNAME } from './support/constants';

const PROBLEM = /application\/problem\+json/;

describe('identity: login, sessions, tokens', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ SWITCHBOARD_LOGIN_MAX_FAILURES: '3' });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('logs in with the right password and sets an httpOnly SameSite session cookie', async () => {
    const response = await api.http.post('/api/v1/auth/login').send({ username: ADMIN_USERNAME, password: ADMIN_PASSWORD });
    expect(response.status).toBe(200);
    expect(response.body.user.username).toBe(ADMIN_USERNAME);
    expect(response.body.user).not.toHaveProperty('passwordHash');
    const cookie = String(response.headers['set-cookie']);
    expect(cookie).toMatch(/sb_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
  });

  it('answers GET /me for a session', async () => {
    const agent = await loginAgent(api);
    const me = await agent.get('/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: ADMIN_USERNAME, displayName: expect.any(String), roles: expect.any(Array), teams: expect.any(Array) });
  });

  it('refuses a wrong password with 401 that reveals nothing', async () => {
    const admin = await loginAgent(api);
    const user = await createUser(admin, 'wrongpw');
    const wrong = await api.http.post('/api/v1/auth/login').send({ username: user.username, password: 'not-the-password' });
    const unknown = await api.http.post('/api/v1/auth/login').send({ username: 'no-such-user-xyz', password: 'whatever' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.headers['content-type']).toMatch(PROBLEM);
    expect(wrong.body.detail).toBe(unknown.body.detail);
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });

  it('locks a user out with 429 after repeated wrong logins, even with the right password', async () => {
    const admin = await loginAgent(api);
    const user = await createUser(admin, 'lockout');
    for (let i = 0; i < 3; i += 1) {
      expect((await api.http.post('/api/v1/auth/login').send({ username: user.username, password: 'wrong' })).status).toBe(401);
    }
    const locked = await api.http.post('/api/v1/auth/login').send({ username: user.username, password: user.password });
    expect(locked.status).toBe(429);
    expect(locked.headers['retry-after']).toMatch(/^\d+$/);
    expect(locked.headers['content-type']).toMatch(PROBLEM);
  });

  it('ends a disabled user\'s sessions and tokens at once', async () => {
    const admin = await loginAgent(api);
    const user = await createUser(admin, 'disabled');
    const agent = await loginAgent(api, user.username, user.password);
    const token = (await agent.post('/api/v1/tokens').send({ name: 'ci' })).body.token as string;
    expect((await agent.get('/api/v1/me')).status).toBe(200);
    expect((await api.http.get('/api/v1/me').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    expect((await admin.patch(`/api/v1/users/${user.id}`).send({ disabled: true })).status).toBe(200);
    expect((await agent.get('/api/v1/me')).status).toBe(401);
    expect((await api.http.get('/api/v1/me').set('Authorization', `Bearer ${token}`)).status).toBe(401);
    expect((await api.http.post('/api/v1/auth/login').send({ username: user.username, password: user.password })).status).toBe(401);
  });

  it('logs out: the session cookie stops working', async () => {
    const agent = await loginAgent(api);
    expect((await agent.post('/api/v1/auth/logout')).status).toBe(204);
    expect((await agent.get('/api/v1/me')).status).toBe(401);
  });

  it('creates a token shown once, lists it without the secret, accepts it as Bearer, and revokes it', async () => {
    const agent = await loginAgent(api);
    const created = await agent.post('/api/v1/tokens').send({ name: 'deploy-bot' });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^sbt_/);
    const list = await agent.get('/api/v1/tokens');
    const listed = list.body.items.find((t: { id: string }) => t.id === created.body.id);
    expect(listed).toBeDefined();
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);
    const me = await api.http.get('/api/v1/me').set('Authorization', `Bearer ${created.body.token}`);
    expect(me.status).toBe(200);
    expect(me.body.authenticatedWith).toBe('token');
    expect((await agent.get('/api/v1/tokens')).body.items.find((t: { id: string }) => t.id === created.body.id).lastUsedAt).not.toBeNull();
    expect((await agent.delete(`/api/v1/tokens/${created.body.id}`)).status).toBe(204);
    expect((await api.http.get('/api/v1/me').set('Authorization', `Bearer ${created.body.token}`)).status).toBe(401);
  });

  it('refuses an expired token with 401', async () => {
    const agent = await loginAgent(api);
    const created = await agent.post('/api/v1/tokens').send({ name: 'short', expiresAt: new Date(Date.now() + 1500).toISOString() });
    expect(created.status).toBe(201);
    expect((await api.http.get('/api/v1/me').set('Authorization', `Bearer ${created.body.token}`)).status).toBe(200);
    const deadline = Date.now() + 5_000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      status = (await api.http.get('/api/v1/me').set('Authorization', `Bearer ${created.body.token}`)).status;
    }
    expect(status).toBe(401);
  });

  it('refuses a token in the past at creation with a field error', async () => {
    const agent = await loginAgent(api);
    const response = await agent.post('/api/v1/tokens').send({ name: 'old', expiresAt: '2001-01-01T00:00:00Z' });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'expiresAt', message: 'must be in the future' }]);
  });

  it('refuses cookie-authenticated writes without the CSRF header', async () => {
    const agent = request.agent(api.url);
    await agent.post('/api/v1/auth/login').send({ username: ADMIN_USERNAME, password: ADMIN_PASSWORD });
    const response = await agent.post('/api/v1/tokens').send({ name: 'csrf' });
    expect(response.status).toBe(403);
  });

  it('answers 401 problem+json without credentials', async () => {
    const response = await api.http.get('/api/v1/me');
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toMatch(PROBLEM);
    expect(response.body).toMatchObject({ status: 401, title: 'Unauthorized' });
  });

  it('refuses non-admins the user list with 403', async () => {
    const admin = await loginAgent(api);
    const user = await createUser(admin, 'plain');
    const agent = await loginAgent(api, user.username, user.password);
    expect((await agent.get('/api/v1/users')).status).toBe(403);
  });

  it('lists every invalid field when creating a user', async () => {
    const admin = await loginAgent(api);
    const response = await admin.post('/api/v1/users').send({ username: '!', password: 'short', email: 'nope', extra: 1 });
    expect(response.status).toBe(400);
    const fields = response.body.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['email', 'extra', 'password', 'username']);
  });
});

describe('bearer tokens across api processes', () => {
  let api: TestApi;
  let other: ApiProcess;
  let db: DataSource;
  beforeAll(async () => {
    [api, other, db] = await Promise.all([
      startTestApi(), startApiProcess(), createDataSource({ url: inject('databaseUrl'), poolSize: 1 }).initialize(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([api?.close(), other?.stop(), db?.destroy()]);
  });

  /** A user with a token that both api processes have resolved, and proof that they keep it resolved. */
  async function tokenKeptByBoth(prefix: string): Promise<{ user: TestUser; token: string; statuses: () => Promise<number[]> }> {
    const admin = await loginAgent(api);
    const user = await createUser(admin, prefix);
    const token = await tokenFor(await loginAgent(api, user.username, user.password));
    const me = (http: TestApi['http']): Promise<request.Response> => http.get('/api/v1/me').set('Authorization', `Bearer ${token}`);
    expect((await Promise.all([me(api.http), me(other.http)])).map((r) => r.status)).toEqual([200, 200]);
    // Changed behind the apis' backs (no invalidation), the owner's name is not re-read at once:
    // proof that both processes serve the resolved token from their cache.
    await db.query('UPDATE users SET display_name = $2 WHERE id = $1', [user.id, 'changed behind the back']);
    const names = (await Promise.all([me(api.http), me(other.http)])).map((r) => r.body.displayName);
    expect(names).not.toContain('changed behind the back');
    return { user, token, statuses: async () => (await Promise.all([me(api.http), me(other.http)])).map((r) => r.status) };
  }

  it('refuses a revoked token on the very next request, in another api process too', async () => {
    const { user, token, statuses } = await tokenKeptByBoth('revoked');
    const owner = await loginAgent(api, user.username, user.password);
    const listed = (await owner.get('/api/v1/tokens')).body.items as Array<{ id: string; prefix: string }>;
    const id = listed.find((t) => token.startsWith(t.prefix))!.id;
    expect((await owner.delete(`/api/v1/tokens/${id}`)).status).toBe(204);
    expect(await statuses()).toEqual([401, 401]);
  });

  it('refuses the tokens of a disabled user on the very next request, in another api process too', async () => {
    const { user, statuses } = await tokenKeptByBoth('disabled-everywhere');
    const admin = await loginAgent(api);
    expect((await admin.patch(`/api/v1/users/${user.id}`).send({ disabled: true })).status).toBe(200);
    expect(await statuses()).toEqual([401, 401]);
  });

  it('writes one token.used event when a busy token falls due, however many processes and requests use it', async () => {
    const { user, token } = await tokenKeptByBoth('busy');
    const [{ id }] = (await db.query('SELECT id FROM api_tokens WHERE user_id = $1', [user.id])) as Array<{ id: string }>;
    await db.query(`UPDATE api_tokens SET last_used_at = now() - interval '2 minutes' WHERE id = $1`, [id]);
    // A change to the user makes both processes read the token again, and find it due.
    const admin = await loginAgent(api);
    expect((await admin.patch(`/api/v1/users/${user.id}`).send({ displayName: 'busy bee' })).status).toBe(200);
    const burst = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? api.http : other.http).get('/api/v1/procedures').set('Authorization', `Bearer ${token}`));
    expect(new Set((await Promise.all(burst)).map((r) => r.status))).toEqual(new Set([200]));
    const [touched] = (await db.query(`SELECT last_used_at > now() - interval '1 minute' AS recent FROM api_tokens WHERE id = $1`, [id])) as Array<{ recent: boolean }>;
    expect(touched.recent).toBe(true);
    const [{ events, named }] = (await db.query(
      `SELECT count(*)::int AS events, count(request_id)::int AS named FROM audit_events WHERE action = 'token.used' AND resource_id = $1`, [id],
    )) as Array<{ events: number; named: number }>;
    expect(named).toBe(events); // the request that used the token is named, as in every event
    expect(events).toBe(2); // the first use, when the token was made, and this one
  });

  it('moves a busy session\'s last_seen_at when it falls due, with requests in two api processes', async () => {
    const admin = await loginAgent(api);
    const user = await createUser(admin, 'busy-session');
    const login = await api.http.post('/api/v1/auth/login').send({ username: user.username, password: user.password });
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    await db.query(`UPDATE sessions SET last_seen_at = now() - interval '2 minutes' WHERE user_id = $1`, [user.id]);
    const burst = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? api.http : other.http).get('/api/v1/me').set('Cookie', cookie));
    expect(new Set((await Promise.all(burst)).map((r) => r.status))).toEqual(new Set([200]));
    const [session] = (await db.query(`SELECT last_seen_at > now() - interval '1 minute' AS recent FROM sessions WHERE user_id = $1`, [user.id])) as Array<{ recent: boolean }>;
    expect(session.recent).toBe(true);
  });
});

describe('cross-cutting HTTP behaviour', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ SWITCHBOARD_BODY_LIMIT_BYTES: '65536' });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('answers malformed JSON with 400 problem+json', async () => {
    const response = await api.http.post('/api/v1/auth/login').set('Content-Type', 'application/json').send('{"username": ');
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(PROBLEM);
  });

  it('answers an unknown route with 404 problem+json', async () => {
    const response = await api.http.get('/api/v1/no-such-thing');
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(PROBLEM);
  });

  it('answers a body over the limit with 413', async () => {
    const response = await api.http.post('/api/v1/auth/login').set('Content-Type', 'application/json').send(JSON.stringify({ username: 'x', password: 'y'.repeat(100_000) }));
    expect(response.status).toBe(413);
    expect(response.headers['content-type']).toMatch(PROBLEM);
  });

  it('answers an absurdly long header with a 4xx', async () => {
    const response = await fetch(`${api.url}/health/live`, { headers: { 'X-Long': 'a'.repeat(100_000) } });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });

  it('puts a request id on every response and echoes a sane one', async () => {
    const minted = await api.http.get('/health/live');
    expect(minted.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const echoed = await api.http.get('/health/live').set('X-Request-Id', 'abc-123');
    expect(echoed.headers['x-request-id']).toBe('abc-123');
    const hostile = await api.http.get('/health/live').set('X-Request-Id', 'evil value<script>');
    expect(hostile.headers['x-request-id']).not.toContain('<');
  });

  it('sends security headers', async () => {
    const response = await api.http.get('/health/live');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it('reports readiness of PostgreSQL and Redis', async () => {
    const response = await api.http.get('/health/ready');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok', postgres: 'ok', redis: 'ok' });
  });

  it('serves Prometheus metrics with HTTP latency by route, queue depth and executions by status', async () => {
    await api.http.get('/health/live');
    const response = await api.http.get('/metrics');
    expect(response.status).toBe(200);
    expect(response.text).toMatch(/switchboard_http_request_duration_seconds_bucket\{[^}]*route="\/health\/live"/);
    expect(response.text).toContain('switchboard_executions_recent');
    expect(response.text).toMatch(/^switchboard_audit_unsealed_events \d+$/m);
    expect(response.text).toContain('switchboard_queue_jobs');
  });

  it('serves the OpenAPI document and UI', async () => {
    const json = await api.http.get('/api/docs.json');
    expect(json.status).toBe(200);
    expect(json.body.paths).toHaveProperty('/api/v1/auth/login');
    expect((await api.http.get('/api/docs')).status).toBe(200);
  });

  it('never answers 5xx to garbage input', async () => {
    const attempts = [
      api.http.post('/api/v1/auth/login').send([1, 2, 3]),
      api.http.post('/api/v1/auth/login').send({ username: { $gt: '' }, password: null }),
      api.http.post('/api/v1/auth/login').set('Content-Type', 'text/plain').send('hello'),
      api.http.get('/api/v1/users?limit=abc'),
      api.http.delete('/api/v1/tokens/not-a-uuid'),
      api.http.get('/api/v1/me').set('Authorization', 'Bearer ' + 'x'.repeat(5000)),
      api.http.get('/api/v1/me').set('Cookie', 'sb_session=' + '%'.repeat(100)),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBeLessThan(500);
      expect(response.status).toBeGreaterThanOrEqual(400);
    }
  });
});
