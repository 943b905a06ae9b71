/** The few calls of Switchboard's HTTP API the benchmark makes, with an admin bearer token. */
export class SwitchboardClient {
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
    const body = await this.post(`/api/v1/procedures/${procedureId}/executions`, { params: {} }, 201);
    return { id: body.id as string, status: body.status as string };
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
