import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runHttpStep, type HttpStepOptions } from './http-step.runner';
import { InvalidStepError } from './invalid-step.error';
import { OutputBudget } from './output-budget';
import type { StepLine, StepStream } from './step-result';

interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let base: string;
const seen: SeenRequest[] = [];
const hanging = new Set<ServerResponse>();

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = await readBody(request);
  const url = new URL(request.url ?? '/', 'http://localhost');
  seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
  const status = /^\/status\/(\d{3})$/.exec(url.pathname);
  if (status) {
    response.writeHead(Number(status[1]), { 'content-type': 'text/plain' }).end(`status ${status[1]}\n`);
  } else if (url.pathname === '/ok') {
    response.writeHead(200, { 'content-type': 'text/plain' }).end('hello\nworld\n');
  } else if (url.pathname === '/hang') {
    hanging.add(response);
  } else if (url.pathname === '/hang-in-body') {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.write('first line\n');
    hanging.add(response);
  } else if (url.pathname === '/big') {
    response.writeHead(200, { 'content-type': 'text/plain' });
    const line = `${'x'.repeat(99)}\n`;
    for (let index = 0; index < 30_000; index += 1) response.write(line);
    response.end();
  } else if (url.pathname === '/redirect') {
    response.writeHead(302, { location: '/ok' }).end();
  } else {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: request.url, body }));
  }
}

beforeAll(async () => {
  server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => response.destroy(error as Error));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const response of hanging) response.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen.length = 0;
});

async function call(overrides: Partial<HttpStepOptions> & { url: string }) {
  const lines: StepLine[] = [];
  const result = await runHttpStep({ onLine: (line) => lines.push(line), ...overrides });
  const texts = (stream: StepStream): string[] => lines.filter((line) => line.stream === stream).map((line) => line.text);
  return { result, lines, texts };
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('runHttpStep', () => {
  it('reports the request, streams the body as stdout lines and succeeds on 2xx', async () => {
    const { result, lines } = await call({ url: `${base}/ok` });
    expect(result).toMatchObject({
      outcome: 'succeeded',
      exitCode: null,
      signal: null,
      outputs: { status: '200', body: 'hello\nworld\n' },
    });
    expect(lines[0].stream).toBe('system');
    expect(lines[0].text).toMatch(new RegExp(`^GET ${base}/ok → 200 \\(\\d+ ms\\)$`));
    expect(lines.slice(1)).toEqual([
      { stream: 'stdout', text: 'hello', continued: false },
      { stream: 'stdout', text: 'world', continued: false },
    ]);
  });

  it('fails on a status that is not expected, still showing the body', async () => {
    const { result, texts } = await call({ url: `${base}/status/500`, method: 'post', body: 'x' });
    expect(result).toMatchObject({ outcome: 'failed', reason: 'unexpected status 500 (expected 2xx)' });
    expect(result.outputs.status).toBe('500');
    expect(texts('stdout')).toEqual(['status 500']);
    expect(texts('system')[0]).toMatch(/^POST .*\/status\/500 → 500 \(\d+ ms\)$/);
    expect(texts('system')[1]).toBe('[switchboard] unexpected status 500 (expected 2xx)');
  });

  it('accepts the expected status given as one code or a list', async () => {
    expect((await call({ url: `${base}/status/404`, expectedStatus: 404 })).result.outcome).toBe('succeeded');
    expect((await call({ url: `${base}/status/204`, expectedStatus: [200, 204] })).result.outcome).toBe('succeeded');
    const { result } = await call({ url: `${base}/status/200`, expectedStatus: [201, 202] });
    expect(result).toMatchObject({ outcome: 'failed', reason: 'unexpected status 200 (expected 201 or 202)' });
  });

  it('times out a request that gets no response', async () => {
    const { result, texts } = await call({ url: `${base}/hang`, timeoutMs: 200 });
    expect(result).toMatchObject({ outcome: 'timed_out', reason: 'timed out after 200 ms' });
    expect(result.finishedAt.getTime() - result.startedAt.getTime()).toBeGreaterThanOrEqual(200);
    expect(texts('system')).toEqual([`[switchboard] GET ${base}/hang: timed out after 200 ms`]);
  });

  it('times out a response whose body stops coming, keeping what arrived', async () => {
    const { result, texts } = await call({ url: `${base}/hang-in-body`, timeoutMs: 200 });
    expect(result.outcome).toBe('timed_out');
    expect(texts('stdout')).toEqual(['first line']);
  });

  it('is canceled through its AbortSignal', async () => {
    const controller = new AbortController();
    const running = call({ url: `${base}/hang`, signal: controller.signal });
    await expect.poll(() => seen.length).toBe(1);
    controller.abort('operator asked');
    const { result } = await running;
    expect(result).toMatchObject({ outcome: 'canceled', reason: 'canceled: operator asked' });
  });

  it('does not send a request canceled before it started', async () => {
    const { result, lines } = await call({ url: `${base}/ok`, signal: AbortSignal.abort() });
    expect(result.outcome).toBe('canceled');
    expect(lines).toEqual([]);
    expect(seen).toEqual([]);
  });

  it('truncates a response larger than the limit with a marker', async () => {
    const { result, lines, texts } = await call({ url: `${base}/big`, maxResponseBytes: 100_000 });
    expect(result.outcome).toBe('succeeded');
    expect(texts('stdout')).toHaveLength(1_000);
    expect(texts('stdout').every((text) => text === 'x'.repeat(99))).toBe(true);
    expect(lines.at(-1)).toEqual({
      stream: 'system',
      text: '[switchboard] response truncated: limit of 100000 bytes reached',
      continued: false,
    });
    expect(result.outputs).toEqual({ status: '200' });
  });

  it('counts the response against the execution output budget', async () => {
    const budget = new OutputBudget(7);
    const { texts } = await call({ url: `${base}/ok`, outputBudget: budget });
    expect(texts('stdout')).toEqual(['hello']);
    expect(texts('system')).toContain('[switchboard] output truncated: limit of 7 bytes reached');
  });

  it('substitutes references into the URL, URL-encoded', async () => {
    const { result } = await call({
      url: `${base}/items/\${{ params.name }}?q=\${{ steps.lookup.id }}&n=\${{ params.count }}`,
      params: { name: 'a b/../c?d=1#x', count: 2 },
      previousOutputs: { lookup: { id: '4&2' } },
    });
    expect(result.outcome).toBe('succeeded');
    expect(seen[0].url).toBe('/items/a%20b%2F..%2Fc%3Fd%3D1%23x?q=4%262&n=2');
  });

  it('substitutes references into header values', async () => {
    await call({
      url: `${base}/echo`,
      headers: { Authorization: 'Bearer ${{ params.token }}', 'X-Run': '${{ steps.lookup.id }}' },
      params: { token: 'abc' },
      previousOutputs: { lookup: { id: '42' } },
    });
    expect(seen[0].headers).toMatchObject({ authorization: 'Bearer abc', 'x-run': '42' });
  });

  it('refuses a header value that would smuggle in another header', async () => {
    const { result } = await call({
      url: `${base}/echo`,
      headers: { 'X-Note': '${{ params.note }}' },
      params: { note: 'hi\r\nX-Admin: true' },
    });
    expect(result).toMatchObject({ outcome: 'failed', reason: 'header X-Note contains a line break or NUL' });
    expect(seen).toEqual([]);
  });

  it('sends an object body as JSON with references rendered and typed', async () => {
    const { result } = await call({
      url: `${base}/echo`,
      method: 'POST',
      body: { service: '${{ params.service }}', replicas: '${{ params.replicas }}', note: 'by ${{ params.service }}' },
      params: { service: 'api", "admin": "true', replicas: 3 },
    });
    expect(result.outcome).toBe('succeeded');
    expect(seen[0].headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen[0].body)).toEqual({
      service: 'api", "admin": "true',
      replicas: 3,
      note: 'by api", "admin": "true',
    });
  });

  it('renders a JSON string body through its parsed form so values cannot break out of strings', async () => {
    await call({
      url: `${base}/echo`,
      method: 'PUT',
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: '{"name": "${{ params.name }}", "tags": "${{ params.tags }}"}',
      params: { name: 'x", "admin": true, "y": "', tags: ['a', 'b'] },
    });
    expect(JSON.parse(seen[0].body)).toEqual({ name: 'x", "admin": true, "y": "', tags: ['a', 'b'] });
  });

  it('refuses a JSON string body with a reference outside a string', async () => {
    const { result } = await call({
      url: `${base}/echo`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"n": ${{ params.n }}}',
      params: { n: 1 },
    });
    expect(result.outcome).toBe('failed');
    expect(result.reason).toMatch(/must be valid JSON/);
    expect(seen).toEqual([]);
  });

  it('URL-encodes references in a form body and pastes them into a plain text body', async () => {
    await call({
      url: `${base}/echo`,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=${{ params.name }}&x=1',
      params: { name: 'a&b=c' },
    });
    expect(seen[0].body).toBe('name=a%26b%3Dc&x=1');
    await call({ url: `${base}/echo`, method: 'POST', body: 'hello ${{ params.name }}', params: { name: 'a&b' } });
    expect(seen[1].body).toBe('hello a&b');
  });

  it('fails without sending anything when a reference names nothing', async () => {
    const { result, texts } = await call({ url: `${base}/items/\${{ params.missing }}` });
    expect(result).toMatchObject({ outcome: 'failed', reason: 'params.missing is not set' });
    expect(texts('system')).toEqual(['[switchboard] params.missing is not set']);
    expect(seen).toEqual([]);
  });

  it('fails on an invalid URL or a scheme other than http and https', async () => {
    expect((await call({ url: 'not a url' })).result.reason).toBe('invalid URL');
    expect((await call({ url: 'file:///etc/passwd' })).result.reason).toBe('unsupported URL scheme "file:"');
  });

  it('asks checkTarget about the rendered URL and fails without sending when it refuses', async () => {
    const asked: string[] = [];
    const { result } = await call({
      url: `${base}/items/\${{ params.id }}`,
      params: { id: 7 },
      checkTarget: (url) => {
        asked.push(url.href);
        return Promise.reject(new Error('127.0.0.1 is a private address'));
      },
    });
    expect(asked).toEqual([`${base}/items/7`]);
    expect(result).toMatchObject({ outcome: 'failed', reason: 'target refused: 127.0.0.1 is a private address' });
    expect(seen).toEqual([]);
  });

  it('treats a checkTarget that throws synchronously as a refusal', async () => {
    const { result } = await call({
      url: `${base}/ok`,
      checkTarget: () => {
        throw new Error('blocked port');
      },
    });
    expect(result).toMatchObject({ outcome: 'failed', reason: 'target refused: blocked port' });
    expect(seen).toEqual([]);
  });

  it('sends the request when checkTarget allows it', async () => {
    const { result } = await call({ url: `${base}/ok`, checkTarget: () => Promise.resolve() });
    expect(result.outcome).toBe('succeeded');
  });

  it('times out a checkTarget that never answers', async () => {
    const { result } = await call({ url: `${base}/ok`, timeoutMs: 100, checkTarget: () => new Promise(() => undefined) });
    expect(result).toMatchObject({ outcome: 'timed_out' });
    expect(seen).toEqual([]);
  });

  it('fails with the network error when nothing listens', async () => {
    const port = await closedPort();
    const { result } = await call({ url: `http://127.0.0.1:${port}/` });
    expect(result.outcome).toBe('failed');
    expect(result.reason).toMatch(/^network error: .*ECONNREFUSED/);
  });

  it('reports a redirect without following it', async () => {
    const { result, texts } = await call({ url: `${base}/redirect` });
    expect(result).toMatchObject({ outcome: 'failed', reason: 'unexpected status 302 (expected 2xx)' });
    expect(texts('system')[0]).toMatch(/→ 302 \(\d+ ms\), redirect to \/ok not followed$/);
    expect(seen).toHaveLength(1);
  });

  it('sends credentials in the URL as Basic auth and keeps them out of the log', async () => {
    const { result, texts } = await call({ url: `http://us%40er:pa55@${base.slice('http://'.length)}/echo` });
    expect(result.outcome).toBe('succeeded');
    expect(seen[0].headers.authorization).toBe(`Basic ${Buffer.from('us@er:pa55').toString('base64')}`);
    expect(texts('system')[0]).toMatch(new RegExp(`^GET ${base}/echo → 200`));
    expect(texts('system').join('\n')).not.toMatch(/pa55|us%40er/);
  });

  it('sends a HEAD request', async () => {
    const { result, texts } = await call({ url: `${base}/ok`, method: 'HEAD' });
    expect(result).toMatchObject({ outcome: 'succeeded', outputs: { status: '200', body: '' } });
    expect(texts('stdout')).toEqual([]);
    expect(seen[0].method).toBe('HEAD');
  });

  it.each<[string, Partial<HttpStepOptions>, string]>([
    ['an unknown method', { method: 'TRACE' }, 'method'],
    ['a GET with a body', { body: 'x' }, 'body'],
    ['an expected status out of range', { expectedStatus: 99 }, 'expectedStatus'],
    ['an empty expected status list', { expectedStatus: [] }, 'expectedStatus'],
    ['an invalid header name', { headers: { 'bad header': 'x' } }, 'headers.bad header'],
    ['a negative timeout', { timeoutMs: -1 }, 'timeoutMs'],
  ])('rejects %s as an invalid step', async (_name, overrides, field) => {
    const attempt = runHttpStep({ url: `${base}/ok`, onLine: () => undefined, ...overrides });
    await expect(attempt).rejects.toBeInstanceOf(InvalidStepError);
    await expect(attempt).rejects.toMatchObject({ field });
  });

  it('rejects with the error thrown by onLine', async () => {
    const failure = new Error('log store down');
    await expect(
      runHttpStep({
        url: `${base}/ok`,
        onLine: () => {
          throw failure;
        },
      }),
    ).rejects.toBe(failure);
  });
});
