import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import TestAgent from 'supertest/lib/agent';
import { createApiApp } from '../../apps/api/src/create-api-app';
import { ADMIN_PASSWORD, ADMIN_USERNAME } from './constants';
import { testConfig } from './test-env';

export interface TestApi {
  app: NestFastifyApplication;
  url: string;
  http: TestAgent;
  close(): Promise<void>;
}

/** A real api instance on a loopback port, against the run's shared PostgreSQL and Redis. */
export async function startTestApi(overrides: Record<string, string> = {}): Promise<TestApi> {
  const app = await createApiApp(testConfig(overrides));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = await app.getUrl();
  return { app, url: url.replace('[::1]', '127.0.0.1'), http: request(url), close: () => app.close() };
}

/** Logs in and returns an agent carrying the session cookie and the CSRF header. */
export async function loginAgent(api: TestApi, username = ADMIN_USERNAME, password = ADMIN_PASSWORD): Promise<TestAgent> {
  const agent = request.agent(api.url);
  const response = await agent.post('/api/v1/auth/login').send({ username, password });
  if (response.status !== 200) throw new Error(`login of ${username} failed: ${response.status} ${JSON.stringify(response.body)}`);
  return agent.set('X-Requested-With', 'switchboard');
}

/** A fresh admin API token (bearer) for tests that act as a tool. */
export async function adminToken(api: TestApi): Promise<string> {
  const agent = await loginAgent(api);
  const response = await agent.post('/api/v1/tokens').send({ name: `test-${Date.now()}-${Math.random()}` });
  if (response.status !== 201) throw new Error(`token creation failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.token as string;
}

let counter = 0;
/** Unique names keep tests isolated on the shared database. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`.toLowerCase();
}
