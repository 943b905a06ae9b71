import { readFileSync } from 'node:fs';
import { freePort } from '../scripts/local-stack';
import { AppProcess } from './app-process';
import { AppRuntime } from './app-runtime';
import { AUDIT_BENCH_ADMIN, type AuditBenchStack } from './audit-stack';
import { elapsedMs } from './audit-stats';
import type { Teardown } from './teardown';

/** The api as a child process (TypeScript sources via @swc-node/register), and a bearer token for it. */
export async function startAuditApi(stack: AuditBenchStack, teardown: Teardown): Promise<{ app: AppProcess; client: AuditApiClient }> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const app = await AppProcess.start(
    {
      name: 'api',
      entry: 'apps/api/src/main',
      runtime: AppRuntime.swcNode(),
      env: { ...stack.appEnv, PORT: String(port) },
      isReady: async () => (await fetch(`${baseUrl}/health/ready`)).status === 200,
      readyTimeoutMs: 120_000,
    },
    teardown,
  );
  const login = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: AUDIT_BENCH_ADMIN.username, password: AUDIT_BENCH_ADMIN.password }),
  });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`);
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const minted = await fetch(`${baseUrl}/api/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, 'x-requested-with': 'switchboard' },
    body: JSON.stringify({ name: 'audit-bench' }),
  });
  if (minted.status !== 201) throw new Error(`token creation failed: ${minted.status} ${await minted.text()}`);
  const { token } = (await minted.json()) as { token: string };
  return { app, client: new AuditApiClient(baseUrl, token) };
}

export interface TimedResponse<T> {
  status: number;
  ms: number;
  body: T;
}

export interface StreamedDownload {
  status: number;
  ms: number;
  firstByteMs: number;
  bytes: number;
  lines: number;
}

export class AuditApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  /** Wall time from sending the request to having read and parsed the whole body. */
  async get<T = unknown>(path: string): Promise<TimedResponse<T>> {
    const started = process.hrtime.bigint();
    const response = await fetch(`${this.baseUrl}${path}`, { headers: { authorization: `Bearer ${this.token}` } });
    const text = await response.text();
    const ms = elapsedMs(started);
    return { status: response.status, ms, body: (response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T };
  }

  /** Reads a streamed response as fast as it comes, counting bytes and lines, keeping nothing. */
  async download(path: string): Promise<StreamedDownload> {
    const started = process.hrtime.bigint();
    const response = await fetch(`${this.baseUrl}${path}`, { headers: { authorization: `Bearer ${this.token}` } });
    if (!response.body) throw new Error(`GET ${path}: no body (${response.status})`);
    let bytes = 0;
    let lines = 0;
    let firstByteMs = -1;
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (firstByteMs < 0) firstByteMs = elapsedMs(started);
      bytes += value.byteLength;
      for (let i = value.indexOf(10); i !== -1; i = value.indexOf(10, i + 1)) lines += 1;
    }
    return { status: response.status, ms: elapsedMs(started), firstByteMs, bytes, lines };
  }
}

/** Samples a process' resident memory (VmRSS) every `intervalMs` until stopped. */
export class RssSampler {
  private peakKb = 0;
  private samples = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 50,
  ) {}

  static readKb(pid: number): number {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  }

  start(): this {
    const sample = (): void => {
      try {
        this.peakKb = Math.max(this.peakKb, RssSampler.readKb(this.pid));
        this.samples += 1;
      } catch {
        // the process is gone; the caller will notice
      }
    };
    sample();
    this.timer = setInterval(sample, this.intervalMs);
    return this;
  }

  stop(): { peakMb: number; samples: number } {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    return { peakMb: Math.round(this.peakKb / 102.4) / 10, samples: this.samples };
  }
}
