import type { z } from 'zod';
import { DefinitionError, type DefinitionErrorDetail } from './definition-error';
import { formatDefinitionPath } from './definition-path';
import { describeMisplacedParameterField } from './parameter-definition.schema';
import type { ProcedureDefinition } from './procedure-definition';
import { procedureDefinitionSchema } from './procedure-definition.schema';
import { type DefinitionSource, readYamlSource } from './yaml-source';

export type DefinitionContentType = 'yaml' | 'json' | 'object';

export const DEFINITION_MAX_BYTES = 256 * 1024;
/** Deep enough for any real definition (an HTTP body included); shallow enough that nothing recurses dangerously. */
export const DEFINITION_MAX_DEPTH = 32;
/** No real definition comes near; the count bounds the work for objects built with shared references. */
export const DEFINITION_MAX_VALUES = 100_000;
const MAX_REPORTED_ERRORS = 100;

/**
 * Reads a procedure definition from YAML text, JSON text or an already-parsed object and returns
 * it normalized (durations in seconds, defaults filled). Throws {@link DefinitionError} listing
 * every problem with its field path and, for text, its line.
 */
export function parseDefinition(input: string | object, contentType: DefinitionContentType): ProcedureDefinition {
  const source = readSource(input, contentType);
  const { value, problems } = copyPlainData(source.value);
  if (problems.length > 0) {
    throw new DefinitionError(problems.map(({ segments, ...detail }) => withLine(detail, source.lineOf(segments))));
  }
  if (contentType === 'object') {
    // Measured only after the copy above, which bounds the work a shared-reference "object bomb" can cause.
    const size = Buffer.byteLength(JSON.stringify(value), 'utf8');
    if (size > DEFINITION_MAX_BYTES) throw tooLarge(size);
  }
  if (!isPlainObject(value)) {
    const message = 'a procedure definition must be a mapping of fields (name, steps, …)';
    throw new DefinitionError([withLine({ path: '', message }, contentType === 'object' ? undefined : 1)]);
  }
  const result = procedureDefinitionSchema.safeParse(value, { error: defaultIssueMessage });
  if (result.success) return result.data;
  throw new DefinitionError(toDetails(result.error.issues, value, source));
}

function readSource(input: string | object, contentType: DefinitionContentType): DefinitionSource {
  if (contentType === 'object') {
    if (typeof input !== 'object' || input === null) {
      throw new DefinitionError([{ path: '', message: 'a procedure definition must be an object' }]);
    }
    return { value: input, lineOf: () => undefined };
  }
  if (typeof input !== 'string') {
    throw new DefinitionError([{ path: '', message: `a ${contentType.toUpperCase()} definition must be text` }]);
  }
  // A string's UTF-8 size is at least its length, so oversized input is refused before it is scanned.
  const size = input.length > DEFINITION_MAX_BYTES ? input.length : Buffer.byteLength(input, 'utf8');
  if (size > DEFINITION_MAX_BYTES) throw tooLarge(size);
  if (contentType === 'yaml') return readYamlSource(input);
  if (contentType !== 'json') {
    throw new DefinitionError([{ path: '', message: `unsupported content type ${JSON.stringify(contentType)}` }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(input);
  } catch (error) {
    const message = error instanceof Error ? error.message : 'unreadable';
    throw new DefinitionError([withLine({ path: '', message: `invalid JSON: ${message}` }, jsonErrorLine(input, message))]);
  }
  // Too deep to be a definition: the copy step names the path; reading it again as YAML would only cost time.
  if (isDeeperThan(value, DEFINITION_MAX_DEPTH)) return { value, lineOf: () => undefined };
  // JSON.parse keeps the last of duplicate keys silently; reading the same text as YAML finds them, and the lines.
  const located = readYamlSource(input, { onlyDuplicateKeys: true });
  return { value, lineOf: located.lineOf };
}

function isDeeperThan(root: unknown, limit: number): boolean {
  const pending: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value !== 'object' || next.value === null) continue;
    if (next.depth >= limit) return true;
    for (const child of Object.values(next.value)) pending.push({ value: child, depth: next.depth + 1 });
  }
  return false;
}

function tooLarge(size: number): DefinitionError {
  return new DefinitionError([
    { path: '', message: `is ${Math.ceil(size / 1024)} KiB; a definition may be at most ${DEFINITION_MAX_BYTES / 1024} KiB` },
  ]);
}

function jsonErrorLine(text: string, message: string): number | undefined {
  const position = /position (\d+)/.exec(message);
  if (position === null) return undefined;
  return text.slice(0, Number(position[1])).split('\n').length;
}

interface DataProblem extends DefinitionErrorDetail {
  segments: PropertyKey[];
}

/**
 * Definitions are data: only JSON values, nested at most {@link DEFINITION_MAX_DEPTH} deep, at most
 * {@link DEFINITION_MAX_VALUES} values, and no `__proto__` keys (which some object builders would
 * turn into a prototype change). Returns a fresh copy without `undefined` fields, so the parsed
 * definition never shares objects with the caller's input.
 */
function copyPlainData(root: unknown): { value: unknown; problems: DataProblem[] } {
  const problems: DataProblem[] = [];
  let visited = 0;
  const copy = (value: unknown, segments: PropertyKey[]): unknown => {
    const fail = (message: string, at: PropertyKey[] = segments): undefined => {
      if (problems.length < MAX_REPORTED_ERRORS) problems.push({ path: formatDefinitionPath(at), message, segments: at });
      return undefined;
    };
    visited += 1;
    if (visited === DEFINITION_MAX_VALUES + 1) return fail(`has more than ${DEFINITION_MAX_VALUES} values`, []);
    if (visited > DEFINITION_MAX_VALUES) return undefined;
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
    if (typeof value === 'number') return Number.isFinite(value) ? value : fail('must be a finite number');
    if (typeof value !== 'object') return fail(`${typeof value} is not a JSON value`);
    if (segments.length >= DEFINITION_MAX_DEPTH) return fail(`is nested more than ${DEFINITION_MAX_DEPTH} levels deep`);
    if (Array.isArray(value)) {
      return value.map((item: unknown, index) => copy(item, [...segments, index]));
    }
    if (!isPlainObject(value)) return fail('must be plain data (a mapping), not a class instance');
    const result: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      if (key === '__proto__') {
        fail('the key __proto__ is not allowed', [...segments, key]);
        continue;
      }
      const item: unknown = value[key];
      if (item !== undefined) result[key] = copy(item, [...segments, key]);
    }
    return result;
  };
  const value = copy(root, []);
  return { value, problems };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

const EXPECTED_PHRASES: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping of fields',
  record: 'a mapping',
};

/** Plain-language messages for zod's built-in checks; schema-specific messages are set where the rule is. */
function defaultIssueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${EXPECTED_PHRASES[issue.expected] ?? issue.expected}`;
    case 'too_small':
      return sizeMessage('at least', issue.origin, Number(issue.minimum), issue.inclusive !== false);
    case 'too_big':
      return sizeMessage('at most', issue.origin, Number(issue.maximum), issue.inclusive !== false);
    case 'invalid_value':
      return `must be one of: ${issue.values.map((value) => String(value)).join(', ')}`;
    case 'invalid_union': {
      if (!Array.isArray(issue.options)) return 'has an invalid value';
      const options = issue.options.map((option: unknown) => String(option)).join(', ');
      const input = issue.input;
      const given = isPlainObject(input) && typeof issue.discriminator === 'string' ? input[issue.discriminator] : undefined;
      return given === undefined ? `is required: one of ${options}` : `must be one of: ${options}`;
    }
    case 'unrecognized_keys':
      return 'unknown field';
    default:
      return undefined;
  }
}

function sizeMessage(bound: 'at least' | 'at most', origin: string, limit: number, inclusive: boolean): string {
  if (origin === 'string') {
    if (bound === 'at least' && limit === 1) return 'must not be empty';
    return `must be ${bound} ${limit} characters`;
  }
  if (origin === 'array' || origin === 'set') {
    if (bound === 'at least' && limit === 1) return 'must have at least one entry';
    return `must have ${bound} ${limit} entries`;
  }
  if (!inclusive) return `must be ${bound === 'at least' ? 'greater' : 'less'} than ${limit}`;
  return `must be ${bound} ${limit}`;
}

// Every field name in the definition language, for "did you mean" hints on typos.
const VOCABULARY = [
  'name', 'description', 'parameters', 'steps', 'timeout', 'retries', 'retry_delay', 'concurrency', 'worker_group',
  'approval', 'notify', 'toil_minutes', 'tags', 'type', 'label', 'required', 'default', 'enum', 'pattern', 'min', 'max',
  'min_length', 'max_length', 'min_items', 'max_items', 'items', 'secret', 'multiline', 'run', 'shell', 'http', 'procedure',
  'params', 'continue_on_error', 'env', 'method', 'url', 'headers', 'body', 'expect_status', 'when', 'approvers', 'from',
  'roles', 'teams', 'expires_after', 'on', 'channels', 'param', 'kind',
];

function toDetails(issues: readonly z.core.$ZodIssue[], value: unknown, source: DefinitionSource): DefinitionErrorDetail[] {
  const details: DefinitionErrorDetail[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const container = valueAt(value, issue.path);
      for (const key of issue.keys) {
        const segments = [...issue.path, key];
        details.push(withLine({ path: formatDefinitionPath(segments), message: unknownFieldMessage(issue.path, container, key) }, source.lineOf(segments)));
      }
      continue;
    }
    const message =
      issue.code === 'invalid_key' && issue.issues[0] !== undefined ? `key ${issue.issues[0].message}` : issue.message;
    const column = issue.code === 'custom' && typeof issue.params?.column === 'number' ? issue.params.column : undefined;
    details.push(withLine({ path: formatDefinitionPath(issue.path), message, ...(column === undefined ? {} : { column }) }, source.lineOf(issue.path)));
  }
  const unique = details.filter(
    (detail, index) => details.findIndex((other) => other.path === detail.path && other.message === detail.message) === index,
  );
  // Document order reads best; errors without a line (whole-document ones) keep their place at the end.
  unique.sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER));
  return unique.slice(0, MAX_REPORTED_ERRORS);
}

function withLine(detail: DefinitionErrorDetail, line: number | undefined): DefinitionErrorDetail {
  return line === undefined ? detail : { ...detail, line };
}

function unknownFieldMessage(containerPath: readonly PropertyKey[], container: unknown, key: string): string {
  if (containerPath.length === 2 && containerPath[0] === 'parameters' && isPlainObject(container)) {
    const misplaced = describeMisplacedParameterField(container.type, key);
    if (misplaced !== undefined) return misplaced;
  }
  const suggestion = closestWord(key, VOCABULARY.filter((word) => !isPlainObject(container) || !Object.hasOwn(container, word)));
  return suggestion === undefined ? 'unknown field' : `unknown field (did you mean "${suggestion}"?)`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

function closestWord(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.min(2, Math.floor(word.length / 3));
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate);
    if (distance <= bestDistance && (best === undefined || distance < bestDistance)) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return Number.MAX_SAFE_INTEGER;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
