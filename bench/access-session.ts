/** A caller of the api for the benchmark's setup: a session cookie or a bearer token, fetch underneath. */
export class AccessSession {
  private constructor(
    readonly baseUrl: string,
    /** The header that authenticates: `cookie` or `authorization`. */
    readonly authHeader: { name: 'cookie' | 'authorization'; value: string },
  ) {}

  static async login(baseUrl: string, username: string, password: string): Promise<AccessSession> {
    const response = await fetch(`${baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (response.status !== 200) throw new Error(`login of ${username} failed: ${response.status} ${await response.text()}`);
    const cookie = response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    return new AccessSession(baseUrl, { name: 'cookie', value: cookie });
  }

  static withToken(baseUrl: string, token: string): AccessSession {
    return new AccessSession(baseUrl, { name: 'authorization', value: `Bearer ${token}` });
  }

  /** Headers a request of this caller carries (cookie-authenticated writes need X-Requested-With). */
  headers(forWrite = false): Record<string, string> {
    const headers: Record<string, string> = { [this.authHeader.name]: this.authHeader.value };
    if (forWrite && this.authHeader.name === 'cookie') headers['x-requested-with'] = 'switchboard';
    return headers;
  }

  /** Mints a personal API token, as a tool would after its user logged in once. */
  async createToken(name: string): Promise<string> {
    return (await this.post<{ token: string }>('/api/v1/tokens', { name }, 201)).token;
  }

  async get<T = Record<string, any>>(path: string): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, { headers: this.headers() });
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  async post<T = Record<string, any>>(path: string, payload: unknown, expected: number, contentType = 'application/json'): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: { ...this.headers(true), 'content-type': contentType },
      body: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
    if (response.status !== expected) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }
}
