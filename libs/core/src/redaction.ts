/**
 * Secret redaction shared by the logger, audit details and error messages. Keys that name a
 * secret have their value replaced wherever they appear, at any depth.
 */
export const REDACTED = '***';

const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|api[-_]?key|private[-_]?key|credential|session/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Returns a deep copy with every secret-named key's value replaced by `***`. */
export function redactSecrets<T>(value: T, extraSecretKeys: ReadonlySet<string> = new Set()): T {
  return redactValue(value, extraSecretKeys, 0) as T;
}

function redactValue(value: unknown, extra: ReadonlySet<string>, depth: number): unknown {
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, extra, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    out[key] = isSecretKey(key) || extra.has(key) ? REDACTED : redactValue(inner, extra, depth + 1);
  }
  return out;
}

/** Pino redaction paths: covers request headers and common body fields at the first levels. */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-switchboard-signature"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.secret',
  '*.value',
  '*.*.password',
  '*.*.token',
  '*.*.secret',
];
