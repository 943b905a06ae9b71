import { describeAbortReason } from './abort-reason';
import { InvalidStepError } from './invalid-step.error';
import { OutputBudget } from './output-budget';
import { StepLog } from './step-log';
import type { OnStepLine, StepOutcome, StepResult } from './step-result';
import { renderJsonTemplate, renderTemplate, TemplateError, type TemplateContext } from './step-template';

export const HTTP_STEP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
/** Larger bodies stay out of the `body` output: outputs become environment variables, which the OS caps. */
export const MAX_BODY_OUTPUT_BYTES = 64 * 1024;

export interface HttpStepOptions {
  method?: string;
  /** May hold `${{ params.x }}` / `${{ steps.s.k }}`; values are URL-encoded. */
  url: string;
  /** Values may hold references; names may not. */
  headers?: Readonly<Record<string, string>>;
  /** A string is sent as is (references rendered for its content type); anything else as JSON. */
  body?: string | Readonly<Record<string, unknown>> | readonly unknown[];
  /** One status or a list; defaults to any 2xx. */
  expectedStatus?: number | readonly number[];
  timeoutMs?: number;
  maxResponseBytes?: number;
  params?: Readonly<Record<string, unknown>>;
  previousOutputs?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** The caller's outbound policy (SSRF guard): throw to refuse the target. */
  checkTarget?: (url: URL) => Promise<void>;
  onLine: OnStepLine;
  signal?: AbortSignal;
  outputBudget?: OutputBudget;
  maxLineBytes?: number;
}

interface HttpRequest {
  url: URL;
  headers: Headers;
  body: string | undefined;
}

/** A request that cannot be sent as rendered (bad URL, line break in a header, …). */
class RequestError extends Error {}

/** Keeps the caller's refusal apart from network failures in the result's reason. */
class TargetRefused extends Error {}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const FORM_MEDIA_TYPE = /^application\/x-www-form-urlencoded\s*(?:;|$)/i;

/**
 * Runs one http step. Redirects are reported, not followed: following one would reach a target
 * `checkTarget` never saw.
 */
export async function runHttpStep(options: HttpStepOptions): Promise<StepResult> {
  const method = checkMethod(options.method ?? 'GET');
  const isExpected = expectedStatusCheck(options.expectedStatus);
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  if (!Number.isSafeInteger(maxResponseBytes) || maxResponseBytes < 0) {
    throw new InvalidStepError('maxResponseBytes', 'maxResponseBytes must be a non-negative integer');
  }
  if (options.timeoutMs !== undefined && !(Number.isFinite(options.timeoutMs) && options.timeoutMs >= 0)) {
    throw new InvalidStepError('timeoutMs', 'timeoutMs must be a non-negative number of milliseconds');
  }
  if (options.body !== undefined && (method === 'GET' || method === 'HEAD')) {
    throw new InvalidStepError('body', `a ${method} request cannot have a body`);
  }
  for (const name of Object.keys(options.headers ?? {})) {
    if (!HEADER_NAME.test(name)) throw new InvalidStepError(`headers.${name}`, `"${name}" is not a valid header name`);
  }

  const startedAt = new Date();
  const log = new StepLog({
    onLine: options.onLine,
    budget: options.outputBudget ?? new OutputBudget(),
    maxLineBytes: options.maxLineBytes,
  });
  const finish = (outcome: StepOutcome, fields: Partial<StepResult> = {}): StepResult => {
    const failure = log.callbackFailure;
    if (failure) throw failure.error;
    return { outcome, exitCode: null, signal: null, outputs: {}, startedAt, ...fields, finishedAt: new Date() };
  };
  const fail = (reason: string, fields: Partial<StepResult> = {}): StepResult => {
    log.system(`[switchboard] ${reason}`);
    return finish('failed', { ...fields, reason });
  };
  if (options.signal?.aborted) return finish('canceled', { reason: describeAbortReason(options.signal) });

  let request: HttpRequest;
  try {
    request = buildRequest(options, { params: options.params ?? {}, steps: options.previousOutputs ?? {} });
  } catch (error: unknown) {
    if (error instanceof TemplateError || error instanceof RequestError) return fail(error.message);
    throw error;
  }

  const controller = new AbortController();
  let termination: { outcome: 'canceled' | 'timed_out'; reason: string } | undefined;
  const stop = (outcome: 'canceled' | 'timed_out', reason: string): void => {
    if (termination !== undefined) return;
    termination = { outcome, reason };
    controller.abort();
  };
  const onAbort = (): void => stop('canceled', describeAbortReason(options.signal as AbortSignal));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const { timeoutMs } = options;
  const timer =
    timeoutMs === undefined ? undefined : setTimeout(() => stop('timed_out', `timed out after ${timeoutMs} ms`), timeoutMs);
  const shownUrl = request.url.href;

  let phase: 'request' | 'response' = 'request';
  try {
    const { checkTarget } = options;
    if (checkTarget) {
      const verdict = Promise.resolve()
        .then(() => checkTarget(new URL(request.url)))
        .catch((error: unknown) => {
          throw new TargetRefused(error instanceof Error ? error.message : String(error));
        });
      await untilAborted(verdict, controller.signal);
    }
    const sentAt = performance.now();
    const response = await fetch(request.url, {
      method,
      headers: request.headers,
      body: request.body,
      signal: controller.signal,
      redirect: 'manual',
    });
    phase = 'response';
    const elapsedMs = Math.round(performance.now() - sentAt);
    const location = response.headers.get('location');
    const redirect = response.status >= 300 && response.status < 400 && location ? `, redirect to ${location} not followed` : '';
    log.system(`${method} ${shownUrl} → ${response.status} (${elapsedMs} ms)${redirect}`);

    const body = await streamBody(response, maxResponseBytes, log);
    const outputs: Record<string, string> = { status: String(response.status) };
    if (body !== undefined) outputs.body = body;
    if (isExpected(response.status)) return finish('succeeded', { outputs });
    return fail(`unexpected status ${response.status} (expected ${describeExpected(options.expectedStatus)})`, { outputs });
  } catch (error: unknown) {
    log.end();
    const failure = log.callbackFailure;
    if (failure) throw failure.error;
    if (termination) {
      log.system(`[switchboard] ${method} ${shownUrl}: ${termination.reason}`);
      return finish(termination.outcome, { reason: termination.reason });
    }
    if (error instanceof TargetRefused) return fail(`target refused: ${error.message}`);
    const during = phase === 'request' ? '' : ' while reading the response';
    return fail(`network error${during}: ${describeFetchError(error)}`);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

function checkMethod(method: string): string {
  const upper = method.toUpperCase();
  if (!(HTTP_STEP_METHODS as readonly string[]).includes(upper)) {
    throw new InvalidStepError('method', `unsupported method "${method}": use ${HTTP_STEP_METHODS.join(', ')}`);
  }
  return upper;
}

function expectedStatusCheck(expected: number | readonly number[] | undefined): (status: number) => boolean {
  if (expected === undefined) return (status) => status >= 200 && status < 300;
  const list = typeof expected === 'number' ? [expected] : expected;
  if (list.length === 0 || !list.every((status) => Number.isInteger(status) && status >= 100 && status <= 599)) {
    throw new InvalidStepError('expectedStatus', 'expectedStatus must be HTTP status codes between 100 and 599');
  }
  return (status) => list.includes(status);
}

function describeExpected(expected: number | readonly number[] | undefined): string {
  if (expected === undefined) return '2xx';
  return typeof expected === 'number' ? String(expected) : expected.join(' or ');
}

function buildRequest(options: HttpStepOptions, context: TemplateContext): HttpRequest {
  const rendered = renderTemplate(options.url, context, encodeURIComponent);
  let url: URL;
  try {
    url = new URL(rendered);
  } catch {
    throw new RequestError('invalid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RequestError(`unsupported URL scheme "${url.protocol}"`);
  }

  const headers = new Headers();
  for (const [name, template] of Object.entries(options.headers ?? {})) {
    const value = renderTemplate(template, context);
    // A line break in a header value would let a parameter smuggle in headers of its own.
    if (/[\r\n\0]/.test(value)) throw new RequestError(`header ${name} contains a line break or NUL`);
    headers.set(name, value);
  }
  moveCredentialsToHeader(url, headers);

  const { body } = options;
  if (body === undefined) return { url, headers, body: undefined };
  if (typeof body !== 'string') {
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    return { url, headers, body: JSON.stringify(renderJsonTemplate(body, context)) };
  }
  const contentType = headers.get('content-type') ?? '';
  if (JSON_MEDIA_TYPE.test(contentType) && body.includes('${{')) {
    return { url, headers, body: JSON.stringify(renderJsonTemplate(parseJsonBody(body), context)) };
  }
  if (FORM_MEDIA_TYPE.test(contentType)) return { url, headers, body: renderTemplate(body, context, encodeURIComponent) };
  return { url, headers, body: renderTemplate(body, context) };
}

/** Pasting values into JSON text could break out of a string; rendering the parsed value cannot. */
function parseJsonBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new RequestError('a JSON body with ${{ }} references must be valid JSON, with each reference inside a string');
  }
}

/**
 * fetch() refuses URLs with credentials (and would print them in its error); send them as Basic
 * auth the way curl does, which also keeps them out of the logged URL.
 */
function moveCredentialsToHeader(url: URL, headers: Headers): void {
  if (url.username === '' && url.password === '') return;
  let credentials: string;
  try {
    credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  } catch {
    throw new RequestError('invalid credentials in URL');
  }
  url.username = '';
  url.password = '';
  if (!headers.has('authorization')) {
    headers.set('authorization', `Basic ${Buffer.from(credentials).toString('base64')}`);
  }
}

/** Streams the body to the log as it arrives; returns it for the `body` output when it is small. */
async function streamBody(response: Response, maxBytes: number, log: StepLog): Promise<string | undefined> {
  const kept: Buffer[] = [];
  let received = 0;
  let isTruncated = false;
  if (response.body) {
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      const piece = bytes.subarray(0, maxBytes - received);
      log.write('stdout', piece);
      received += piece.length;
      if (received <= MAX_BODY_OUTPUT_BYTES) kept.push(Buffer.from(piece));
      if (piece.length < bytes.length) {
        isTruncated = true;
        break;
      }
    }
  }
  log.end();
  if (isTruncated) log.system(`[switchboard] response truncated: limit of ${maxBytes} bytes reached`);
  if (isTruncated || received > MAX_BODY_OUTPUT_BYTES) return undefined;
  const text = Buffer.concat(kept).toString('utf8');
  return text.includes('\0') ? undefined : text;
}

/** Lets an abort end the wait for a promise that itself cannot be aborted (the caller's checkTarget). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      reject(new Error('aborted'));
    };
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise
      .finally(() => {
        signal.removeEventListener('abort', onAbort);
      })
      .then(resolve, reject);
  });
}

/** fetch() says only "fetch failed"; the cause names what went wrong (ECONNREFUSED, a TLS error…). */
function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause: unknown = error.cause;
  if (cause instanceof Error && cause.message !== '') return cause.message;
  return error.message;
}
