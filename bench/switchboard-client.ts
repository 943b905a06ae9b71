import { Agent, request } from 'node:http';

/** The few calls of Switchboard's HTTP API the benchmark makes, with an admin bearer token. */
export class SwitchboardClient {
  /**
   * Triggers go through node:http on kept-alive connections, as a lean API client would: fetch()
   * (undici) cost the benchmark process about 1.5 ms of CPU per trigger, on the same two cores as
   * the processes it measures.
   */
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 32 });

  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  /** Logs in as admin (session cookie), then mints an API token as a tool would. */
  static async adminToken(baseUrl: string, username: string, password: string): Promise<string> {
    const login = await fetch(`${baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`);
    const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const created = await fetch(`${baseUrl}/api/v1/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'x-requested-with': 'switchboard' },
      body: JSON.stringify({ name: `bench-${Date.now()}` }),
    });
    if (created.status !== 201) throw new Error(`token creation failed: ${created.status} ${await created.text()}`);
    return ((await created.json()) as { token: string }).token;
  }

  async createProject(name: string): Promise<string> {
    return (await this.post('/api/v1/projects', { name }, 201)).id as string;
  }

  /** The definition goes as JSON (the API also takes YAML); it is active at once without review. */
  async createProcedure(projectId: string, definition: Record<string, unknown>): Promise<string> {
    return (await this.post(`/api/v1/projects/${projectId}/procedures`, definition, 201)).id as string;
  }

  /** POST /procedures/:id/executions; the execution is queued when this returns. */
  async run(procedureId: string): Promise<{ id: string; status: string }> {
    const path = `/api/v1/procedures/${procedureId}/executions`;
    const payload = '{"params":{}}';
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const outgoing = request(`${this.baseUrl}${path}`, {
        method: 'POST', agent: this.agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${this.token}` },
      }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      });
      outgoing.on('error', reject);
      outgoing.end(payload);
    });
    if (status !== 201) throw new Error(`POST ${path}: ${status} ${text}`);
    const body = JSON.parse(text) as { id: string; status: string };
    return { id: body.id, status: body.status };
  }

  close(): void {
    this.agent.destroy();
  }

  async get(path: string): Promise<Record<string, any>> {
    const response = await fetch(`${this.baseUrl}${path}`, { headers: { authorization: `Bearer ${this.token}` } });
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, any>;
  }

  private async post(path: string, payload: unknown, expected: number): Promise<Record<string, any>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify(payload),
    });
    if (response.status !== expected) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, any>;
  }
}
