import { describe, expect, it } from 'vitest';
import { formatDefinitionPath } from './definition-path';

describe('formatDefinitionPath', () => {
  it('writes the document itself as an empty path', () => {
    expect(formatDefinitionPath([])).toBe('');
  });

  it('writes keys with dots and indexes in brackets', () => {
    expect(formatDefinitionPath(['steps', 1, 'shell'])).toBe('steps[1].shell');
    expect(formatDefinitionPath(['parameters', 'environment', 'default'])).toBe('parameters.environment.default');
    expect(formatDefinitionPath(['steps', 0, 'http', 'headers', 'Content-Type'])).toBe('steps[0].http.headers.Content-Type');
  });

  it('quotes keys that are not identifier-like so the path stays unambiguous', () => {
    expect(formatDefinitionPath(['parameters', 'my param'])).toBe('parameters["my param"]');
    expect(formatDefinitionPath(['steps', '1st'])).toBe('steps["1st"]');
    expect(formatDefinitionPath(['a.b'])).toBe('["a.b"]');
  });
});
