import type TestAgent from 'supertest/lib/agent';
import { stringify } from 'yaml';
import { uniqueName } from '../support/test-api';
import { waitFor } from '../support/test-worker';

export async function createProject(admin: TestAgent, extra: Record<string, unknown> = {}): Promise<{ id: string; name: string }> {
  const name = uniqueName('proj');
  const response = await admin.post('/api/v1/projects').send({ name, ...extra });
  if (response.status !== 201) throw new Error(`project creation failed: ${response.status} ${JSON.stringify(response.body)}`);
  return { id: response.body.id as string, name };
}

/** Creates a procedure from a definition object (sent as YAML); the name is made unique. */
export async function createProcedure(admin: TestAgent, projectId: string, definition: Record<string, unknown>): Promise<{ id: string; name: string }> {
  const name = uniqueName(String(definition.name ?? 'proc'));
  const response = await admin.post(`/api/v1/projects/${projectId}/procedures`).set('Content-Type', 'application/yaml').send(stringify({ ...definition, name }));
  if (response.status !== 201) throw new Error(`procedure creation failed: ${response.status} ${JSON.stringify(response.body)}`);
  return { id: response.body.id as string, name };
}

export async function runProcedure(agent: TestAgent, procedureId: string, params: Record<string, unknown> = {}): Promise<{ id: string; status: string }> {
  const response = await agent.post(`/api/v1/procedures/${procedureId}/executions`).send({ params });
  if (response.status !== 201) throw new Error(`run failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as { id: string; status: string };
}

const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'timed_out', 'worker_lost', 'rejected']);

export async function waitForStatus(agent: TestAgent, executionId: string, statuses: string[] | 'terminal', timeoutMs = 20_000): Promise<Record<string, any>> {
  return waitFor(async () => {
    const response = await agent.get(`/api/v1/executions/${executionId}`);
    const done = statuses === 'terminal' ? TERMINAL.has(response.body.status) : statuses.includes(response.body.status);
    return done ? (response.body as Record<string, any>) : null;
  }, `execution ${executionId} to reach ${String(statuses)}`, timeoutMs);
}

export async function allLogLines(agent: TestAgent, executionId: string): Promise<Array<{ seq: number; stream: string; step: string | null; text: string }>> {
  const lines: Array<{ seq: number; stream: string; step: string | null; text: string }> = [];
  let after = 0;
  for (;;) {
    const response = await agent.get(`/api/v1/executions/${executionId}/logs?after=${after}&limit=5000`);
    lines.push(...response.body.items);
    if (!response.body.nextCursor) return lines;
    after = Number(response.body.nextCursor);
  }
}
