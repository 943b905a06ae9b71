import type TestAgent from 'supertest/lib/agent';
import { uniqueName } from '../support/test-api';

export interface TestUser {
  id: string;
  username: string;
  password: string;
}

/** Creates a user through the API as admin; unique name per call. */
export async function createUser(admin: TestAgent, prefix = 'user', extra: Record<string, unknown> = {}): Promise<TestUser> {
  const username = uniqueName(prefix);
  const password = `pw-${username}-long-enough`;
  const response = await admin.post('/api/v1/users').send({ username, password, ...extra });
  if (response.status !== 201) throw new Error(`user creation failed: ${response.status} ${JSON.stringify(response.body)}`);
  return { id: response.body.id as string, username, password };
}
