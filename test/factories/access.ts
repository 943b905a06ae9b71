import type TestAgent from 'supertest/lib/agent';
import { uniqueName } from '../support/test-api';

export async function createTeam(admin: TestAgent): Promise<{ id: string; name: string }> {
  const response = await admin.post('/api/v1/teams').send({ name: uniqueName('team') });
  if (response.status !== 201) throw new Error(`team creation failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as { id: string; name: string };
}

export async function bind(
  agent: TestAgent, subject: { type: 'user' | 'team'; id: string }, role: string, scope: { type: 'global' | 'project' | 'procedure'; id?: string },
): Promise<string> {
  const response = await agent.post('/api/v1/role-bindings').send({ subject, role, scope });
  if (response.status !== 201) throw new Error(`binding failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.id as string;
}

/** A bearer token for a user, optionally narrowed to scopes. */
export async function tokenFor(agent: TestAgent, scopes?: Array<{ action: string; subject: string; id?: string }>): Promise<string> {
  const response = await agent.post('/api/v1/tokens').send({ name: uniqueName('tok'), ...(scopes ? { scopes } : {}) });
  if (response.status !== 201) throw new Error(`token failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.token as string;
}
