import { describe, expect, it } from 'vitest';
import { parseDefinition } from './definition-parser';
import { ParameterValidator, validateParameters, type ParameterError, type ParameterValidationResult } from './parameter-validator';
import type { ProcedureDefinition } from './procedure-definition';
import { EVERY_FIELD_YAML, RESTART_SERVICE_YAML } from './procedure-definition.fixtures';

const restart = parseDefinition(RESTART_SERVICE_YAML, 'yaml');
const rich = parseDefinition(EVERY_FIELD_YAML, 'yaml');

function definitionWithParameters(parameters: Record<string, unknown>): ProcedureDefinition {
  return parseDefinition({ name: 'demo', parameters, steps: [{ name: 'a', run: 'echo' }] }, 'object');
}

function errorsOf(result: ParameterValidationResult): ParameterError[] {
  if (result.ok) throw new Error(`expected errors, got ${JSON.stringify(result.params)}`);
  return result.errors;
}

describe('validateParameters: accepted input', () => {
  it('applies defaults and returns parameters in definition order', () => {
    const result = validateParameters(restart, { token: 't', service: 'api' });
    expect(result).toEqual({ ok: true, params: { service: 'api', environment: 'staging', token: 't' } });
    expect(result.ok && Object.keys(result.params)).toEqual(['service', 'environment', 'token']);
  });

  it('lets a given value override the default', () => {
    expect(validateParameters(restart, { service: 'worker', environment: 'production' })).toEqual({
      ok: true,
      params: { service: 'worker', environment: 'production' },
    });
  });

  it('fills defaults of every type, including lists', () => {
    const result = validateParameters(rich, { environment: 'dr', api_token: 'key' });
    expect(result).toEqual({
      ok: true,
      params: { environment: 'dr', api_token: 'key', batch_size: 5, ratio: 0.25, dry_run: true, regions: ['eu'] },
    });
  });

  it('counts a required parameter with a default as given', () => {
    const definition = definitionWithParameters({ mode: { type: 'string', required: true, default: 'safe' } });
    expect(validateParameters(definition, {})).toEqual({ ok: true, params: { mode: 'safe' } });
  });

  it('treats undefined input and undefined values as nothing given', () => {
    expect(validateParameters(definitionWithParameters({ x: { type: 'string', default: 'd' } }), undefined)).toEqual({ ok: true, params: { x: 'd' } });
    expect(validateParameters(definitionWithParameters({ x: { type: 'string', default: 'd' } }), { x: undefined })).toEqual({ ok: true, params: { x: 'd' } });
  });

  it('returns copies, so changing the result cannot change a default', () => {
    const first = validateParameters(rich, { environment: 'dr', api_token: 'k' });
    if (first.ok) (first.params.regions as string[]).push('us');
    const second = validateParameters(rich, { environment: 'dr', api_token: 'k' });
    expect(second.ok && second.params.regions).toEqual(['eu']);
  });

  it('accepts a multi-select with distinct allowed values', () => {
    expect(validateParameters(rich, { environment: 'dr', api_token: 'k', regions: ['us', 'ap'] })).toMatchObject({ ok: true, params: { regions: ['us', 'ap'] } });
  });

  it('accepts whole numbers written with a fraction of zero for integer parameters', () => {
    expect(validateParameters(rich, { environment: 'dr', api_token: 'k', batch_size: 7.0 })).toMatchObject({ ok: true });
  });
});

describe('validateParameters: one clear error per parameter', () => {
  it('reports a missing required parameter', () => {
    expect(errorsOf(validateParameters(restart, {}))).toEqual([{ parameter: 'service', message: 'is required' }]);
  });

  it('reports an unknown parameter', () => {
    expect(errorsOf(validateParameters(restart, { service: 'api', servce: 'api' }))).toEqual([
      { parameter: 'servce', message: 'is not a parameter of this procedure' },
    ]);
  });

  it('lists the allowed values of a select', () => {
    expect(errorsOf(validateParameters(restart, { service: 'db' }))).toEqual([{ parameter: 'service', message: 'must be one of: "api", "worker"' }]);
  });

  it('reports a failed pattern with the pattern', () => {
    expect(errorsOf(validateParameters(restart, { service: 'api', reason: 'ops-1' }))).toEqual([
      { parameter: 'reason', message: 'must match the pattern ^[A-Z]+-[0-9]+$' },
    ]);
  });

  it.each([
    ['batch_size', '5', 'must be a whole number'],
    ['batch_size', 2.5, 'must be a whole number'],
    ['ratio', '0.5', 'must be a number'],
    ['dry_run', 'true', 'must be true or false'],
    ['dry_run', 1, 'must be true or false'],
    ['notes', 42, 'must be a string'],
    ['notes', null, 'must be a string'],
    ['regions', 'eu', 'must be a list'],
  ])('never coerces: %s = %j → %s', (parameter, value, message) => {
    expect(errorsOf(validateParameters(rich, { environment: 'dr', api_token: 'k', [parameter]: value }))).toEqual([{ parameter, message }]);
  });

  it.each([
    ['batch_size', 0, 'must be at least 1'],
    ['batch_size', 51, 'must be at most 50'],
    ['ratio', 1.5, 'must be at most 1'],
    ['ticket', 'OPS-', 'must be at least 5 characters'],
    ['ticket', 'OPS-1234567', 'must be at most 10 characters'],
    ['replicas', 2, 'must be one of: 1, 3, 5'],
    ['regions', [], 'must have at least 1 entry'],
    ['regions', ['eu', 'us', 'ap', 'eu'], 'must have at most 3 entries'],
    ['regions', ['eu', 'eu'], 'must not list the same value twice'],
    ['regions', ['eu', 'mars'], 'item 2 must be one of: "eu", "us", "ap"'],
    ['hosts', ['ok.example', 'Not Valid'], 'item 2 must match the pattern ^[a-z0-9.-]+$'],
    ['ports', [80, 70000], 'item 2 must be at most 65535'],
    ['ports', [80, '443'], 'item 2 must be a whole number'],
  ])('reports bounds: %s = %j → %s', (parameter, value, message) => {
    expect(errorsOf(validateParameters(rich, { environment: 'dr', api_token: 'k', [parameter]: value }))).toEqual([{ parameter, message }]);
  });

  it('reports one error for each offending parameter, in definition order', () => {
    const errors = errorsOf(
      validateParameters(rich, { batch_size: '5', zzz: 1, ratio: 7, environment: 'moon', ticket: 'x', regions: ['mars', 'mars'] }),
    );
    expect(errors).toEqual([
      { parameter: 'environment', message: 'must be one of: "staging", "production", "dr"' },
      { parameter: 'ticket', message: 'must be at least 5 characters' },
      { parameter: 'api_token', message: 'is required' },
      { parameter: 'batch_size', message: 'must be a whole number' },
      { parameter: 'ratio', message: 'must be at most 1' },
      { parameter: 'regions', message: expect.stringMatching(/^item 1 must be one of|^must not list the same value twice/) },
      { parameter: 'zzz', message: 'is not a parameter of this procedure' },
    ]);
    expect(new Set(errors.map((error) => error.parameter)).size).toBe(errors.length);
  });

  it('refuses input that is not an object', () => {
    for (const input of [null, 'service=api', 42, ['api']]) {
      expect(errorsOf(validateParameters(restart, input))).toEqual([{ parameter: '', message: 'parameters must be an object of parameter names to values' }]);
    }
  });

  it('treats __proto__ and constructor as ordinary unknown names', () => {
    const input = JSON.parse('{"service": "api", "__proto__": {"polluted": true}, "constructor": 1}') as unknown;
    expect(errorsOf(validateParameters(restart, input))).toEqual([
      { parameter: '__proto__', message: 'is not a parameter of this procedure' },
      { parameter: 'constructor', message: 'is not a parameter of this procedure' },
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('shortens absurdly long unknown names in errors', () => {
    const [error] = errorsOf(validateParameters(restart, { service: 'api', ['x'.repeat(10_000)]: 1 }));
    expect(error.parameter.length).toBeLessThanOrEqual(101);
  });

  it('lists at most 20 allowed values', () => {
    const choices = Array.from({ length: 30 }, (_, index) => `c${index}`);
    const definition = definitionWithParameters({ pick: { type: 'string', enum: choices } });
    expect(errorsOf(validateParameters(definition, { pick: 'nope' }))[0].message).toMatch(/"c19" and 10 more$/);
  });
});

describe('validateParameters: secrets never appear in errors', () => {
  const SECRET = 'S3cr3t-Value-Do-Not-Leak';
  const definition = definitionWithParameters({
    password: { type: 'string', secret: true, required: true, pattern: '^[a-z]+$', min_length: 200 },
    key: { type: 'string', secret: true, max_length: 3 },
    service: { type: 'string', enum: ['api'] },
  });

  it.each([
    ['failing a pattern', { password: SECRET }],
    ['too long', { password: 'abc', key: SECRET }],
    ['in a wrong field', { password: 'abc', service: SECRET }],
    ['under an unknown name', { password: 'abc', [`x${SECRET}`.slice(0, 5)]: SECRET }],
    ['as the wrong type', { password: [SECRET], key: { value: SECRET } }],
  ])('when %s', (_case, input) => {
    const result = validateParameters(definition, input);
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain(SECRET);
    expect(JSON.stringify(result)).not.toContain('S3cr3t');
  });

  it('never echoes submitted values at all, even for ordinary parameters', () => {
    const result = validateParameters(restart, { service: 'unique-submitted-value', reason: 'another-submitted-value' });
    expect(JSON.stringify(result)).not.toMatch(/submitted-value/);
  });
});

describe('ParameterValidator: compiled validators are cached', () => {
  it('reuses the compiled validator for a cache key', () => {
    const validator = new ParameterValidator(10);
    validator.validate(restart, { service: 'api' }, { cacheKey: 'v1' });
    validator.validate(restart, { service: 'api' }, { cacheKey: 'v1' });
    expect(validator.cachedCount).toBe(1);
  });

  it('evicts the least recently used definition beyond its capacity', () => {
    const validator = new ParameterValidator(2);
    const strict = definitionWithParameters({ n: { type: 'integer', max: 1 } });
    const loose = definitionWithParameters({ n: { type: 'integer', max: 100 } });
    validator.validate(strict, { n: 1 }, { cacheKey: 'a' });
    validator.validate(strict, { n: 1 }, { cacheKey: 'b' });
    validator.validate(strict, { n: 1 }, { cacheKey: 'a' }); // a is now the most recent
    validator.validate(strict, { n: 1 }, { cacheKey: 'c' }); // evicts b
    expect(validator.cachedCount).toBe(2);
    // A key still cached keeps its compiled rules (the caller promises keys are immutable versions) …
    expect(validator.validate(loose, { n: 50 }, { cacheKey: 'a' }).ok).toBe(false);
    // … while an evicted key is compiled afresh from the definition given.
    expect(validator.validate(loose, { n: 50 }, { cacheKey: 'b' }).ok).toBe(true);
  });

  it('caches on the definition object when no key is given', () => {
    const validator = new ParameterValidator(1);
    expect(validator.validate(restart, { service: 'api' }).ok).toBe(true);
    expect(validator.validate(restart, { service: 'db' }).ok).toBe(false);
    expect(validator.cachedCount).toBe(0);
  });

  it('keeps validators compiled long ago working after compiling hundreds more', () => {
    const validator = new ParameterValidator(1000);
    const definitions = Array.from({ length: 205 }, (_, index) => definitionWithParameters({ n: { type: 'integer', max: index } }));
    definitions.forEach((definition, index) => validator.validate(definition, { n: 0 }, { cacheKey: `v${index}` }));
    expect(validator.validate(definitions[0], { n: 1 }, { cacheKey: 'v0' })).toEqual({ ok: false, errors: [{ parameter: 'n', message: 'must be at most 0' }] });
    expect(validator.validate(definitions[204], { n: 204 }, { cacheKey: 'v204' }).ok).toBe(true);
  });

  it('validates quickly once compiled', () => {
    const validator = new ParameterValidator();
    const input = { environment: 'production', api_token: 'k', batch_size: 10, regions: ['eu', 'us'], hosts: ['a.example'] };
    validator.validate(rich, input, { cacheKey: 'rich' });
    const started = performance.now();
    for (let run = 0; run < 10_000; run += 1) validator.validate(rich, input, { cacheKey: 'rich' });
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('validateParameters agrees with the definition parser', () => {
  it('accepts every default the parser accepted', () => {
    const definition = definitionWithParameters({
      emoji: { type: 'string', max_length: 2, min_length: 2, default: '🎉🎉' },
      unicode: { type: 'string', pattern: '^\\p{Lu}+$', default: 'ÄÖÜ' },
      choice: { type: 'number', enum: [0.5, 1.5], min: 0, default: 1.5 },
      list: { type: 'array', items: { type: 'integer', min: 0 }, min_items: 2, default: [0, 1] },
    });
    expect(validateParameters(definition, {})).toEqual({ ok: true, params: { emoji: '🎉🎉', unicode: 'ÄÖÜ', choice: 1.5, list: [0, 1] } });
  });

  it('refuses the values the parser refuses as defaults', () => {
    const definition = definitionWithParameters({
      emoji: { type: 'string', max_length: 2 },
      unicode: { type: 'string', pattern: '^\\p{Lu}+$' },
    });
    expect(errorsOf(validateParameters(definition, { emoji: '🎉🎉🎉', unicode: 'abc' }))).toEqual([
      { parameter: 'emoji', message: 'must be at most 2 characters' },
      { parameter: 'unicode', message: 'must match the pattern ^\\p{Lu}+$' },
    ]);
  });
});
