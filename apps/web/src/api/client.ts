import type { FieldError, Problem } from './types';

/** Base path of the HTTP API; the web app is served by the same origin. */
export const API_BASE = '/api/v1';

/** A refused or failed request, carrying the server's problem+json (RFC 9457) answer. */
export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: FieldError[];
  readonly requestId: string | undefined;

  constructor(status: number, problem: Partial<Problem>) {
    super(problem.detail ?? problem.title ?? `request failed with status ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.title = problem.title ?? `HTTP ${status}`;
    this.detail = problem.detail;
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
    this.requestId = problem.requestId;
  }

  /** True when the route itself does not exist on this server (a feature not deployed yet). */
  get isMissingRoute(): boolean {
    return this.status === 404 && this.detail === 'no such route';
  }
}

type QueryValue = string | number | boolean | null | undefined | readonly string[];
export type Query = Record<string, QueryValue>;

/** Builds an API URL; empty filter values are left out so URLs stay short and shareable. */
export function apiUrl(path: string, query: Query = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) {
      if (value.length > 0) search.set(key, value.join(','));
    } else search.set(key, String(value));
  }
  const text = search.toString();
  return `${API_BASE}${path}${text ? `?${text}` : ''}`;
}

let unauthenticatedHandler: (() => void) | null = null;

/** Called on any 401 outside sign-in: the session ended (expired, revoked, signed out elsewhere). */
export function setUnauthenticatedHandler(handler: (() => void) | null): void {
  unauthenticatedHandler = handler;
}

interface RequestOptions {
  query?: Query;
  json?: unknown;
  /** Raw YAML text, sent as application/yaml (procedure definitions). */
  yaml?: string;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  // Every request carries the CSRF header: cookie-authenticated writes without it are refused.
  const headers: Record<string, string> = { accept: 'application/json', 'x-requested-with': 'switchboard', ...options.headers };
  let body: string | undefined;
  if (options.yaml !== undefined) {
    headers['content-type'] = 'application/yaml';
    body = options.yaml;
  } else if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  let response: Response;
  try {
    response = await fetch(apiUrl(path, options.query), { method, headers, body, credentials: 'same-origin', signal: options.signal });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, { title: 'Network error', detail: 'The server could not be reached. Check your connection and try again.' });
  }
  if (response.status === 204) return undefined as T;
  const type = response.headers.get('content-type') ?? '';
  if (!response.ok) {
    const problem: Partial<Problem> = type.includes('json') ? await response.json().catch(() => ({})) : { detail: (await response.text().catch(() => '')).slice(0, 300) || undefined };
    if (response.status === 401 && path !== '/auth/login') unauthenticatedHandler?.();
    throw new ApiError(response.status, { status: response.status, ...problem });
  }
  if (type.includes('json')) return (await response.json()) as T;
  return (await response.text()) as T;
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>('GET', path, { query, signal }),
  post: <T>(path: string, json?: unknown, headers?: Record<string, string>) => request<T>('POST', path, { json: json ?? {}, headers }),
  postYaml: <T>(path: string, yaml: string) => request<T>('POST', path, { yaml }),
  patch: <T>(path: string, json: unknown) => request<T>('PATCH', path, { json }),
  delete: <T = void>(path: string) => request<T>('DELETE', path),
};

/** Maps `params.<name>` errors of a 422 to their parameter; the rest stay general. */
export function fieldErrorsByName(errors: FieldError[], prefix: string): { byField: Record<string, string>; general: string[] } {
  const byField: Record<string, string> = {};
  const general: string[] = [];
  for (const error of errors) {
    if (error.field.startsWith(`${prefix}.`)) {
      const name = error.field.slice(prefix.length + 1).split(/[.[]/)[0];
      byField[name] = byField[name] ? `${byField[name]}; ${error.message}` : error.message;
    } else general.push(error.field ? `${error.field}: ${error.message}` : error.message);
  }
  return { byField, general };
}

/** A short human sentence for any error thrown by a query or mutation. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 403) return error.detail ? `Not allowed: ${error.detail}` : 'You are not allowed to do that.';
    if (error.status === 404 && !error.isMissingRoute) return 'Not found, or not visible to you.';
    if (error.isMissingRoute) return 'This feature is not available on this server yet.';
    return error.detail ?? error.title;
  }
  return error instanceof Error ? error.message : String(error);
}
