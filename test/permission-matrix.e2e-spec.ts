import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRoutes } from '../apps/api/src/http/policy-coverage.check';
import { loginAgent, startTestApi, type TestApi } from './support/test-api';
import { startTestWorker, type TestWorker } from './support/test-worker';
import { createUser } from './factories/users';
import { bind, tokenFor } from './factories/access';
import { createProcedure, createProject, runProcedure, waitForStatus } from './factories/procedures';

const ROLES = ['anonymous', 'admin', 'owner', 'author', 'runner', 'approver', 'viewer', 'auditor', 'token'] as const;
type Role = (typeof ROLES)[number];
const NOWHERE = '00000000-0000-4000-8000-000000000000';

/**
 * Every route × every built-in role (bound at the fixture project; auditor globally), anonymous,
 * and a token narrowed to running one procedure. Adding a route without a row fails this test.
 * Mutations are sent invalid bodies or aimed at ids that do not exist, so an allowed caller gets
 * 400/404/409/422 and nothing changes; a refused one gets 401/403, or 404 where it may not see.
 */
const M = (anonymous: number, admin: number, owner: number, author: number, runner: number, approver: number, viewer: number, auditor: number, token: number): Record<Role, number> =>
  ({ anonymous, admin, owner, author, runner, approver, viewer, auditor, token });

const MATRIX: Record<string, { path: string; body?: unknown; expect: Record<Role, number> }> = {
  'POST /api/v1/auth/login': { path: '/api/v1/auth/login', body: {}, expect: M(400, 400, 400, 400, 400, 400, 400, 400, 400) },
  'POST /api/v1/auth/logout': { path: '/api/v1/auth/logout', expect: M(401, 204, 204, 204, 204, 204, 204, 204, 204) },
  'GET /api/v1/me': { path: '/api/v1/me', expect: M(401, 200, 200, 200, 200, 200, 200, 200, 200) },
  'GET /api/v1/me/permissions': { path: '/api/v1/me/permissions', expect: M(401, 200, 200, 200, 200, 200, 200, 200, 200) },
  'POST /api/v1/tokens': { path: '/api/v1/tokens', body: {}, expect: M(401, 400, 400, 400, 400, 400, 400, 400, 400) },
  'GET /api/v1/tokens': { path: '/api/v1/tokens', expect: M(401, 200, 200, 200, 200, 200, 200, 200, 200) },
  'DELETE /api/v1/tokens/:id': { path: `/api/v1/tokens/${NOWHERE}`, expect: M(401, 404, 404, 404, 404, 404, 404, 404, 404) },
  'GET /api/v1/users': { path: '/api/v1/users', expect: M(401, 200, 403, 403, 403, 403, 403, 200, 403) },
  'POST /api/v1/users': { path: '/api/v1/users', body: {}, expect: M(401, 400, 403, 403, 403, 403, 403, 403, 403) },
  'PATCH /api/v1/users/:id': { path: `/api/v1/users/${NOWHERE}`, body: {}, expect: M(401, 404, 403, 403, 403, 403, 403, 403, 403) },
  'GET /metrics': { path: '/metrics', expect: M(200, 200, 200, 200, 200, 200, 200, 200, 200) },
  'GET /health/live': { path: '/health/live', expect: M(200, 200, 200, 200, 200, 200, 200, 200, 200) },
  'GET /health/ready': { path: '/health/ready', expect: M(200, 200, 200, 200, 200, 200, 200, 200, 200) },
  'GET /api/v1/projects': { path: '/api/v1/projects', expect: M(401, 200, 200, 200, 200, 200, 200, 200, 200) },
  'POST /api/v1/projects': { path: '/api/v1/projects', body: {}, expect: M(401, 400, 403, 403, 403, 403, 403, 403, 403) },
  'GET /api/v1/projects/:id': { path: '/api/v1/projects/{project}', expect: M(401, 200, 200, 200, 200, 200, 200, 200, 200) },
  'PATCH /api/v1/projects/:id': { path: '/api/v1/projects/{project}', body: { bogus: true }, expect: M(401, 400, 403, 403, 403, 403, 403, 403, 403) },
  'DELETE /api/v1/projects/:id': { path: `/api/v1/projects/${NOWHERE}`, expect: M(401, 404, 403, 403, 403, 403, 403, 403, 403) },
  'GET /api/v1/procedures': { path: '/api/v1/procedures', expect: M(401, 200, 200, 200, 200, 200, 200, 200, 200) },
  'POST /api/v1/projects/:id/procedures': { path: '/api/v1/projects/{project}/procedures', body: {}, expect: M(401, 400, 400, 400, 403, 403, 403, 403, 403) },
  'GET /api/v1/procedures/:id': { path: '/api/v1/procedures/{procedure}', expect: M(401, 200, 200, 200, 200, 200, 200, 200, 200) },
  'GET /api/v1/procedures/:id/versions': { path: '/api/v1/procedures/{procedure}/versions', expect: M(401, 200, 200, 200, 403, 200, 200, 200, 403) },
  'POST /api/v1/procedures/:id/versions': { path: '/api/v1/procedures/{procedure}/versions', body: {}, expect: M(401, 400, 400, 400, 403, 403, 403, 403, 403) },
  'GET /api/v1/procedures/:id/versions/:n': { path: '/api/v1/procedures/{procedure}/versions/1', expect: M(401, 200, 200, 200, 403, 200, 200, 200, 403) },
  'POST /api/v1/procedures/:id/versions/:n/submit': { path: '/api/v1/procedures/{procedure}/versions/1/submit', expect: M(401, 409, 409, 409, 403, 403, 403, 403, 403) },
  'POST /api/v1/procedures/:id/versions/:n/approve': { path: '/api/v1/procedures/{procedure}/versions/1/approve', body: {}, expect: M(401, 403, 409, 403, 403, 409, 403, 403, 403) },
  'POST /api/v1/procedures/:id/versions/:n/reject': { path: '/api/v1/procedures/{procedure}/versions/1/reject', body: {}, expect: M(401, 403, 409, 403, 403, 409, 403, 403, 403) },
  'POST /api/v1/executions/:id/approve': { path: '/api/v1/executions/{execution}/approve', body: {}, expect: M(401, 403, 409, 403, 403, 409, 403, 403, 403) },
  'POST /api/v1/executions/:id/reject': { path: '/api/v1/executions/{execution}/reject', body: {}, expect: M(401, 403, 409, 403, 403, 409, 403, 403, 403) },
  'GET /api/v1/audit-events': { path: '/api/v1/audit-events?limit=5', expect: M(401, 200, 403, 403, 403, 403, 403, 200, 403) },
  'GET /api/v1/audit-events/:id': { path: `/api/v1/audit-events/${NOWHERE}`, expect: M(401, 404, 403, 403, 403, 403, 403, 404, 403) },
  'GET /api/v1/audit-events/export': { path: `/api/v1/audit-events/export?format=csv&resourceId=${NOWHERE}`, expect: M(401, 200, 403, 403, 403, 403, 403, 200, 403) },
  'GET /api/v1/audit-events/verify': { path: `/api/v1/audit-events/verify?from=${new Date(Date.now() + 86_400_000).toISOString()}`, expect: M(401, 200, 403, 403, 403, 403, 403, 200, 403) },
  'GET /api/v1/projects/:id/channels': { path: '/api/v1/projects/{project}/channels', expect: M(401, 200, 200, 403, 403, 403, 403, 403, 403) },
  'POST /api/v1/projects/:id/channels': { path: '/api/v1/projects/{project}/channels', body: {}, expect: M(401, 400, 400, 403, 403, 403, 403, 403, 403) },
  'PATCH /api/v1/projects/:id/channels/:channelId': { path: `/api/v1/projects/{project}/channels/${NOWHERE}`, body: {}, expect: M(401, 404, 404, 403, 403, 403, 403, 403, 403) },
  'DELETE /api/v1/projects/:id/channels/:channelId': { path: `/api/v1/projects/{project}/channels/${NOWHERE}`, expect: M(401, 404, 404, 403, 403, 403, 403, 403, 403) },
  'GET /api/v1/notifications/deliveries': { path: '/api/v1/notifications/deliveries', expect: M(401, 200, 200, 200, 200, 200, 200, 200, 200) },
  'GET /api/v1/procedures/:id/stats': { path: '/api/v1/procedures/{procedure}/stats', expect: M(401, 200, 200, 200, 200, 200, 200, 200, 200) },
  'GET /api/v1/approvals': { path: '/api/v1/approvals?state=pending', expect: M(401, 200, 200, 200, 200, 200, 200, 200, 200) },
  'GET /api/v1/procedures/:id/export': { path: '/api/v1/procedures/{procedure}/export', expect: M(401, 200, 200, 200, 403, 200, 200, 200, 403) },
  'DELETE /api/v1/procedures/:id': { path: `/api/v1/procedures/${NOWHERE}`, expect: M(401, 404, 404, 403, 403, 403, 403, 403, 403) },
  'POST /api/v1/procedures/:id/executions': { path: '/api/v1/procedures/{procedure}/executions', body: { params: { bogus: 1 } }, expect: M(401, 422, 422, 403, 422, 403, 403, 403, 422) },
  'GET /api/v1/executions': { path: '/api/v1/executions', expect: M(401, 200, 200, 200, 200, 200, 200, 200, 200) },
  'GET /api/v1/executions/:id': { path: '/api/v1/executions/{execution}', expect: M(401, 200, 200, 200, 200, 200, 200, 200, 200) },
  'GET /api/v1/executions/:id/logs': { path: '/api/v1/executions/{execution}/logs', expect: M(401, 200, 200, 200, 200, 200, 200, 200, 200) },
  'GET /api/v1/executions/:id/logs/stream': { path: '/api/v1/executions/{execution}/logs/stream', expect: M(401, 200, 200, 200, 200, 200, 200, 200, 200) },
  'POST /api/v1/executions/:id/cancel': { path: '/api/v1/executions/{execution}/cancel', expect: M(401, 409, 409, 403, 403, 403, 403, 403, 409) },
  'POST /api/v1/executions/:id/rerun': { path: `/api/v1/executions/${NOWHERE}/rerun`, expect: M(401, 404, 404, 403, 404, 403, 403, 403, 404) },
  'GET /api/v1/teams': { path: '/api/v1/teams', expect: M(401, 200, 403, 403, 403, 403, 403, 200, 403) },
  'POST /api/v1/teams': { path: '/api/v1/teams', body: {}, expect: M(401, 400, 403, 403, 403, 403, 403, 403, 403) },
  'POST /api/v1/teams/:id/members/:userId': { path: `/api/v1/teams/${NOWHERE}/members/${NOWHERE}`, expect: M(401, 404, 403, 403, 403, 403, 403, 403, 403) },
  'DELETE /api/v1/teams/:id/members/:userId': { path: `/api/v1/teams/${NOWHERE}/members/${NOWHERE}`, expect: M(401, 404, 403, 403, 403, 403, 403, 403, 403) },
  'GET /api/v1/roles': { path: '/api/v1/roles', expect: M(401, 200, 403, 403, 403, 403, 403, 200, 403) },
  'POST /api/v1/roles': { path: '/api/v1/roles', body: {}, expect: M(401, 400, 403, 403, 403, 403, 403, 403, 403) },
  'GET /api/v1/role-bindings': { path: '/api/v1/role-bindings', expect: M(401, 200, 200, 403, 403, 403, 403, 200, 403) },
  'POST /api/v1/role-bindings': { path: '/api/v1/role-bindings', body: {}, expect: M(401, 400, 400, 403, 403, 403, 403, 403, 403) },
  'DELETE /api/v1/role-bindings/:id': { path: `/api/v1/role-bindings/${NOWHERE}`, expect: M(401, 404, 404, 403, 403, 403, 403, 403, 403) },
  'GET /api/v1/access/explain': { path: '/api/v1/access/explain', expect: M(401, 400, 403, 403, 403, 403, 403, 400, 403) },
};

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'ALL', 'OPTIONS', 'HEAD'];

describe('permission matrix', () => {
  let api: TestApi;
  let worker: TestWorker;
  const tokens = {} as Record<Role, string | null>;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    [api, worker] = await Promise.all([startTestApi(), startTestWorker()]);
    const admin = await loginAgent(api);
    const project = await createProject(admin);
    const procedure = await createProcedure(admin, project.id, { name: 'matrix', steps: [{ name: 'go', run: 'true' }] });
    const execution = await runProcedure(admin, procedure.id);
    await waitForStatus(admin, execution.id, 'terminal');
    Object.assign(ids, { project: project.id, procedure: procedure.id, execution: execution.id });
    tokens.anonymous = null;
    tokens.admin = await tokenFor(admin);
    for (const role of ['owner', 'author', 'runner', 'approver', 'viewer', 'auditor'] as const) {
      const user = await createUser(admin, role);
      await bind(admin, { type: 'user', id: user.id }, role, role === 'auditor' ? { type: 'global' } : { type: 'project', id: project.id });
      tokens[role] = await tokenFor(await loginAgent(api, user.username, user.password));
    }
    tokens.token = await tokenFor(admin, [{ action: 'run', subject: 'Procedure', id: procedure.id }]);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
  });

  it('has a row for every registered route', () => {
    const routes = listRoutes(api.app.get(DiscoveryService), api.app.get(MetadataScanner), api.app.get(Reflector)).map((route) => {
      const path = `/${route.path}`.replace(/\/+/g, '/').replace(/\/$/, '');
      const full = path.startsWith('/health') || path === '/metrics' ? path : `/api/v1${path}`;
      return `${METHODS[route.method]} ${full}`;
    });
    expect([...routes].sort()).toEqual(Object.keys(MATRIX).sort());
  });

  for (const [route, row] of Object.entries(MATRIX)) {
    it(`${route}: answers each role as the matrix says`, async () => {
      const [method] = route.split(' ');
      const path = row.path.replace(/\{(\w+)\}/g, (_m, key: string) => ids[key]);
      const actual = {} as Record<Role, number>;
      for (const role of ROLES) {
        let call: request.Test = (request(api.url) as unknown as Record<string, (p: string) => request.Test>)[method.toLowerCase()](path);
        if (tokens[role]) call = call.set('Authorization', `Bearer ${tokens[role]}`);
        if (row.body !== undefined) call = call.send(row.body as object);
        actual[role] = (await call).status;
      }
      expect(actual).toEqual(row.expect);
    });
  }
});
